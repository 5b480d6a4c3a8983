package io.multiuser.server.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.assertj.core.api.Assertions.fail;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import io.multiuser.server.protocol.ClientCommand;
import io.multiuser.server.protocol.ClientId;
import io.multiuser.server.protocol.Node;
import io.multiuser.server.protocol.ServerCommand;
import io.multiuser.server.protocol.UserView;
import io.multiuser.server.session.RecordingOutbox;
import io.multiuser.server.session.Session;
import io.multiuser.server.session.SessionSettings;

/**
 * Our codecs against the frames captured from the real client (src/test/resources/vectors-0.1), with
 * CPython's own {@code pickle} as the oracle. CPython runs once for the whole class: every
 * question is collected in {@link #setUp()}, answered in one batch by
 * src/test/python/pickle_oracle.py, and looked up by the tests.
 */
class VectorCodecTest {

    private static final HexFormat HEX = HexFormat.of();
    /** Debian's CPython, explicitly: the reference implementation of pickle. */
    private static final String PYTHON = "/usr/bin/python3";
    private static final Path PROJECT_DIR = Paths.get(System.getProperty("user.dir"));
    private static final Path VECTORS = PROJECT_DIR.resolve("src/test/resources/vectors-0.1");
    private static final Path ORACLE_SCRIPT = PROJECT_DIR.resolve("src/test/python/pickle_oracle.py");

    /** Hostile pickles written by CPython (names from HOSTILE in pickle_oracle.py). */
    private static final List<String> HOSTILE = List.of("os_system_p0", "os_system_p2", "os_system_p4",
            "instance_p4", "metadata_with_instance_p4", "auth_with_instance_p4", "ordered_dict_p2", "fraction_p4",
            "datetime_p4", "set_p4", "frozenset_p4", "bytearray_p5");

    /** Plain values pickled by CPython that exercise the opcodes of PROTOCOL.md §2 (EDGE in the script). */
    private static final List<String> EDGE = List.of("memo_binget_p4", "memo_long_binget_p4",
            "frames_and_large_values_p4", "numbers_p4", "strings_and_bytes_p4", "containers_p4", "odd_keys_p4",
            "metadata_p3", "metadata_p2");

    private static List<String> folders;
    private static final Map<String, Vector> VECTOR_BY_NAME = new LinkedHashMap<>();
    private static final Map<String, Throwable> LOAD_ERRORS = new LinkedHashMap<>();
    /** What our server sends for each s2c vector, built from records and codecs. */
    private static final Map<String, byte[][]> OURS = new LinkedHashMap<>();
    private static final Map<String, Throwable> OURS_ERRORS = new LinkedHashMap<>();
    /** What a real {@link Session} sends for the s2c vectors it produces itself. */
    private static final Map<String, byte[][]> FROM_SESSION = new LinkedHashMap<>();
    private static final Map<String, String> SESSION_ERRORS = new LinkedHashMap<>();
    private static RuntimeException sessionFailure;
    private static Oracle oracle;

    @BeforeAll
    static void setUp() throws Exception {
        if (!Files.isDirectory(VECTORS)) {
            fail("Test vectors not found at " + VECTORS + " (the project directory is " + PROJECT_DIR + ")");
        }
        try (Stream<Path> list = Files.list(VECTORS)) {
            folders = list.filter(Files::isDirectory).map(p -> p.getFileName().toString()).sorted().toList();
        }
        for (String name : folders) {
            try {
                VECTOR_BY_NAME.put(name, Vector.load(VECTORS.resolve(name)));
            } catch (IOException | RuntimeException | AssertionError e) {
                LOAD_ERRORS.put(name, e);
            }
        }
        Set<String> questions = new LinkedHashSet<>();
        for (Vector v : VECTOR_BY_NAME.values()) {
            Kind kind = Kind.of(v.name);
            if (kind == null) {
                continue; // its test case fails: no check knows it
            }
            for (int i : kind.pickleFrames) {
                if (i < v.frames.size()) {
                    questions.add(Oracle.canonicalQuestion(v.frame(i)));
                }
            }
            if (v.name.equals("cmd_c2s_RepServerSnapshotCommand_SET")) {
                byte[] deps = nestedDependencies(v.frame(2));
                if (deps != null) {
                    questions.add(Oracle.canonicalQuestion(deps));
                }
            }
            if (kind.fromServer) {
                try {
                    byte[][] ours = oursFor(v.name, v);
                    OURS.put(v.name, ours);
                    for (int i : kind.valueFrames) {
                        questions.add(Oracle.canonicalQuestion(ours[i]));
                        questions.add(Oracle.equalQuestion(ours[i], v.frame(i)));
                    }
                } catch (Exception | AssertionError e) {
                    OURS_ERRORS.put(v.name, e);
                }
            }
        }
        try {
            sessionScenario();
        } catch (RuntimeException e) {
            sessionFailure = e; // reported by sessionRepliesMatchTheOriginalServer, not by every test
        }
        FROM_SESSION.forEach((name, frames) -> {
            questions.add(Oracle.canonicalQuestion(frames[2]));
            Vector v = VECTOR_BY_NAME.get(name);
            if (v != null && v.frames.size() == 3) {
                questions.add(Oracle.equalQuestion(frames[2], v.frame(2)));
            }
        });
        HOSTILE.forEach(name -> questions.add("G " + name));
        EDGE.forEach(name -> questions.add("V " + name));
        oracle = Oracle.ask(questions);
    }

    // ---------------------------------------------------------------- the captured vectors

    @Test
    void everyVectorFolderIsFoundAndKnown() {
        assertThat(folders).as("vector folders in %s", VECTORS).isNotEmpty();
        assertThat(VECTOR_BY_NAME.size() + LOAD_ERRORS.size()).as("vectors read").isEqualTo(folders.size());
        assertThat(folders).as("every folder has a check (else it would be silently skipped)")
                .allSatisfy(name -> assertThat(Kind.of(name)).as(name).isNotNull());
        // Both directions and both message families must be present, or the capture is incomplete.
        for (Kind kind : Kind.values()) {
            assertThat(folders).as("vectors of kind %s", kind).anyMatch(name -> Kind.of(name) == kind);
        }
        assertThat(everyCapturedVector().count()).as("one test case per folder").isEqualTo(folders.size());
    }

    @TestFactory
    Stream<DynamicTest> everyCapturedVector() {
        return folders.stream().map(name -> DynamicTest.dynamicTest(name, () -> checkVector(name)));
    }

    private static void checkVector(String name) throws Exception {
        if (LOAD_ERRORS.containsKey(name)) {
            throw new AssertionError("cannot read vector " + name, LOAD_ERRORS.get(name));
        }
        Kind kind = Kind.of(name);
        assertThat(kind).as("no check knows vector %s; add one to VectorCodecTest", name).isNotNull();
        Vector v = VECTOR_BY_NAME.get(name);
        assertThat(v.frames).as("%s: frame count", name).hasSize(kind.frameCount);
        // Our unpickler reads every pickle frame, whichever direction, exactly as CPython does.
        for (int i : kind.pickleFrames) {
            assertThat(Canonical.of(Pickles.loads(v.frame(i))))
                    .as("%s frame %d: canonical form of Pickles.loads vs CPython pickle.loads", name, i)
                    .isEqualTo(oracle.canonical(v.frame(i)));
        }
        switch (kind) {
            case CMD_C2S -> checkClientCommand(name, v);
            case DATABLOCK_C2S_HEADER -> checkClientHeader(name, v);
            case DATABLOCK_C2S_CHUNK -> {
                // The payload is opaque to the server: the canonical check above is all there is to decode.
            }
            case CMD_S2C, DATABLOCK_S2C_HEADER, DATABLOCK_S2C_CHUNK -> {
                if (OURS_ERRORS.containsKey(name)) {
                    throw new AssertionError("cannot build our message for " + name, OURS_ERRORS.get(name));
                }
                assertSameMessage(name, kind, OURS.get(name), v);
            }
        }
    }

    private static void checkClientCommand(String name, Vector v) throws Exception {
        String type = utf8(v.frame(1));
        ClientCommand command = CommandCodec.decode(type, v.frame(2));
        Object py = oracle.value(v.frame(2));
        switch (type) {
            case "RepAuthCommand" -> {
                ClientCommand.Auth auth = as(command, ClientCommand.Auth.class);
                Map<?, ?> d = dict(py);
                assertThat(auth.admin()).as("admin").isEqualTo("ADMIN".equals(d.get("AUTH_TYPE")));
                assertThat(auth.name()).as("name").isEqualTo(d.get("AUTH_ID")).isEqualTo(utf8(v.frame(0)));
                assertThat(auth.password()).as("password").isEqualTo(d.get("PWD"));
                assertThat(auth.version()).as("version").isEqualTo(d.get("VERSION"));
            }
            case "RepUpdateUserMetadata" -> assertThat(
                    Canonical.of(as(command, ClientCommand.UpdateUserMetadata.class).metadata()))
                    .as("metadata").isEqualTo(oracle.canonical(v.frame(2)));
            case "RepSnapshotCommand" -> {
                Map<?, ?> d = dict(py);
                switch ((String) d.get("STATE")) {
                    case "REQUEST_INIT" -> as(command, ClientCommand.SnapshotRequestInit.class);
                    case "DONE" -> as(command, ClientCommand.SnapshotDone.class);
                    case "GET" -> assertThat(as(command, ClientCommand.SnapshotGet.class).uuid()).as("GET ID")
                            .isEqualTo(d.get("ID"));
                    default -> fail("%s: unexpected STATE %s", name, d.get("STATE"));
                }
            }
            case "RepServerSnapshotCommand" -> {
                Map<?, ?> d = dict(py);
                switch ((String) d.get("STATE")) {
                    case "INIT" -> {
                        ClientCommand.UploadInit init = as(command, ClientCommand.UploadInit.class);
                        assertThat(BigInteger.valueOf(init.size())).as("SIZE").isEqualTo(d.get("SIZE"));
                        assertThat(init.nodes()).as("NODES").isEqualTo(d.get("NODES"));
                    }
                    case "SET" -> {
                        Node node = as(command, ClientCommand.UploadSet.class).node();
                        Map<?, ?> data = dict(d.get("DATA"));
                        assertThat(node.uuid()).as("uuid").isEqualTo(utf8((byte[]) data.get("uuid")));
                        assertThat(node.owner()).as("owner").isEqualTo(utf8((byte[]) data.get("owner")));
                        assertThat(node.type()).as("type").isEqualTo(utf8((byte[]) data.get("type")));
                        assertThat(node.payload().toArray()).as("payload bytes").isEqualTo(data.get("data"));
                        // 'dependencies' is a pickle inside the pickle: CPython decodes that one too.
                        assertThat(node.dependencies()).as("dependencies")
                                .isEqualTo(dependencies(oracle.value((byte[]) data.get("dependencies"))));
                    }
                    case "END" -> as(command, ClientCommand.UploadEnd.class);
                    default -> fail("%s: unexpected STATE %s", name, d.get("STATE"));
                }
            }
            case "RepRightCommand" -> {
                ClientCommand.ChangeRights rights = as(command, ClientCommand.ChangeRights.class);
                assertThat(rights.uuids()).as("uuid").containsExactly((String) dict(py).get("uuid"));
                assertThat(rights.owner()).as("owner").isEqualTo(dict(py).get("owner"));
            }
            case "RepDeleteCommand" -> assertThat(as(command, ClientCommand.Delete.class).uuid()).as("uuid")
                    .isEqualTo(py);
            case "RepKickCommand" -> assertThat(as(command, ClientCommand.Kick.class).user()).as("user")
                    .isEqualTo(dict(py).get("user"));
            default -> fail("%s: no typed check for command type %s", name, type);
        }
    }

    private static void checkClientHeader(String name, Vector v) throws Exception {
        // Exactly the 6 frames the PULL socket receives: frame 0 is the pusher's identity.
        DatablockCodec.Header h = DatablockCodec.decodeHeader(v.frames);
        assertThat(h.sender()).as("sender identity").isEqualTo(ClientId.of(v.frame(0)));
        assertThat(h.uuid()).as("uuid").isEqualTo(utf8(v.frame(1)));
        assertThat(h.owner()).as("owner").isEqualTo(utf8(v.frame(2)));
        assertThat(h.type()).as("type").isEqualTo(utf8(v.frame(3)));
        assertThat(BigInteger.valueOf(h.chunkCount())).as("chunk count").isEqualTo(oracle.value(v.frame(4)));
        assertThat(h.dependencies()).as("dependencies").isEqualTo(dependencies(oracle.value(v.frame(5))));
    }

    /** Plain frames byte for byte; pickle frames by value in CPython (byte equality is not required). */
    private static void assertSameMessage(String name, Kind kind, byte[][] ours, Vector theirs) {
        assertThat(ours.length).as("%s: our frame count", name).isEqualTo(theirs.frames.size());
        Set<Integer> byValue = Set.copyOf(kind.valueFrames);
        for (int i = 0; i < ours.length; i++) {
            if (byValue.contains(i)) {
                byte[] pickle = ours[i];
                assertThat(pickle.length >= 2 && pickle[0] == (byte) 0x80 && pickle[1] >= 2 && pickle[1] <= 4)
                        .as("%s frame %d: our pickle must be protocol 2..4 (Python 3.7 cannot read 5), starts %s",
                                name, i, HEX.formatHex(pickle, 0, Math.min(2, pickle.length)))
                        .isTrue();
                assertThat(oracle.equal(pickle, theirs.frame(i)))
                        .as("%s frame %d: CPython pickle.loads(ours) == pickle.loads(vector)", name, i).isTrue();
                assertThat(oracle.canonical(pickle)).as("%s frame %d: exact value (types too)", name, i)
                        .isEqualTo(oracle.canonical(theirs.frame(i)));
            } else {
                assertThat(HEX.formatHex(ours[i])).as("%s frame %d (%s): bytes", name, i, printable(theirs.frame(i)))
                        .isEqualTo(HEX.formatHex(theirs.frame(i)));
            }
        }
    }

    /** Our message for an s2c vector, with the vector's own parameters (uuids, payload). */
    private static byte[][] oursFor(String name, Vector v) throws Exception {
        return switch (name) {
            case "cmd_s2c_RepAuthCommand_FAILED_client_already_logged_in" -> CommandCodec.encode(
                    ServerCommand.AuthReply.failed("client already logged in"));
            case "cmd_s2c_RepAuthCommand_FAILED_wrong_client_version_0_0_1_forged" -> CommandCodec.encode(
                    ServerCommand.AuthReply.failed("wrong client version (0.0.1-forged != 0.1.25)"));
            case "cmd_s2c_RepAuthCommand_FAILED_wrong_password" -> CommandCodec.encode(
                    ServerCommand.AuthReply.failed("wrong password"));
            case "cmd_s2c_RepAuthCommand_LOBBY" -> CommandCodec.encode(ServerCommand.AuthReply.LOBBY);
            case "cmd_s2c_RepAuthCommand_RUNNING" -> CommandCodec.encode(ServerCommand.AuthReply.RUNNING);
            case "cmd_s2c_RepUpdateClientsState" -> CommandCodec.encode(new ServerCommand.ClientsState(
                    Map.of("alice", new UserView("alice", true, 999, UserView.STATUS_LOBBY, Map.of()))));
            case "cmd_s2c_RepSnapshotCommand_INIT" -> {
                List<String> catalog = PyValues.strList(PyValues.dict(Pickles.loads(v.frame(2)), "data")
                        .get("CATALOG"), "CATALOG", false);
                yield CommandCodec.encode(new ServerCommand.Catalog(catalog));
            }
            case "cmd_s2c_RepServerSnapshotCommand_ACCEPTED" -> CommandCodec.encode(
                    ServerCommand.UploadReply.ACCEPTED);
            case "cmd_s2c_RepServerSnapshotCommand_DONE" -> CommandCodec.encode(ServerCommand.UploadReply.DONE);
            case "cmd_s2c_RepRightCommand" -> CommandCodec.encode(new ServerCommand.RightChanged("bob",
                    PyValues.str(PyValues.dict(Pickles.loads(v.frame(2)), "data").get("uuid"), "uuid"), "bob"));
            case "cmd_s2c_RepDeleteCommand" -> CommandCodec.encode(
                    new ServerCommand.Deleted("client", PyValues.str(Pickles.loads(v.frame(2)), "uuid")));
            case "cmd_s2c_RepDisconnectCommand" -> CommandCodec.encode(ServerCommand.Disconnect.KICKED);
            case "datablock_s2c_header" -> DatablockCodec.encodeHeader(s2cNode());
            case "datablock_s2c_chunk" -> new byte[][] {s2cNode().payload().toArray()}; // as SocketOutbox.push sends it
            default -> throw new AssertionError("no server message known for s2c vector " + name);
        };
    }

    /** The node of the datablock_s2c_* pair, from its header fields and its chunk. */
    private static Node s2cNode() throws Exception {
        Vector header = VECTOR_BY_NAME.get("datablock_s2c_header");
        Vector chunk = VECTOR_BY_NAME.get("datablock_s2c_chunk");
        if (header == null || chunk == null) {
            throw new AssertionError("datablock_s2c_header and datablock_s2c_chunk are needed together");
        }
        List<String> deps = PyValues.strList(Pickles.loads(header.frame(5)), "dependencies", true);
        return new Node(utf8(header.frame(1)), utf8(header.frame(2)), utf8(header.frame(3)), deps,
                chunk.frame(0));
    }

    // ---------------------------------------------------------------- replies a real Session produces

    /**
     * The texts and structures of these replies are composed by {@link Session} (the refusal
     * reasons, the clients-state entry of a fresh login), so they are checked as a Session
     * really sends them, not only as records built by hand.
     */
    @TestFactory
    Stream<DynamicTest> sessionRepliesMatchTheOriginalServer() {
        return Stream.of("cmd_s2c_RepUpdateClientsState", "cmd_s2c_RepAuthCommand_LOBBY",
                "cmd_s2c_RepAuthCommand_RUNNING", "cmd_s2c_RepAuthCommand_FAILED_client_already_logged_in",
                "cmd_s2c_RepAuthCommand_FAILED_wrong_password",
                "cmd_s2c_RepAuthCommand_FAILED_wrong_client_version_0_0_1_forged",
                "cmd_s2c_RepServerSnapshotCommand_ACCEPTED", "cmd_s2c_RepServerSnapshotCommand_DONE")
                .map(name -> DynamicTest.dynamicTest(name, () -> {
                    if (sessionFailure != null) {
                        throw new AssertionError("the session scenario failed", sessionFailure);
                    }
                    assertThat(SESSION_ERRORS.get(name)).as("session scenario for %s", name).isNull();
                    assertThat(VECTOR_BY_NAME).as("vector %s", name).containsKey(name);
                    assertSameMessage(name, Kind.CMD_S2C, FROM_SESSION.get(name), VECTOR_BY_NAME.get(name));
                }));
    }

    /** Logins and an upload as in the captures: admin password 'admin', server version 0.1.25. */
    private static void sessionScenario() {
        RecordingOutbox out = new RecordingOutbox(() -> 0L);
        Session session = new Session(SessionSettings.of("admin", List.of("0.1.25"), 5000), out, () -> 0L);
        ClientId alice = id(1);
        ClientId alice2 = id(2);
        ClientId bob = id(3);
        ClientId forged = id(4);
        ClientId dave = id(5);
        session.onCommand(alice, "alice", new ClientCommand.Auth(true, "alice", "admin", "0.1.25"), "test");
        // MUST: the clients state comes first, then the auth answer.
        take("cmd_s2c_RepUpdateClientsState", out.commandsTo(alice), 0, ServerCommand.ClientsState.class);
        take("cmd_s2c_RepAuthCommand_LOBBY", out.commandsTo(alice), 1, ServerCommand.AuthReply.class);
        session.onCommand(alice2, "alice", new ClientCommand.Auth(false, "alice", null, "0.1.25"), "test");
        take("cmd_s2c_RepAuthCommand_FAILED_client_already_logged_in", out.commandsTo(alice2), 0,
                ServerCommand.AuthReply.class);
        session.onCommand(bob, "bob", new ClientCommand.Auth(true, "bob", "not-the-password", "0.1.25"), "test");
        take("cmd_s2c_RepAuthCommand_FAILED_wrong_password", out.commandsTo(bob), 0, ServerCommand.AuthReply.class);
        session.onCommand(forged, "mallory", new ClientCommand.Auth(false, "mallory", null, "0.0.1-forged"), "test");
        take("cmd_s2c_RepAuthCommand_FAILED_wrong_client_version_0_0_1_forged", out.commandsTo(forged), 0,
                ServerCommand.AuthReply.class);
        String uuid = "663f2ebc-c922-4677-90da-8f169089aea6";
        session.onCommand(alice, "server", new ClientCommand.UploadInit(1, List.of(uuid)), "test");
        take("cmd_s2c_RepServerSnapshotCommand_ACCEPTED", out.commandsTo(alice), 2, ServerCommand.UploadReply.class);
        session.onCommand(alice, "server", new ClientCommand.UploadSet(
                new Node(uuid, Node.COMMON, "SynthNode", List.of(), new byte[] {1, 2, 3})), "test");
        take("cmd_s2c_RepServerSnapshotCommand_DONE", out.commandsTo(alice), 3, ServerCommand.UploadReply.class);
        session.onCommand(dave, "dave", new ClientCommand.Auth(false, "dave", null, "0.1.25"), "test");
        take("cmd_s2c_RepAuthCommand_RUNNING", out.commandsTo(dave), 1, ServerCommand.AuthReply.class);
    }

    private static void take(String vector, List<ServerCommand> sent, int index, Class<?> type) {
        if (sent.size() <= index || !type.isInstance(sent.get(index))) {
            SESSION_ERRORS.put(vector, "expected a " + type.getSimpleName() + " at position " + index
                    + " of what the session sent, got " + sent);
        } else {
            FROM_SESSION.put(vector, CommandCodec.encode(sent.get(index)));
        }
    }

    // ---------------------------------------------------------------- the unpickler against CPython

    @TestFactory
    Stream<DynamicTest> picklesWrittenByCPythonReadTheSame() {
        return EDGE.stream().map(name -> DynamicTest.dynamicTest(name, () -> {
            String[] answer = oracle.answer("V " + name).split(" ");
            byte[] pickle = HEX.parseHex(answer[0]);
            assertThat(Canonical.of(Pickles.loads(pickle))).as("%s: Pickles.loads vs the value CPython pickled", name)
                    .isEqualTo(answer[1]);
        }));
    }

    // ---------------------------------------------------------------- hostile and broken input

    @TestFactory
    Stream<DynamicTest> picklesThatNameOrCallCodeAreRefused() {
        Stream<DynamicTest> written = HOSTILE.stream().map(name -> DynamicTest.dynamicTest(name, () -> {
            byte[] pickle = oracle.hostile(name);
            assertRejected(name + " via Pickles.loads", () -> Pickles.loads(pickle));
            assertRejected(name + " as RepAuthCommand", () -> CommandCodec.decode("RepAuthCommand", pickle));
            assertRejected(name + " as RepUpdateUserMetadata",
                    () -> CommandCodec.decode("RepUpdateUserMetadata", pickle));
            assertRejected(name + " as datablock dependencies", () -> DatablockCodec.decodeHeader(
                    List.of(new byte[16], ascii("u"), ascii("o"), ascii("t"), pickle(1), pickle)));
        }));
        // Hand-written too, so the test does not depend on how CPython happens to pickle: GLOBAL os.system + REDUCE.
        byte[] osSystem = ascii("cos\nsystem\n(S'echo pwned'\ntR.");
        // Protocol 2: GLOBAL builtins.eval, a tuple argument, REDUCE.
        byte[] eval = HEX.parseHex("8002636275696c74696e730a6576616c0a" + "5805000000312b312b31" + "85" + "52" + "2e");
        Stream<DynamicTest> handWritten = Stream.of(
                DynamicTest.dynamicTest("hand-written GLOBAL os.system REDUCE",
                        () -> assertRejected("os.system", () -> Pickles.loads(osSystem))),
                DynamicTest.dynamicTest("hand-written protocol 2 GLOBAL builtins.eval REDUCE",
                        () -> assertRejected("eval", () -> Pickles.loads(eval))));
        return Stream.concat(written, handWritten);
    }

    @Test
    void everyTruncationOfEveryVectorPickleIsRefused() {
        int checked = 0;
        for (Vector v : VECTOR_BY_NAME.values()) {
            Kind kind = Kind.of(v.name);
            if (kind == null) {
                continue;
            }
            for (int i : kind.pickleFrames) {
                byte[] whole = v.frame(i);
                for (int length = 0; length < whole.length; length++) {
                    byte[] prefix = java.util.Arrays.copyOf(whole, length);
                    int cut = length;
                    assertRejected(v.name + " frame " + i + " cut to " + cut + " of " + whole.length + " bytes",
                            () -> Pickles.loads(prefix));
                    checked++;
                }
            }
        }
        assertThat(checked).as("truncations checked").isGreaterThan(1000);
    }

    /**
     * The library allocates an announced length before reading it; a 20-byte frame claiming up
     * to 2^64 bytes must be refused from its length, never by an OutOfMemoryError.
     */
    @TestFactory
    Stream<DynamicTest> hugeLengthClaimsAreRefused() {
        record Claim(String opcode, int code, int width, long length) {
        }
        List<Claim> claims = new ArrayList<>();
        for (long length : new long[] {0x7fff_fff0L, 0x8000_0000L, 1L << 32, Long.MAX_VALUE, -1L, 21L}) {
            claims.add(new Claim("BINBYTES8", 0x8e, 8, length));
            claims.add(new Claim("BINUNICODE8", 0x8d, 8, length));
        }
        for (long length : new long[] {0x7fff_fff0L, 0x8000_0000L, 0xffff_ffffL, 21L}) {
            claims.add(new Claim("BINBYTES", 'B', 4, length));
            claims.add(new Claim("BINUNICODE", 'X', 4, length));
        }
        return claims.stream().map(c -> DynamicTest.dynamicTest(c.opcode + " of " + Long.toUnsignedString(c.length)
                + " bytes in a 20-byte frame", () -> {
                    byte[] frame = new byte[20];
                    java.util.Arrays.fill(frame, (byte) 'x');
                    frame[0] = (byte) 0x80;
                    frame[1] = 4;
                    frame[2] = (byte) c.code;
                    for (int i = 0; i < c.width; i++) {
                        frame[3 + i] = (byte) (c.length >>> (8 * i)); // little-endian, as pickle writes it
                    }
                    frame[19] = '.';
                    assertRejected("Pickles.loads", () -> Pickles.loads(frame));
                    assertRejected("CommandCodec.decode", () -> CommandCodec.decode("RepAuthCommand", frame));
                }));
    }

    @Test
    void valuesOfTheWrongShapeAreRefused() throws Exception {
        byte[] list = pickle(List.of("STATE", "GET"));
        byte[] text = pickle("LOBBY");
        byte[] none = pickle(null);
        byte[] number = pickle(7);
        byte[] tuple = pickle(new Object[] {"a"});
        byte[] bytes = pickle(new byte[] {1});
        for (String type : List.of("RepAuthCommand", "RepUpdateUserMetadata", "RepSnapshotCommand",
                "RepServerSnapshotCommand", "RepRightCommand", "RepKickCommand")) {
            for (byte[] notADict : List.of(list, text, none, number, tuple, bytes)) {
                assertRejected(type + " with " + HEX.formatHex(notADict), () -> CommandCodec.decode(type, notADict));
            }
        }
        for (byte[] notAStr : List.of(list, none, number, pickle(Map.of("uuid", "x")), bytes)) {
            assertRejected("RepDeleteCommand with " + HEX.formatHex(notAStr),
                    () -> CommandCodec.decode("RepDeleteCommand", notAStr));
        }
        // Dicts with the right type but a wrong field.
        Map<String, Object> auth = new LinkedHashMap<>(Map.of("AUTH_TYPE", "ADMIN", "AUTH_ID", "alice", "PWD", "x",
                "VERSION", "0.1.25"));
        assertDecodes("RepAuthCommand", auth);
        assertFieldRefused("RepAuthCommand", auth, "AUTH_TYPE", "ROOT");
        assertFieldRefused("RepAuthCommand", auth, "AUTH_TYPE", null);
        assertFieldRefused("RepAuthCommand", auth, "AUTH_ID", 5);
        assertFieldRefused("RepAuthCommand", auth, "AUTH_ID", "");
        assertFieldRefused("RepAuthCommand", auth, "PWD", List.of("x"));
        assertFieldRefused("RepAuthCommand", auth, "VERSION", null);
        assertFieldRefused("RepKickCommand", Map.of("user", "bob"), "user", new byte[] {'b'});
        assertFieldRefused("RepRightCommand", Map.of("uuid", "u", "owner", "bob"), "owner", null);
        assertFieldRefused("RepSnapshotCommand", Map.of("STATE", "GET", "ID", "u"), "ID", 1);
        assertFieldRefused("RepSnapshotCommand", Map.of("STATE", "GET", "ID", "u"), "STATE", "FETCH");
        assertFieldRefused("RepServerSnapshotCommand", Map.of("STATE", "INIT", "SIZE", 1, "NODES", List.of("u")),
                "SIZE", "1");
        assertFieldRefused("RepServerSnapshotCommand", Map.of("STATE", "INIT", "SIZE", 1, "NODES", List.of("u")),
                "NODES", List.of(1));
        Map<String, Object> node = Map.of("owner", ascii("COMMON"), "uuid", ascii("u"), "type", ascii("T"),
                "dependencies", pickle(List.of("d")), "data", new byte[] {1});
        assertDecodes("RepServerSnapshotCommand", Map.of("STATE", "SET", "DATA", node));
        assertFieldRefused("RepServerSnapshotCommand", Map.of("STATE", "SET", "DATA", node), "DATA", List.of());
        for (Object bad : new Object[] {ascii("not a pickle"), pickle(Map.of()), pickle(List.of(1)),
            "a str, not bytes", null}) {
            Map<String, Object> withBadDeps = new LinkedHashMap<>(node);
            withBadDeps.put("dependencies", bad);
            assertRejected("SET with dependencies " + bad, () -> CommandCodec.decode("RepServerSnapshotCommand",
                    pickle(Map.of("STATE", "SET", "DATA", withBadDeps))));
        }
        for (String field : List.of("owner", "uuid", "type", "data")) {
            Map<String, Object> withStr = new LinkedHashMap<>(node);
            withStr.put(field, "a str where bytes are due");
            assertRejected("SET with str " + field, () -> CommandCodec.decode("RepServerSnapshotCommand",
                    pickle(Map.of("STATE", "SET", "DATA", withStr))));
        }
    }

    @Test
    void unknownCommandTypesAreRefused() throws Exception {
        byte[] validAuth = VECTOR_BY_NAME.get("cmd_c2s_RepAuthCommand_ADMIN").frame(2);
        assertThat(CommandCodec.decode("RepAuthCommand", validAuth)).isInstanceOf(ClientCommand.Auth.class);
        for (String type : List.of("", "RepFooCommand", "repauthcommand", "RepAuthCommand ", "RepAuthCommand\0",
                "RepUpdateClientsState", "RepDisconnectCommand", "\u00e9\u0000\u0001", "x".repeat(10_000))) {
            assertRejected("type name '" + CommandCodec.printable(type) + "'",
                    () -> CommandCodec.decode(type, validAuth));
        }
    }

    @Test
    void malformedDatablockHeadersAreRefused() {
        List<byte[]> good = VECTOR_BY_NAME.get("datablock_c2s_header").frames;
        assertThat(catchThrowable(() -> DatablockCodec.decodeHeader(good))).as("the captured header").isNull();
        assertRejected("5 frames", () -> DatablockCodec.decodeHeader(good.subList(0, 5)));
        assertRejected("7 frames", () -> DatablockCodec.decodeHeader(
                Stream.concat(good.stream(), Stream.of(new byte[1])).toList()));
        assertRejected("empty identity", () -> DatablockCodec.decodeHeader(replace(good, 0, new byte[0])));
        assertRejected("empty uuid", () -> DatablockCodec.decodeHeader(replace(good, 1, new byte[0])));
        byte[] notUtf8 = {(byte) 0xc3};
        assertRejected("uuid not UTF-8", () -> DatablockCodec.decodeHeader(replace(good, 1, notUtf8)));
        assertRejected("owner not UTF-8", () -> DatablockCodec.decodeHeader(replace(good, 2, notUtf8)));
        for (Object count : new Object[] {0, -1, 1_000_000, 1L << 40, "1", null, List.of(1), 1.0}) {
            assertRejected("chunk count " + count,
                    () -> DatablockCodec.decodeHeader(replace(good, 4, pickle(count))));
        }
        assertRejected("chunk count not a pickle", () -> DatablockCodec.decodeHeader(replace(good, 4, ascii("1"))));
        for (Object deps : new Object[] {Map.of("a", "b"), "uuid", List.of(1), 5}) {
            assertRejected("dependencies " + deps,
                    () -> DatablockCodec.decodeHeader(replace(good, 5, pickle(deps))));
        }
    }

    /**
     * Random damage to every captured command and header (fixed seed, so reproducible): the
     * decoders either decode or throw MalformedMessageException, never anything else.
     */
    @Test
    void damagedVectorsOnlyEverFailWithMalformedMessage() {
        Random random = new Random(20240611);
        List<String> escaped = new ArrayList<>();
        int runs = 0;
        for (Vector v : VECTOR_BY_NAME.values()) {
            Kind kind = Kind.of(v.name);
            if (kind != Kind.CMD_C2S && kind != Kind.CMD_S2C && kind != Kind.DATABLOCK_C2S_HEADER) {
                continue;
            }
            for (int run = 0; run < 400; run++) {
                int target = kind == Kind.DATABLOCK_C2S_HEADER ? 4 + random.nextInt(2) : 2;
                byte[] damaged = v.frame(target).clone();
                int hits = 1 + random.nextInt(3);
                for (int h = 0; h < hits; h++) {
                    damaged[random.nextInt(damaged.length)] = (byte) random.nextInt(256);
                }
                List<byte[]> frames = replace(v.frames, target, damaged);
                String type = utf8(v.frame(1));
                Throwable t = catchThrowable(() -> {
                    if (kind == Kind.DATABLOCK_C2S_HEADER) {
                        DatablockCodec.decodeHeader(frames);
                    } else {
                        CommandCodec.decode(type, damaged);
                    }
                });
                runs++;
                if (t != null && !(t instanceof MalformedMessageException)) {
                    escaped.add(v.name + " damaged to " + HEX.formatHex(damaged) + ": " + t);
                }
            }
        }
        assertThat(runs).isGreaterThan(1000);
        assertThat(escaped).as("exceptions other than MalformedMessageException").isEmpty();
    }

    /**
     * Pickles CPython itself refuses, or reads differently, that our unpickler currently accepts.
     * Each one reaches the session (see the report to the lead): enable once SafeUnpickler refuses them.
     */
    @Test
    void picklesCPythonRefusesAreRefusedToo() throws Exception {
        // EMPTY_DICT 'color' MARK SETITEM: CPython 'unexpected MARK found'; razorvine stores its internal marker
        // object as the value, which Pickles.dumps cannot write back: every later clients-state broadcast throws.
        assertRejected("stray MARK as a value", () -> CommandCodec.decode("RepUpdateUserMetadata",
                HEX.parseHex("80047d8c05636f6c6f7228732e")));
        // {'m': {[1]: 2}}: CPython 'unhashable type: list'; we would re-broadcast it and every client would fail.
        assertRejected("list as a dict key", () -> CommandCodec.decode("RepUpdateUserMetadata",
                HEX.parseHex("80047d8c016d7d5d4b01614b0273732e")));
        // {'k': 1, 'k': 2} in one SETITEMS: CPython keeps the last value (2).
        assertThat(Pickles.loads(HEX.parseHex("80047d288c016b4b018c016b4b02752e")))
                .isEqualTo(Map.of("k", 2));
    }

    // ---------------------------------------------------------------- helpers

    private static void assertRejected(String what, ThrowingCallable call) {
        Throwable thrown = catchThrowable(call);
        if (!(thrown instanceof MalformedMessageException)) {
            throw new AssertionError(what + ": expected MalformedMessageException, got "
                    + (thrown == null ? "no exception" : thrown.toString()), thrown);
        }
    }

    private static void assertDecodes(String type, Map<String, Object> data) throws MalformedMessageException {
        assertThat(CommandCodec.decode(type, pickle(data))).as("%s %s", type, data).isNotNull();
    }

    private static void assertFieldRefused(String type, Map<String, Object> valid, String field, Object value) {
        Map<String, Object> data = new LinkedHashMap<>(valid);
        data.put(field, value);
        assertRejected(type + " with " + field + "=" + value, () -> CommandCodec.decode(type, pickle(data)));
    }

    /**
     * A protocol-3 pickle as CPython writes it (BINBYTES for bytes), written here so the negative
     * tests depend neither on our Pickles.dumps (protocol 2 has no bytes opcode) nor on Python.
     */
    static byte[] pickle(Object value) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        out.write(0x80);
        out.write(3);
        writePickle(value, out);
        out.write('.');
        return out.toByteArray();
    }

    private static void writePickle(Object v, java.io.ByteArrayOutputStream out) {
        if (v == null) {
            out.write('N');
        } else if (v instanceof Boolean b) {
            out.write(b ? 0x88 : 0x89);
        } else if (v instanceof Integer i) {
            out.write('J');
            writeLittleEndian(i, 4, out);
        } else if (v instanceof Long || v instanceof BigInteger) {
            byte[] bigEndian = new BigInteger(v.toString()).toByteArray();
            out.write(0x8a); // LONG1: little-endian two's complement
            out.write(bigEndian.length);
            for (int i = bigEndian.length - 1; i >= 0; i--) {
                out.write(bigEndian[i]);
            }
        } else if (v instanceof Double d) {
            out.write('G');
            long bits = Double.doubleToRawLongBits(d);
            for (int i = 7; i >= 0; i--) {
                out.write((int) (bits >>> (8 * i)));
            }
        } else if (v instanceof String s) {
            byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
            out.write('X');
            writeLittleEndian(utf8.length, 4, out);
            out.writeBytes(utf8);
        } else if (v instanceof byte[] b) {
            out.write('B');
            writeLittleEndian(b.length, 4, out);
            out.writeBytes(b);
        } else if (v instanceof List<?> list) {
            out.write(']');
            for (Object item : list) {
                writePickle(item, out);
                out.write('a');
            }
        } else if (v instanceof Object[] tuple) {
            out.write('(');
            for (Object item : tuple) {
                writePickle(item, out);
            }
            out.write('t');
        } else if (v instanceof Map<?, ?> map) {
            out.write('}');
            for (Map.Entry<?, ?> e : map.entrySet()) {
                writePickle(e.getKey(), out);
                writePickle(e.getValue(), out);
                out.write('s');
            }
        } else {
            throw new IllegalArgumentException("cannot pickle " + v.getClass());
        }
    }

    private static void writeLittleEndian(long value, int width, java.io.ByteArrayOutputStream out) {
        for (int i = 0; i < width; i++) {
            out.write((int) (value >>> (8 * i)));
        }
    }

    private static <T> T as(ClientCommand command, Class<T> type) {
        assertThat(command).as("decoded command").isInstanceOf(type);
        return type.cast(command);
    }

    private static Map<?, ?> dict(Object value) {
        assertThat(value).as("CPython value").isInstanceOf(Map.class);
        return (Map<?, ?>) value;
    }

    /** What a decoded dependency list must be: CPython's list, or empty for None. */
    private static List<?> dependencies(Object py) {
        if (py == null) {
            return List.of();
        }
        assertThat(py).as("dependencies (CPython)").isInstanceOf(List.class);
        return (List<?>) py;
    }

    private static byte[] nestedDependencies(byte[] setPickle) {
        try {
            Map<?, ?> data = (Map<?, ?>) ((Map<?, ?>) Pickles.loads(setPickle)).get("DATA");
            return (byte[]) data.get("dependencies");
        } catch (MalformedMessageException | RuntimeException e) {
            return null; // the vector's own test case reports the decoding failure
        }
    }

    private static List<byte[]> replace(List<byte[]> frames, int index, byte[] frame) {
        List<byte[]> copy = new ArrayList<>(frames);
        copy.set(index, frame);
        return copy;
    }

    private static ClientId id(int n) {
        byte[] bytes = new byte[16];
        bytes[0] = (byte) n;
        return ClientId.of(bytes);
    }

    private static String utf8(byte[] frame) {
        return new String(frame, StandardCharsets.UTF_8);
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    private static String printable(byte[] frame) {
        return CommandCodec.printable(new String(frame, 0, Math.min(frame.length, 256), StandardCharsets.UTF_8));
    }

    /** Which frames of a vector are pickles, and which of ours are compared by value rather than bytes. */
    enum Kind {
        CMD_C2S(3, List.of(2), List.of(), false),
        CMD_S2C(3, List.of(2), List.of(2), true),
        DATABLOCK_C2S_HEADER(6, List.of(4, 5), List.of(), false),
        DATABLOCK_C2S_CHUNK(1, List.of(0), List.of(), false),
        DATABLOCK_S2C_HEADER(6, List.of(4, 5), List.of(4, 5), true),
        // The payload is forwarded unchanged: compared byte for byte, not by value.
        DATABLOCK_S2C_CHUNK(1, List.of(0), List.of(), true);

        final int frameCount;
        final List<Integer> pickleFrames;
        final List<Integer> valueFrames;
        final boolean fromServer;

        Kind(int frameCount, List<Integer> pickleFrames, List<Integer> valueFrames, boolean fromServer) {
            this.frameCount = frameCount;
            this.pickleFrames = pickleFrames;
            this.valueFrames = valueFrames;
            this.fromServer = fromServer;
        }

        static Kind of(String name) {
            if (name.startsWith("cmd_c2s_")) {
                return CMD_C2S;
            }
            if (name.startsWith("cmd_s2c_")) {
                return CMD_S2C;
            }
            return switch (name) {
                case "datablock_c2s_header" -> DATABLOCK_C2S_HEADER;
                case "datablock_c2s_chunk" -> DATABLOCK_C2S_CHUNK;
                case "datablock_s2c_header" -> DATABLOCK_S2C_HEADER;
                case "datablock_s2c_chunk" -> DATABLOCK_S2C_CHUNK;
                default -> null;
            };
        }
    }

    /** One captured message: frameN.bin, cross-checked against frames.hex. */
    record Vector(String name, List<byte[]> frames) {

        byte[] frame(int i) {
            return frames.get(i);
        }

        static Vector load(Path dir) throws IOException {
            String name = dir.getFileName().toString();
            List<String> hexLines = Files.readAllLines(dir.resolve("frames.hex"), StandardCharsets.US_ASCII);
            List<byte[]> frames = new ArrayList<>();
            for (int i = 0; Files.exists(dir.resolve("frame" + i + ".bin")); i++) {
                frames.add(Files.readAllBytes(dir.resolve("frame" + i + ".bin")));
            }
            if (frames.size() != hexLines.size()) {
                throw new AssertionError(name + ": " + frames.size() + " frameN.bin files but " + hexLines.size()
                        + " lines in frames.hex");
            }
            for (int i = 0; i < frames.size(); i++) {
                if (!HEX.formatHex(frames.get(i)).equals(hexLines.get(i).strip().toLowerCase())) {
                    throw new AssertionError(name + ": frame" + i + ".bin differs from line " + (i + 1)
                            + " of frames.hex");
                }
            }
            if (!Files.exists(dir.resolve("decoded.txt"))) {
                throw new AssertionError(name + ": decoded.txt is missing");
            }
            return new Vector(name, List.copyOf(frames));
        }
    }

    /** CPython's answers to every question of the class, asked in one run of pickle_oracle.py. */
    static final class Oracle {
        private final Map<String, String> answers;

        private Oracle(Map<String, String> answers) {
            this.answers = answers;
        }

        static String canonicalQuestion(byte[] pickle) {
            return "C " + HEX.formatHex(pickle);
        }

        static String equalQuestion(byte[] a, byte[] b) {
            return "E " + HEX.formatHex(a) + " " + HEX.formatHex(b);
        }

        String canonical(byte[] pickle) {
            return answer(canonicalQuestion(pickle));
        }

        Object value(byte[] pickle) {
            return Canonical.parse(canonical(pickle));
        }

        boolean equal(byte[] a, byte[] b) {
            return Boolean.parseBoolean(answer(equalQuestion(a, b)));
        }

        byte[] hostile(String name) {
            return HEX.parseHex(answer("G " + name));
        }

        /** The answer to a question asked in setUp; fails if CPython raised or it was never asked. */
        String answer(String question) {
            String a = answers.get(question);
            String shown = question.length() > 80 ? question.substring(0, 80) + "..." : question;
            if (a == null) {
                throw new AssertionError("question not asked in setUp(): " + shown);
            }
            if (!a.startsWith("OK ")) {
                throw new AssertionError("CPython failed on " + shown + ": " + a);
            }
            return a.substring(3);
        }

        static Oracle ask(Collection<String> questions) throws Exception {
            if (!Files.isExecutable(Paths.get(PYTHON))) {
                fail(PYTHON + " (Debian's python3) is required by this test; run .ci/setup to install it");
            }
            Path stderr = Files.createTempFile("pickle-oracle", ".err");
            Process process = new ProcessBuilder(PYTHON, ORACLE_SCRIPT.toString())
                    .redirectError(stderr.toFile()).start();
            CompletableFuture<String> stdout = CompletableFuture.supplyAsync(() -> readAll(process.getInputStream()));
            try (OutputStream in = process.getOutputStream()) {
                in.write(String.join("\n", questions).concat("\n").getBytes(StandardCharsets.US_ASCII));
            }
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                fail(ORACLE_SCRIPT + " did not answer within 60 s");
            }
            String output = stdout.get(10, TimeUnit.SECONDS);
            String errors = Files.readString(stderr);
            Files.deleteIfExists(stderr);
            if (process.exitValue() != 0) {
                fail(ORACLE_SCRIPT + " exited with " + process.exitValue() + ": " + errors);
            }
            List<String> lines = output.lines().toList();
            if (lines.size() != questions.size()) {
                fail(ORACLE_SCRIPT + " gave " + lines.size() + " answers to " + questions.size() + " questions: "
                        + errors);
            }
            Map<String, String> answers = new LinkedHashMap<>();
            int i = 0;
            for (String q : questions) {
                answers.put(q, lines.get(i++));
            }
            return new Oracle(answers);
        }

        private static String readAll(InputStream in) {
            try {
                return new String(in.readAllBytes(), StandardCharsets.US_ASCII);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }
    }
}
