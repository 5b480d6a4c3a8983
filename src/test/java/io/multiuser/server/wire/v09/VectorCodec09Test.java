package io.multiuser.server.wire.v09;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.assertj.core.api.Assertions.fail;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import io.multiuser.server.protocol.ClientCommand;
import io.multiuser.server.protocol.ClientId;
import io.multiuser.server.protocol.Commit;
import io.multiuser.server.protocol.DataMessage;
import io.multiuser.server.protocol.Datablock;
import io.multiuser.server.protocol.Delta;
import io.multiuser.server.protocol.Node;
import io.multiuser.server.protocol.Payload;
import io.multiuser.server.protocol.ServerCommand;
import io.multiuser.server.protocol.UserView;
import io.multiuser.server.wire.Canonical;
import io.multiuser.server.wire.MalformedMessageException;
import io.multiuser.server.wire.Pickles;
import io.multiuser.server.wire.PyValues;

/**
 * {@link V09Codec} against the frames captured from the real replication 0.9.10 client and server
 * (src/test/resources/vectors-0.9), with CPython's own {@code pickle} as the oracle
 * (src/test/python/pickle_oracle_09.py, one process for the class, asked line by line).
 * <ul>
 * <li>c2s: our decoders give the values decoded.txt shows (checked against CPython, and
 * decoded.txt itself against CPython's rendering of the same frames);</li>
 * <li>s2c: what we encode for the equivalent {@link ServerCommand} decodes in CPython to the same
 * values as the captured frames (bytes may differ; values, including their types, may not).</li>
 * </ul>
 */
class VectorCodec09Test {

    private static final HexFormat HEX = HexFormat.of();
    /** Debian's CPython, explicitly: the reference implementation of pickle. */
    private static final String PYTHON = "/usr/bin/python3";
    private static final Path PROJECT_DIR = Paths.get(System.getProperty("user.dir"));
    private static final Path VECTORS = PROJECT_DIR.resolve("src/test/resources/vectors-0.9");
    private static final Path ORACLE_SCRIPT = PROJECT_DIR.resolve("src/test/python/pickle_oracle_09.py");
    /** Opcodes that name or call code: never in a pickle the server writes. */
    private static final Set<String> CODE_OPCODES = Set.of("GLOBAL", "STACK_GLOBAL", "REDUCE", "INST", "OBJ",
            "NEWOBJ", "NEWOBJ_EX", "BUILD", "PERSID", "BINPERSID", "EXT1", "EXT2", "EXT4");
    /** Put into payloads of refused messages: no exception message may repeat it. */
    private static final String SECRET = "s3cr3t-payload";

    private static final Map<String, Vector> VECTORS_BY_NAME = new TreeMap<>();
    private static List<String> indexRows;
    private static Oracle oracle;

    @BeforeAll
    static void setUp() throws IOException {
        if (!Files.isDirectory(VECTORS)) {
            fail("Test vectors not found at " + VECTORS + " (the project directory is " + PROJECT_DIR + ")");
        }
        try (Stream<Path> list = Files.list(VECTORS)) {
            for (Path dir : list.filter(Files::isDirectory).toList()) {
                VECTORS_BY_NAME.put(dir.getFileName().toString(), Vector.load(dir));
            }
        }
        indexRows = Files.readAllLines(VECTORS.resolve("INDEX.md")).stream()
                .filter(l -> l.matches("\\| [a-z]+_(c2s|s2c)_\\S* \\|.*")).toList();
        oracle = Oracle.start();
    }

    @AfterAll
    static void tearDown() {
        if (oracle != null) {
            oracle.close();
        }
    }

    // ================================================================ coverage

    @Test
    void everyVectorFolderIsListedAndHasACheck() {
        assertThat(VECTORS_BY_NAME).as("vector folders").isNotEmpty();
        Map<String, String> listed = new TreeMap<>();
        for (String row : indexRows) {
            String[] cells = row.split("\\|");
            listed.put(cells[1].strip(), cells[3].strip() + " frames, " + cells[4].strip() + " bytes");
        }
        assertThat(listed.keySet()).as("INDEX.md rows vs folders").containsExactlyElementsOf(VECTORS_BY_NAME.keySet());
        for (Vector v : VECTORS_BY_NAME.values()) {
            long bytes = v.frames.stream().mapToLong(f -> f.length).sum();
            assertThat(v.frames.size() + " frames, " + bytes + " bytes").as("%s as INDEX.md lists it", v.name)
                    .isEqualTo(listed.get(v.name));
            assertThat(Kind.of(v.name)).as("%s has a kind, so a check (none is skipped)", v.name).isNotNull();
            if (Kind.of(v.name).fromServer) {
                assertThat(catchThrowable(() -> ours(v))).as("%s has a server message", v.name).isNull();
            }
        }
        for (Kind kind : Kind.values()) {
            assertThat(VECTORS_BY_NAME.keySet()).as("vectors of kind %s", kind).anyMatch(n -> Kind.of(n) == kind);
        }
        assertThat(everyCapturedVector().count()).as("one test case per folder").isEqualTo(VECTORS_BY_NAME.size());
    }

    @TestFactory
    Stream<DynamicTest> everyCapturedVector() {
        return VECTORS_BY_NAME.keySet().stream().map(name -> DynamicTest.dynamicTest(name, () -> {
            Vector v = VECTORS_BY_NAME.get(name);
            Kind kind = Kind.of(name);
            assertThat(kind).as("no check knows vector %s; add one to VectorCodec09Test", name).isNotNull();
            checkDecodedTxt(v);
            switch (kind) {
                case CMD_C2S, INFO_C2S -> checkClientCommand(v);
                case DATA_C2S -> checkClientData(v);
                case TTL_C2S -> assertThat(V09Codec.decodeHeartbeat(v.frames)).as("heartbeat word")
                        .isEqualTo(v.section("frame[0]").text);
                case CMD_S2C, INFO_S2C, DATA_S2C, TTL_S2C -> checkServerMessage(v, ours(v));
            }
        }));
    }

    // ================================================================ decoded.txt against the frames

    /**
     * decoded.txt is a rendering: its type numbers, texts and values must be what CPython reads
     * from the frames (values on one line, sets sorted; truncated ones as a prefix; elided bytes
     * and globals, shown as {@code <...>}, skipped). Our decoders are then checked against CPython.
     */
    private static void checkDecodedTxt(Vector v) throws Exception {
        assertThat(v.sections).as("%s: sections of decoded.txt", v.name).isNotEmpty();
        assertThat(v.declaredFrames).as("%s: frame count in decoded.txt", v.name).isEqualTo(v.frames.size());
        for (Map.Entry<String, Section> e : v.sections.entrySet()) {
            String where = v.name + " " + e.getKey();
            Section s = e.getValue();
            byte[] bytes = v.bytesOf(e.getKey());
            if (s.typeNumber != null) {
                assertThat(V09Codec.typeNumber(bytes)).as("%s: type number", where).isEqualTo(s.typeNumber);
                assertThat(V09Codec.typeName(s.typeNumber)).as("%s: type name", where).isEqualTo(s.typeName);
            }
            if (s.text != null) {
                assertThat(new String(bytes, StandardCharsets.UTF_8)).as("%s: utf-8 text", where).isEqualTo(s.text);
            }
            if (s.value != null && !s.value.contains("<")) {
                String rendered = oracle.oneLine(bytes);
                if (s.value.endsWith(" ...")) {
                    assertThat(rendered).as("%s: value (truncated in decoded.txt)", where)
                            .startsWith(s.value.substring(0, s.value.length() - 4));
                } else {
                    assertThat(rendered).as("%s: value", where).isEqualTo(s.value);
                }
            }
            if (s.value != null && !v.isOpaque(e.getKey())) {
                // Our unpickler reads every non-opaque pickle exactly as CPython does (sets included).
                assertThat(Canonical.of(Pickles.loadsWithSets(bytes))).as("%s: Pickles.loadsWithSets vs CPython", where)
                        .isEqualTo(oracle.canonical(bytes));
            }
        }
    }

    // ================================================================ client -> server

    private static void checkClientCommand(Vector v) throws Exception {
        V09Codec.DecodedCommand d = V09Codec.decodeCommand(v.frames);
        Section type = v.section("frame[0]");
        assertThat(d.typeName()).as("type name").isEqualTo(type.typeName);
        assertThat(d.ownerFrame()).as("owner frame").isEqualTo(v.section("frame[1]").text);
        byte[] data = v.frames.get(2);
        if (d.command() instanceof ClientCommand.ServerInfoRequest) {
            assertThat(oracle.canonical(data)).as("RequestServerInfo data").isEqualTo(Canonical.of("RQ_INFO"));
            return;
        }
        // The decoded command, written back as the Python value it came from, is CPython's value.
        if (d.command() instanceof ClientCommand.UploadSet) {
            assertThat(Canonical.of(asPython(d.command()))).as("%s: decoded vs CPython", v.name)
                    .isEqualTo(oracle.snapshotSet(data));
            Node node = ((ClientCommand.UploadSet) d.command()).node();
            assertThat(node.type()).as("0.9 has no type frame").isEmpty();
        } else {
            assertThat(Canonical.of(asPython(d.command()))).as("%s: decoded vs CPython", v.name)
                    .isEqualTo(oracle.canonical(data));
        }
    }

    /** The Python data a client sends for this command (the inverse of decodeCommand). */
    private static Object asPython(ClientCommand c) {
        if (c instanceof ClientCommand.Auth a) {
            return map("AUTH_TYPE", a.admin() ? "ADMIN" : "CLIENT", "AUTH_ID", a.name(), "S_PWD", a.sessionPassword(),
                    "A_PWD", a.password(), "VERSION", a.version());
        } else if (c instanceof ClientCommand.Delete del) {
            return del.uuid();
        } else if (c instanceof ClientCommand.ChangeRights r) {
            return map("uuid", r.uuids(), "owner", r.owner());
        } else if (c instanceof ClientCommand.Kick k) {
            return map("user", k.user());
        } else if (c instanceof ClientCommand.UpdateUserMetadata m) {
            return m.metadata();
        } else if (c instanceof ClientCommand.SnapshotRequestInit) {
            return map("STATE", "REQUEST_INIT");
        } else if (c instanceof ClientCommand.SnapshotGet g) {
            return map("STATE", "GET", "ID", g.uuid());
        } else if (c instanceof ClientCommand.SnapshotDone) {
            return map("STATE", "DONE");
        } else if (c instanceof ClientCommand.UploadInit i) {
            return map("STATE", "INIT", "SIZE", i.size(), "NODES", i.nodes());
        } else if (c instanceof ClientCommand.UploadSet s) {
            Node n = s.node();
            return map("STATE", "SET", "DATA", List.of(2, utf8(n.uuid()), utf8(n.owner()), n.dependencies(),
                    n.payload().toArray()));
        } else if (c instanceof ClientCommand.UploadEnd) {
            return map("STATE", "END");
        }
        throw new AssertionError("no Python form for " + c);
    }

    private static void checkClientData(Vector v) throws Exception {
        ClientId sender = ClientId.of(new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16});
        DataMessage m = V09Codec.decodeData(sender, v.frames);
        assertThat(m.sender()).isEqualTo(sender);
        assertThat(m.uuid()).as("uuid").isEqualTo(v.section("frame[1]").text);
        if (v.frames.size() == 5) {
            Node node = ((Datablock) m).node();
            assertThat(node.owner()).as("owner").isEqualTo(v.section("frame[2]").text);
            assertThat(node.type()).as("0.9 has no type frame").isEmpty();
            assertThat(Canonical.of(node.dependencies())).as("deps").isEqualTo(oracle.canonical(v.frames.get(3)));
            assertThat(node.payload().toArray()).as("node data: the received array, never decoded").isSameAs(v.frames.get(4));
        } else {
            Delta delta = ((Commit) m).delta();
            assertThat(Canonical.of(delta.dependencies())).as("deps").isEqualTo(oracle.canonical(v.frames.get(2)));
            assertThat(delta.dependenciesPickle()).as("deps frame as received").isSameAs(v.frames.get(2));
            assertThat(delta.blob()).as("delta blob as received (it holds globals)").isSameAs(v.frames.get(3));
        }
    }

    // ================================================================ server -> client

    /** Our message for an s2c vector, built from records with the vector's own parameters (uuids, payloads). */
    private static byte[][] ours(Vector v) throws Exception {
        List<byte[]> f = v.frames;
        return switch (v.name) {
            case "cmd_s2c_Auth_FAILED_client_already_logged_in" -> command(
                    ServerCommand.AuthReply.failed("client already logged in"));
            case "cmd_s2c_Auth_FAILED_wrong_admin_password" -> command(
                    ServerCommand.AuthReply.failed("wrong admin password"));
            case "cmd_s2c_Auth_FAILED_wrong_client_version_0_0_1_forged_0_9_10" -> command(
                    ServerCommand.AuthReply.failed("wrong client version (0.0.1-forged != 0.9.10)"));
            case "cmd_s2c_Auth_FAILED_wrong_server_password" -> command(
                    ServerCommand.AuthReply.failed("wrong server password"));
            case "cmd_s2c_Auth_LOBBY" -> command(ServerCommand.AuthReply.LOBBY);
            case "cmd_s2c_Auth_RUNNING" -> command(ServerCommand.AuthReply.RUNNING);
            case "cmd_s2c_Delete" -> command(new ServerCommand.Deleted("client", (String) value(f.get(2))));
            case "cmd_s2c_Disconnect" -> command(ServerCommand.Disconnect.KICKED);
            case "cmd_s2c_Right_lock" -> command(new ServerCommand.RightChanged("alice", rightUuids(f), "alice"));
            case "cmd_s2c_Right_unlock" -> command(new ServerCommand.RightChanged("alice", rightUuids(f), Node.COMMON));
            case "cmd_s2c_Right_server_reset" -> command(
                    new ServerCommand.RightChanged(ServerCommand.SERVER, rightUuids(f), Node.COMMON));
            case "cmd_s2c_ServerSnapshot_ACCEPTED" -> command(ServerCommand.UploadReply.ACCEPTED);
            case "cmd_s2c_ServerSnapshot_DONE" -> command(ServerCommand.UploadReply.DONE);
            case "cmd_s2c_ServerSnapshot_REJECTED" -> command(ServerCommand.UploadReply.REJECTED);
            case "cmd_s2c_Snapshot_INIT", "cmd_s2c_Snapshot_INIT_empty_catalog" -> command(new ServerCommand.Catalog(
                    PyValues.strList(dict(f.get(2)).get("CATALOG"), "CATALOG", false)));
            case "cmd_s2c_Snapshot_SET" -> command(new ServerCommand.SnapshotNode(snapshotNode(f.get(2))));
            case "cmd_s2c_Snapshot_SET_removed" -> command(
                    new ServerCommand.SnapshotRemoved("3229411e-a102-4b0e-83a6-8650656b7810"));
            case "cmd_s2c_UpdateClientsState" -> command(new ServerCommand.ClientsState(
                    Map.of("alice", new UserView("alice", true, 999, UserView.STATUS_LOBBY, Map.of()))));
            case "cmd_s2c_UpdateClientsState_with_metadata" -> command(clientsState(f.get(2)));
            // What the server forwards is what it decoded from the sender: the c2s twin of each vector.
            case "cmd_s2c_UpdateUserMetadata_full", "cmd_s2c_UpdateUserMetadata_partial",
                    "cmd_s2c_UpdateUserMetadata_selection" -> {
                V09Codec.DecodedCommand in = V09Codec.decodeCommand(
                        VECTORS_BY_NAME.get(v.name.replace("_s2c_", "_c2s_")).frames);
                yield command(new ServerCommand.MetadataChanged(in.ownerFrame(),
                        ((ClientCommand.UpdateUserMetadata) in.command()).metadata()));
            }
            case "info_s2c_RequestServerInfo" -> command(new ServerCommand.ServerInfo(true, "0.9.10"));
            case "data_s2c_Node" -> V09Codec.encodeNode(((Datablock) V09Codec.decodeData(ClientId.of(new byte[16]), f))
                    .node()).toArrays();
            case "data_s2c_Commit" -> {
                Commit commit = (Commit) V09Codec.decodeData(ClientId.of(new byte[16]), f);
                yield V09Codec.encodeCommit(commit.uuid(), commit.delta());
            }
            case "ttl_s2c_PING" -> new byte[][] {V09Codec.pingFrame()};
            default -> throw new AssertionError("no server message known for s2c vector " + v.name);
        };
    }

    private static byte[][] command(ServerCommand c) {
        return V09Codec.encodeCommand(c);
    }

    /** Plain frames byte for byte, pickles by value in CPython (types included), SET chunks one by one. */
    private static void checkServerMessage(Vector v, byte[][] ours) throws Exception {
        assertThat(ours.length).as("%s: frame count", v.name).isEqualTo(v.frames.size());
        Kind kind = Kind.of(v.name);
        for (int i = 0; i < ours.length; i++) {
            byte[] theirs = v.frames.get(i);
            String where = v.name + " frame " + i;
            boolean typeFrame = i == 0 && kind != Kind.TTL_S2C;
            boolean commandData = i == 2 && (kind == Kind.CMD_S2C || kind == Kind.INFO_S2C);
            boolean nodeDeps = i == 3 && kind == Kind.DATA_S2C && ours.length == 5;
            if (typeFrame) {
                assertThat(HEX.formatHex(ours[i])).as("%s: the client's own 5-byte type form", where)
                        .matches("80044b[0-9a-f]{2}2e");
                assertThat(oracle.canonical(ours[i])).as(where).isEqualTo(oracle.canonical(theirs));
            } else if (commandData || nodeDeps) {
                assertWrittenSafely(where, ours[i]);
                if (v.name.startsWith("cmd_s2c_Snapshot_SET") && dict(theirs).get("DATA") instanceof List) {
                    assertThat(oracle.snapshotSet(ours[i])).as("%s: STATE and the 5 chunks", where)
                            .isEqualTo(oracle.snapshotSet(theirs));
                    assertWrittenSafely(where + " deps chunk", (byte[]) ((List<?>) dict(ours[i]).get("DATA")).get(3));
                } else {
                    assertThat(oracle.equal(ours[i], theirs)).as("%s: pickle.loads(ours) == pickle.loads(theirs)", where)
                            .isTrue();
                    assertThat(oracle.canonical(ours[i])).as("%s: exact value, types too", where)
                            .isEqualTo(oracle.canonical(theirs));
                }
            } else {
                assertThat(HEX.formatHex(ours[i])).as("%s: bytes", where).isEqualTo(HEX.formatHex(theirs));
            }
        }
    }

    /** Protocol ≤ 4 in the header and in every opcode, and nothing that names or calls code. */
    private static void assertWrittenSafely(String where, byte[] pickle) {
        String[] opcodes = oracle.opcodes(pickle).split(" ");
        assertThat(Integer.parseInt(opcodes[0])).as("%s: PROTO header", where).isBetween(2, 4);
        assertThat(Integer.parseInt(opcodes[1])).as("%s: highest opcode protocol", where).isLessThanOrEqualTo(4);
        assertThat(opcodes[2].split(",")).as("%s: opcodes", where).doesNotContainAnyElementsOf(CODE_OPCODES);
    }

    private static List<String> rightUuids(List<byte[]> frames) throws MalformedMessageException {
        return PyValues.strList(dict(frames.get(2)).get("uuid"), "uuid", false);
    }

    private static Node snapshotNode(byte[] setPickle) throws MalformedMessageException {
        List<?> chunks = (List<?>) dict(setPickle).get("DATA");
        List<String> deps = PyValues.strList(Pickles.loads((byte[]) chunks.get(3)), "deps", false);
        return new Node(utf8((byte[]) chunks.get(1)), utf8((byte[]) chunks.get(2)), "", deps, (byte[]) chunks.get(4));
    }

    @SuppressWarnings("unchecked")
    private static ServerCommand clientsState(byte[] pickle) throws MalformedMessageException {
        Map<String, UserView> users = new LinkedHashMap<>();
        for (Map.Entry<Object, Object> e : dict(pickle).entrySet()) {
            Map<Object, Object> u = (Map<Object, Object>) e.getValue();
            users.put((String) e.getKey(), new UserView((String) u.get("id"), (Boolean) u.get("admin"),
                    ((Number) u.get("latency")).intValue(), ((Number) u.get("status")).intValue(),
                    (Map<String, Object>) u.get("metadata")));
        }
        return new ServerCommand.ClientsState(users);
    }

    // ================================================================ the three-port value model: sets

    /** Sets, frozensets, tuples, None and nesting, as CPython writes them: decoded, forwarded, read back equal. */
    @TestFactory
    Stream<DynamicTest> metadataValuesSurviveTheRoundTrip() {
        return Stream.of("metadata_sets_p4", "metadata_many_set_items_p4", "memoized_set_p4", "full_metadata_p4")
                .map(name -> DynamicTest.dynamicTest(name, () -> {
                    String[] answer = oracle.answer("V " + name).split(" ");
                    byte[] pickle = HEX.parseHex(answer[0]);
                    V09Codec.DecodedCommand d = V09Codec.decodeCommand(
                            List.of(V09Codec.typeFrame(13), utf8("alice"), pickle));
                    Map<String, Object> metadata = ((ClientCommand.UpdateUserMetadata) d.command()).metadata();
                    assertThat(Canonical.of(metadata)).as("decoded").isEqualTo(answer[1]);
                    byte[] forwarded = V09Codec.encodeCommand(new ServerCommand.MetadataChanged("alice", metadata))[2];
                    assertThat(oracle.canonical(forwarded)).as("forwarded, read by CPython").isEqualTo(answer[1]);
                    assertThat(oracle.equal(forwarded, pickle)).isTrue();
                    assertWrittenSafely(name, forwarded);
                    byte[] table = V09Codec.encodeCommand(new ServerCommand.ClientsState(Map.of("alice",
                            new UserView("alice", false, 5, UserView.STATUS_ACTIVE, metadata))))[2];
                    assertThat(oracle.canonical(table)).as("in UpdateClientsState").isEqualTo(Canonical.of(Map.of("alice",
                            map("id", "alice", "admin", false, "latency", 5, "status", 2, "metadata", metadata))));
                    // The four-port value model still has no sets.
                    if (answer[1].contains("<")) {
                        assertRejected("four-port Pickles.loads of " + name, () -> Pickles.loads(pickle));
                    }
                }));
    }

    @Test
    void setsAreWrittenWithTheSetOpcodes() {
        Map<String, Object> value = new LinkedHashMap<>();
        value.put("s", new LinkedHashSet<>(List.of("b", "a")));
        value.put("e", new LinkedHashSet<>());
        value.put("f", new PyValues.FrozenSet(List.of(1)));
        byte[] pickle = Pickles.dumps(value);
        assertThat(oracle.opcodes(pickle)).contains("EMPTY_SET", "ADDITEMS", "FROZENSET");
        assertWrittenSafely("sets", pickle);
        assertThat(oracle.canonical(pickle)).isEqualTo("{" + Canonical.of("e") + "=<>," + Canonical.of("f") + "=~<i:1;>,"
                + Canonical.of("s") + "=<" + Canonical.of("a") + "," + Canonical.of("b") + ">}");
    }

    @Test
    void setValuesPythonCannotHoldAreRefused() {
        // {'m': {set(): 1}}: a set as a dict key; CPython raises "unhashable type: 'set'".
        assertRejected("set as a dict key", () -> metadata("80047d8c016d7d8f4b0173732e"));
        // {'m': {set()}} written as EMPTY_SET MARK EMPTY_SET ADDITEMS: a set in a set.
        assertRejected("set in a set", () -> metadata("80047d8c016d8f288f90732e"));
        // MARK 1 FROZENSET, then MARK 2 ADDITEMS onto it: CPython fails (a frozenset has no add).
        assertRejected("ADDITEMS onto a frozenset", () -> metadata("80047d8c016d284b0191284b0290732e"));
        // ADDITEMS onto a list.
        assertRejected("ADDITEMS onto a list", () -> metadata("80047d8c016d5d284b0190732e"));
        // A frozenset as a key is fine, as in Python.
        assertThat(catchThrowable(() -> metadata("80047d8c016d7d284b01914b0273732e"))).isNull();
    }

    private static ClientCommand metadata(String hex) throws MalformedMessageException {
        return V09Codec.decodeCommand(List.of(V09Codec.typeFrame(13), utf8("alice"), HEX.parseHex(hex))).command();
    }

    // ================================================================ encoders in detail

    @Test
    void nodesAndCommitsAreWrittenAsTheyCame() throws Exception {
        byte[] payload = {(byte) 0x80, 4, 'N', '.'};
        byte[][] node = V09Codec.encodeNode(new Node("u-1", Node.COMMON, "", List.of(), payload)).toArrays();
        assertThat(node.length).isEqualTo(5);
        assertThat(node[0]).containsExactly(0x80, 0x04, 0x4b, 0x02, 0x2e);
        assertThat(oracle.canonical(node[3])).as("empty deps are [], never None").isEqualTo("[]");
        assertThat(node[4]).as("the payload array itself").isSameAs(payload);

        byte[] deps = HEX.parseHex("80045d942e"); // any bytes: the frame goes out as it came
        byte[] blob = {1, 2, 3};
        byte[][] commit = V09Codec.encodeCommit("u-1", new Delta(List.of(), deps, blob));
        assertThat(commit.length).isEqualTo(4);
        assertThat(commit[0]).containsExactly(0x80, 0x04, 0x4b, 0x01, 0x2e);
        assertThat(commit[1]).isEqualTo(utf8("u-1"));
        assertThat(commit[2]).isSameAs(deps);
        assertThat(commit[3]).isSameAs(blob);

        byte[][] set = V09Codec.encodeCommand(new ServerCommand.SnapshotNode(
                new Node("u-2", "alice", "", List.of("d1", "d2"), payload)));
        List<?> chunks = (List<?>) dict(set[2]).get("DATA");
        assertThat((byte[]) chunks.get(0)).containsExactly(0x80, 0x04, 0x4b, 0x02, 0x2e);
        assertThat(oracle.canonical((byte[]) chunks.get(3)))
                .isEqualTo("[" + Canonical.of("d1") + "," + Canonical.of("d2") + "]");
        assertThat((byte[]) chunks.get(4)).isEqualTo(payload);
    }

    @Test
    void anUploadedPayloadIsAViewOfItsCommandAndGoesBackToAJoinerByteForByte() throws Exception {
        byte[] payload = new byte[20_000];
        new java.util.Random(9).nextBytes(payload);
        byte[] upload = Pickles.dumps(map("STATE", "SET", "DATA", List.of(V09Codec.typeFrame(V09Codec.NODE),
                utf8("u-3"), utf8("alice"), Pickles.dumps(List.of("d1")), payload)));
        Node node = ((ClientCommand.UploadSet) V09Codec.decodeCommand(List.of(V09Codec.typeFrame(V09Codec.SERVER_SNAPSHOT),
                utf8("alice"), upload)).command()).node();
        assertThat(node.payload()).isEqualTo(Payload.of(payload));
        assertThat(node.payload().slack()).as("a view of the upload frame").isPositive().isLessThan(200);

        // The late joiner's SET and Node message carry it as if it were an array of its own.
        byte[][] fromView = V09Codec.encodeCommand(new ServerCommand.SnapshotNode(node));
        Node owning = new Node(node.uuid(), node.owner(), node.type(), node.dependencies(), payload.clone());
        assertThat(fromView[2]).isEqualTo(V09Codec.encodeCommand(new ServerCommand.SnapshotNode(owning))[2]);
        assertThat((byte[]) ((List<?>) dict(fromView[2]).get("DATA")).get(4)).isEqualTo(payload);
        assertThat(V09Codec.encodeNode(node).toArrays()[4]).isEqualTo(payload);
    }

    @Test
    void everyServerCommandHasAThreePortForm() throws Exception {
        List<ServerCommand> all = List.of(ServerCommand.AuthReply.LOBBY,
                new ServerCommand.ClientsState(Map.of()), new ServerCommand.Catalog(List.of("u")),
                ServerCommand.UploadReply.ACCEPTED, new ServerCommand.RightChanged("bob", List.of("a", "b"), "bob"),
                new ServerCommand.Deleted("client", "u"), ServerCommand.Disconnect.KICKED,
                new ServerCommand.SnapshotNode(new Node("u", "bob", "", List.of(), new byte[] {1})),
                new ServerCommand.SnapshotRemoved("u"), new ServerCommand.MetadataChanged("bob", Map.of("k", 1)),
                new ServerCommand.ServerInfo(false, "0.9.10"));
        List<Integer> types = new ArrayList<>();
        for (ServerCommand c : all) {
            byte[][] frames = V09Codec.encodeCommand(c);
            assertThat(frames.length).as("%s", c).isEqualTo(3);
            assertThat(utf8(frames[1])).as("owner frame of %s", c).isEqualTo(c.ownerFrame());
            assertWrittenSafely(c.toString(), frames[2]);
            types.add(V09Codec.typeNumber(frames[0]));
        }
        assertThat(types).containsExactly(9, 12, 7, 8, 5, 4, 10, 7, 7, 13, 14);
        assertThat(oracle.canonical(V09Codec.encodeCommand(all.get(4))[2])).as("Right uuids: a list")
                .isEqualTo("{" + Canonical.of("owner") + "=" + Canonical.of("bob") + "," + Canonical.of("uuid") + "=["
                        + Canonical.of("a") + "," + Canonical.of("b") + "]}");
        assertThat(oracle.canonical(V09Codec.encodeCommand(all.get(10))[2])).as("public session")
                .contains("=F");
    }

    // ================================================================ refused input

    @Test
    void unknownTypeNumbersAreRefused() throws Exception {
        byte[] auth = VECTORS_BY_NAME.get("cmd_c2s_Auth_ADMIN").frames.get(2);
        assertThat(V09Codec.decodeCommand(List.of(V09Codec.typeFrame(9), utf8("alice"), auth)).command())
                .isInstanceOf(ClientCommand.Auth.class);
        for (int type : new int[] {0, 1, 2, 3, 6, 10, 12, 15, 16, 99, 255}) {
            String message = assertRejected("command type " + type,
                    () -> V09Codec.decodeCommand(List.of(V09Codec.typeFrame(type), utf8("alice"), auth)));
            assertThat(message).contains("type " + type);
        }
        List<byte[]> node = VECTORS_BY_NAME.get("data_c2s_Node").frames;
        for (int type : new int[] {0, 1, 3, 4, 9, 14, 255}) {
            assertRejected("data type " + type, () -> V09Codec.decodeData(ClientId.of(new byte[16]),
                    replace(node, 0, V09Codec.typeFrame(type))));
        }
        // The type is a pickled int, whatever its encoding: other forms of 9 are read as 9.
        for (String nine : List.of("80024b092e", "4b092e", "80044a090000002e", "80048a01092e", "80049503000000000000004b092e")) {
            assertThat(V09Codec.decodeCommand(List.of(HEX.parseHex(nine), utf8("alice"), auth)).typeName())
                    .as(nine).isEqualTo("Auth");
        }
        // Ints beyond a byte, or negative.
        for (String big : List.of("80044a090100002e", "80044affffffff2e", "80048a09000000000000000001" + "2e")) {
            assertRejected("type " + big, () -> V09Codec.decodeCommand(List.of(HEX.parseHex(big), utf8("a"), auth)));
        }
    }

    @Test
    void wrongFrameCountsAreRefused() {
        List<byte[]> cmd = VECTORS_BY_NAME.get("cmd_c2s_Kick").frames;
        for (int n = 0; n <= 6; n++) {
            if (n == 3) {
                continue;
            }
            List<byte[]> frames = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                frames.add(i < 3 ? cmd.get(i) : new byte[] {1});
            }
            assertRejected(n + " command frames", () -> V09Codec.decodeCommand(frames));
        }
        List<byte[]> node = VECTORS_BY_NAME.get("data_c2s_Node").frames;
        List<byte[]> commit = VECTORS_BY_NAME.get("data_c2s_Commit").frames;
        ClientId id = ClientId.of(new byte[16]);
        assertRejected("no data frames", () -> V09Codec.decodeData(id, List.of()));
        assertRejected("Node with 4 frames", () -> V09Codec.decodeData(id, node.subList(0, 4)));
        assertRejected("Node with 6 frames", () -> V09Codec.decodeData(id, plus(node, new byte[] {1})));
        assertRejected("Commit with 3 frames", () -> V09Codec.decodeData(id, commit.subList(0, 3)));
        assertRejected("Commit with 5 frames", () -> V09Codec.decodeData(id, plus(commit, new byte[] {1})));
        assertRejected("Node typed as a Commit", () -> V09Codec.decodeData(id, replace(node, 0, V09Codec.typeFrame(1))));
        assertRejected("Commit typed as a Node", () -> V09Codec.decodeData(id, replace(commit, 0, V09Codec.typeFrame(2))));
        assertRejected("heartbeat with 2 frames", () -> V09Codec.decodeHeartbeat(List.of(utf8("PONG"), utf8("PONG"))));
        assertRejected("heartbeat word", () -> V09Codec.decodeHeartbeat(List.of(utf8("pong"))));
    }

    @Test
    void typeFramesThatAreNotAnIntAreRefused() {
        List<byte[]> cmd = VECTORS_BY_NAME.get("cmd_c2s_Kick").frames;
        List<byte[]> node = VECTORS_BY_NAME.get("data_c2s_Node").frames;
        List<byte[]> notInts = new ArrayList<>();
        for (Object v : new Object[] {"9", 9.0, null, List.of(9), new byte[] {9}, true, Map.of(), new Object[] {9}}) {
            notInts.add(Pickles.dumps(v));
        }
        notInts.addAll(List.of(utf8("INIT"), new byte[0], new byte[] {(byte) 0xff}, HEX.parseHex("80044b"),
                utf8("cos\nsystem\n(S'echo x'\ntR.")));
        for (byte[] type : notInts) {
            assertRejected("command type frame " + HEX.formatHex(type),
                    () -> V09Codec.decodeCommand(replace(cmd, 0, type)));
            assertRejected("data type frame " + HEX.formatHex(type),
                    () -> V09Codec.decodeData(ClientId.of(new byte[16]), replace(node, 0, type)));
        }
    }

    /** Pickles that name or call code (GLOBAL, STACK_GLOBAL, REDUCE, ...), in every command that is unpickled. */
    @TestFactory
    Stream<DynamicTest> picklesThatNameOrCallCodeAreRefused() {
        List<byte[]> hostile = new ArrayList<>();
        for (String name : List.of("os_system_p0", "os_system_p2", "os_system_p4", "instance_p4", "auth_with_instance_p4",
                "metadata_with_reduce_p4", "right_with_reduce_p4", "snapshot_get_with_reduce_p4", "kick_with_instance_p4",
                "delete_with_reduce_p4", "ordered_dict_p4", "metadata_set_p2", "bytearray_p4", "deque_p4")) {
            hostile.add(HEX.parseHex(oracle.answer("G " + name)));
        }
        hostile.add(utf8("cos\nsystem\n(S'echo pwned'\ntR."));
        // PROTO 4, SHORT_BINUNICODE 'builtins', SHORT_BINUNICODE 'eval', STACK_GLOBAL, ..., REDUCE.
        hostile.add(HEX.parseHex("80048c086275696c74696e73948c046576616c9493948c05312b312b3194855294" + "2e"));
        return Stream.of(4, 5, 7, 8, 9, 11, 13).map(type -> DynamicTest.dynamicTest("type " + type, () -> {
            for (byte[] pickle : hostile) {
                assertRejected("type " + type + " with " + HEX.formatHex(pickle, 0, Math.min(24, pickle.length)),
                        () -> V09Codec.decodeCommand(List.of(V09Codec.typeFrame(type), utf8("alice"), pickle)));
                assertRejected("Node deps", () -> V09Codec.decodeData(ClientId.of(new byte[16]),
                        replace(VECTORS_BY_NAME.get("data_c2s_Node").frames, 3, pickle)));
                assertRejected("Commit deps", () -> V09Codec.decodeData(ClientId.of(new byte[16]),
                        replace(VECTORS_BY_NAME.get("data_c2s_Commit").frames, 2, pickle)));
            }
        }));
    }

    /** RequestServerInfo: the answer does not depend on the data, so the data is never unpickled at all. */
    @Test
    void serverInfoRequestsAreAnsweredWithoutReadingTheirData() throws Exception {
        for (byte[] data : List.of(utf8("cos\nsystem\n(S'echo pwned'\ntR."), new byte[0], utf8("garbage"))) {
            assertThat(V09Codec.decodeCommand(List.of(V09Codec.typeFrame(14), utf8("guest"), data)).command())
                    .isInstanceOf(ClientCommand.ServerInfoRequest.class);
        }
    }

    @Test
    void everyTruncationOfEveryClientPickleIsRefused() {
        int checked = 0;
        for (Vector v : VECTORS_BY_NAME.values()) {
            Kind kind = Kind.of(v.name);
            if (kind == Kind.CMD_C2S) {
                for (int length = 0; length < v.frames.get(2).length; length++) {
                    byte[] cut = Arrays.copyOf(v.frames.get(2), length);
                    assertRejected(v.name + " data cut to " + length, () -> V09Codec.decodeCommand(replace(v.frames, 2, cut)));
                    checked++;
                }
            }
            if (kind == Kind.CMD_C2S || kind == Kind.DATA_C2S) {
                for (int length = 0; length < 5; length++) {
                    byte[] cut = Arrays.copyOf(v.frames.get(0), length);
                    assertRejected(v.name + " type frame cut to " + length, () -> {
                        if (kind == Kind.CMD_C2S) {
                            V09Codec.decodeCommand(replace(v.frames, 0, cut));
                        } else {
                            V09Codec.decodeData(ClientId.of(new byte[16]), replace(v.frames, 0, cut));
                        }
                    });
                    checked++;
                }
            }
            if (kind == Kind.DATA_C2S) {
                int deps = v.frames.size() == 5 ? 3 : 2;
                for (int length = 0; length < v.frames.get(deps).length; length++) {
                    byte[] cut = Arrays.copyOf(v.frames.get(deps), length);
                    assertRejected(v.name + " deps cut to " + length,
                            () -> V09Codec.decodeData(ClientId.of(new byte[16]), replace(v.frames, deps, cut)));
                    checked++;
                }
            }
        }
        assertThat(checked).as("truncations checked").isGreaterThan(5000);
    }

    @Test
    void textFramesThatAreNotUtf8AreRefused() throws Exception {
        List<byte[]> bad = List.of(new byte[] {(byte) 0xff}, new byte[] {(byte) 0xc0, (byte) 0xaf},
                new byte[] {(byte) 0xed, (byte) 0xa0, (byte) 0x80}, new byte[] {(byte) 0xe2, (byte) 0x82},
                new byte[] {'a', (byte) 0x80, 'b'});
        List<byte[]> kick = VECTORS_BY_NAME.get("cmd_c2s_Kick").frames;
        List<byte[]> node = VECTORS_BY_NAME.get("data_c2s_Node").frames;
        List<byte[]> commit = VECTORS_BY_NAME.get("data_c2s_Commit").frames;
        ClientId id = ClientId.of(new byte[16]);
        for (byte[] b : bad) {
            String hex = HEX.formatHex(b);
            assertRejected("owner frame " + hex, () -> V09Codec.decodeCommand(replace(kick, 1, b)));
            assertRejected("Node uuid " + hex, () -> V09Codec.decodeData(id, replace(node, 1, b)));
            assertRejected("Node owner " + hex, () -> V09Codec.decodeData(id, replace(node, 2, b)));
            assertRejected("Commit uuid " + hex, () -> V09Codec.decodeData(id, replace(commit, 1, b)));
            assertRejected("SET uuid " + hex, () -> upload(setData(b, utf8("COMMON"), Pickles.dumps(List.of()))));
            assertRejected("SET owner " + hex, () -> upload(setData(utf8("u"), b, Pickles.dumps(List.of()))));
        }
        // Non-ASCII but valid UTF-8 is a name like any other.
        assertThat(V09Codec.decodeCommand(replace(kick, 1, utf8("Zoé \uD83D\uDE00"))).ownerFrame()).isEqualTo("Zoé \uD83D\uDE00");
    }

    @Test
    void rightWithAStrInsteadOfAListIsRefused() throws Exception {
        // Decision: refused, not read as one uuid. The 0.9 client always sends a list, and a str
        // echoed to the clients would be iterated per character there.
        String uuid = "80fea159-5bbb-4f79-a276-8de930e1e2e0";
        assertRejected("Right uuid as a str", () -> command(5, map("uuid", uuid, "owner", "alice")));
        assertRejected("Right uuid as bytes", () -> command(5, map("uuid", utf8(uuid), "owner", "alice")));
        assertRejected("Right uuid list of ints", () -> command(5, map("uuid", List.of(1), "owner", "alice")));
        assertRejected("Right uuid missing", () -> command(5, map("owner", "alice")));
        assertRejected("Right owner None", () -> command(5, map("uuid", List.of(uuid), "owner", null)));
        assertRejected("Right uuid too long", () -> command(5, map("uuid", List.of("u".repeat(129)), "owner", "a")));
        // A tuple is a sequence of str as well; an empty list changes nothing.
        assertThat(((ClientCommand.ChangeRights) command(5, map("uuid", new Object[] {uuid, "b"}, "owner", "alice")))
                .uuids()).containsExactly(uuid, "b");
        assertThat(((ClientCommand.ChangeRights) command(5, map("uuid", List.of(), "owner", "alice"))).uuids()).isEmpty();
    }

    /** The library allocates an announced length before reading it: a short frame claiming gigabytes must be refused. */
    @Test
    void oversizedDeclaredLengthsAreRefused() {
        List<byte[]> kick = VECTORS_BY_NAME.get("cmd_c2s_Kick").frames;
        List<byte[]> node = VECTORS_BY_NAME.get("data_c2s_Node").frames;
        int checked = 0;
        for (long length : new long[] {0x7fff_fff0L, 0x8000_0000L, 0xffff_ffffL, 1L << 40, Long.MAX_VALUE, -1L, 21L}) {
            for (int[] op : new int[][] {{'B', 4}, {'X', 4}, {0x8e, 8}, {0x8d, 8}}) {
                if (op[1] == 4 && (length >>> 32) != 0) {
                    continue;
                }
                byte[] frame = new byte[24];
                Arrays.fill(frame, (byte) 'x');
                frame[0] = (byte) 0x80;
                frame[1] = 4;
                frame[2] = (byte) op[0];
                for (int i = 0; i < op[1]; i++) {
                    frame[3 + i] = (byte) (length >>> (8 * i));
                }
                frame[23] = '.';
                String what = Integer.toHexString(op[0]) + " of " + Long.toUnsignedString(length) + " bytes";
                for (int type : new int[] {4, 5, 7, 8, 9, 11, 13}) {
                    assertRejected("command " + type + ": " + what,
                            () -> V09Codec.decodeCommand(List.of(V09Codec.typeFrame(type), utf8("a"), frame)));
                }
                assertRejected("type frame: " + what, () -> V09Codec.decodeCommand(replace(kick, 0, frame)));
                assertRejected("Node deps: " + what,
                        () -> V09Codec.decodeData(ClientId.of(new byte[16]), replace(node, 3, frame)));
                checked++;
            }
        }
        assertThat(checked).isGreaterThan(15);
        // Oversized in the clear: uuids have at most 128 characters.
        ClientId id = ClientId.of(new byte[16]);
        assertThat(catchThrowable(() -> V09Codec.decodeData(id, replace(node, 1, utf8("u".repeat(128)))))).isNull();
        assertRejected("Node uuid of 129", () -> V09Codec.decodeData(id, replace(node, 1, utf8("u".repeat(129)))));
        assertRejected("empty Node uuid", () -> V09Codec.decodeData(id, replace(node, 1, new byte[0])));
        assertRejected("Delete uuid of 129", () -> command(4, "u".repeat(129)));
        assertRejected("empty Delete uuid", () -> command(4, ""));
        assertRejected("GET ID of 129", () -> command(7, map("STATE", "GET", "ID", "u".repeat(129))));
    }

    @Test
    void valuesOfTheWrongShapeAreRefused() throws Exception {
        Map<String, Object> auth = map("AUTH_TYPE", "ADMIN", "AUTH_ID", "alice", "S_PWD", SECRET, "A_PWD", SECRET,
                "VERSION", "0.9.10");
        assertThat(command(9, auth)).isInstanceOf(ClientCommand.Auth.class);
        for (Object[] change : new Object[][] {{"AUTH_TYPE", "ROOT"}, {"AUTH_TYPE", null}, {"AUTH_ID", ""},
            {"AUTH_ID", 5}, {"S_PWD", 1}, {"A_PWD", List.of(SECRET)}, {"VERSION", null}, {"S_PWD", utf8(SECRET)}}) {
            Map<String, Object> bad = new LinkedHashMap<>(auth);
            bad.put((String) change[0], change[1]);
            assertRejected("Auth " + change[0] + "=" + change[1], () -> command(9, bad));
        }
        // None passwords are fine (A_PWD of a CLIENT; S_PWD from other tools).
        Map<String, Object> nones = new LinkedHashMap<>(auth);
        nones.put("S_PWD", null);
        nones.put("A_PWD", null);
        ClientCommand.Auth a = (ClientCommand.Auth) command(9, nones);
        assertThat(a.password()).isNull();
        assertThat(a.sessionPassword()).isNull();
        for (Object notADict : new Object[] {List.of("STATE", "GET"), "LOBBY", null, 7, new byte[] {1}, new Object[] {}}) {
            for (int type : new int[] {5, 7, 8, 9, 11, 13}) {
                assertRejected("type " + type + " with " + notADict, () -> command(type, notADict));
            }
        }
        assertRejected("Delete with a dict", () -> command(4, map("uuid", "u")));
        assertRejected("Snapshot STATE", () -> command(7, map("STATE", "FETCH")));
        assertRejected("Snapshot GET without ID", () -> command(7, map("STATE", "GET")));
        assertRejected("ServerSnapshot STATE", () -> command(8, map("STATE", "BEGIN")));
        assertRejected("INIT SIZE str", () -> command(8, map("STATE", "INIT", "SIZE", "1", "NODES", List.of("u"))));
        assertRejected("INIT NODES ints", () -> command(8, map("STATE", "INIT", "SIZE", 1, "NODES", List.of(1))));
        assertRejected("Kick user bytes", () -> command(11, map("user", utf8("bob"))));
        assertRejected("metadata int key", () -> command(13, Map.of(1, SECRET)));
        assertRejected("metadata bytes key", () -> command(13, Map.of(utf8("k"), SECRET)));
        // SET: DATA must be the 5 chunks of a Node, as bytes.
        byte[] deps = Pickles.dumps(List.of("d"));
        assertThat(upload(setData(utf8("u"), utf8("COMMON"), deps)).node().dependencies()).containsExactly("d");
        List<Object> chunks = List.of(V09Codec.typeFrame(2), utf8("u"), utf8("COMMON"), deps, utf8(SECRET));
        assertRejected("SET with 4 chunks", () -> upload(map("STATE", "SET", "DATA", chunks.subList(0, 4))));
        assertRejected("SET with a four-port dict", () -> upload(map("STATE", "SET", "DATA", map("uuid", utf8("u")))));
        assertRejected("SET chunk as str", () -> upload(map("STATE", "SET", "DATA", replace(chunks, 1, "u"))));
        assertRejected("SET chunk 0 a Commit", () -> upload(map("STATE", "SET", "DATA",
                replace(chunks, 0, V09Codec.typeFrame(1)))));
        assertRejected("SET deps None", () -> upload(setData(utf8("u"), utf8("o"), Pickles.dumps(null))));
        assertRejected("SET deps not a pickle", () -> upload(setData(utf8("u"), utf8("o"), utf8(SECRET))));
        assertRejected("SET empty data", () -> upload(map("STATE", "SET", "DATA", replace(chunks, 4, new byte[0]))));
        // Datablocks: deps a list of str (never None in 0.9), blobs not empty.
        List<byte[]> node = VECTORS_BY_NAME.get("data_c2s_Node").frames;
        List<byte[]> commit = VECTORS_BY_NAME.get("data_c2s_Commit").frames;
        ClientId id = ClientId.of(new byte[16]);
        for (Object badDeps : new Object[] {null, "u", List.of(1), Map.of("a", "b"), Set.of("u")}) {
            byte[] pickle = Pickles.dumps(badDeps);
            assertRejected("Node deps " + badDeps, () -> V09Codec.decodeData(id, replace(node, 3, pickle)));
            assertRejected("Commit deps " + badDeps, () -> V09Codec.decodeData(id, replace(commit, 2, pickle)));
        }
        assertRejected("empty Node data", () -> V09Codec.decodeData(id, replace(node, 4, new byte[0])));
        assertRejected("empty delta", () -> V09Codec.decodeData(id, replace(commit, 3, new byte[0])));
        // Opaque means opaque: a blob that is no pickle at all is still carried.
        assertThat(((Datablock) V09Codec.decodeData(id, replace(node, 4, utf8(SECRET)))).node().payload().toArray())
                .isEqualTo(utf8(SECRET));
    }

    /**
     * Random damage to every captured client message (fixed seed): a decoded value or
     * MalformedMessageException, nothing else.
     */
    @Test
    void damagedVectorsOnlyEverFailWithMalformedMessage() {
        Random random = new Random(20251014);
        List<String> escaped = new ArrayList<>();
        int runs = 0;
        for (Vector v : VECTORS_BY_NAME.values()) {
            Kind kind = Kind.of(v.name);
            if (kind != Kind.CMD_C2S && kind != Kind.DATA_C2S) {
                continue;
            }
            for (int run = 0; run < 300; run++) {
                int target = kind == Kind.CMD_C2S ? 2 : (v.frames.size() == 5 ? 3 : 2);
                byte[] damaged = v.frames.get(target).clone();
                for (int h = 1 + random.nextInt(3); h > 0; h--) {
                    damaged[random.nextInt(damaged.length)] = (byte) random.nextInt(256);
                }
                List<byte[]> frames = replace(v.frames, target, damaged);
                Throwable t = catchThrowable(() -> {
                    if (kind == Kind.CMD_C2S) {
                        V09Codec.decodeCommand(frames);
                    } else {
                        V09Codec.decodeData(ClientId.of(new byte[16]), frames);
                    }
                });
                runs++;
                if (t != null && !(t instanceof MalformedMessageException)) {
                    escaped.add(v.name + " damaged to " + HEX.formatHex(damaged) + ": " + t);
                } else if (t != null) {
                    assertPrintable(t.getMessage());
                }
            }
        }
        assertThat(runs).isGreaterThan(3000);
        assertThat(escaped).as("exceptions other than MalformedMessageException").isEmpty();
    }

    // ================================================================ helpers

    /** Fails unless the call throws MalformedMessageException with a bounded, printable message; returns it. */
    private static String assertRejected(String what, ThrowingCallable call) {
        Throwable thrown = catchThrowable(call);
        if (!(thrown instanceof MalformedMessageException)) {
            throw new AssertionError(what + ": expected MalformedMessageException, got "
                    + (thrown == null ? "no exception" : thrown.toString()), thrown);
        }
        assertPrintable(thrown.getMessage());
        assertThat(thrown.getMessage()).as("%s: the message repeats no payload", what).doesNotContain(SECRET);
        return thrown.getMessage();
    }

    private static void assertPrintable(String message) {
        assertThat(message).isNotBlank();
        assertThat(message.length()).as("message length: %s", message).isLessThanOrEqualTo(300);
        assertThat(message.chars().noneMatch(c -> c < 0x20 || c == 0x7f)).as("printable: %s", message).isTrue();
    }

    private static ClientCommand command(int type, Object data) throws MalformedMessageException {
        return V09Codec.decodeCommand(List.of(V09Codec.typeFrame(type), utf8("alice"), Pickles.dumps(data))).command();
    }

    private static ClientCommand.UploadSet upload(Object data) throws MalformedMessageException {
        return (ClientCommand.UploadSet) command(8, data);
    }

    private static Map<String, Object> setData(byte[] uuid, byte[] owner, byte[] deps) {
        return map("STATE", "SET", "DATA", List.of(V09Codec.typeFrame(2), uuid, owner, deps, new byte[] {1}));
    }

    private static Map<Object, Object> dict(byte[] pickle) throws MalformedMessageException {
        return PyValues.dict(Pickles.loadsWithSets(pickle), "test value");
    }

    private static Object value(byte[] pickle) throws MalformedMessageException {
        return Pickles.loadsWithSets(pickle);
    }

    /** A dict in insertion order; null values allowed (Python None). */
    private static Map<String, Object> map(Object... keyValues) {
        Map<String, Object> out = new LinkedHashMap<>();
        for (int i = 0; i < keyValues.length; i += 2) {
            out.put((String) keyValues[i], keyValues[i + 1]);
        }
        return out;
    }

    private static <T> List<T> replace(List<T> list, int index, T item) {
        List<T> copy = new ArrayList<>(list);
        copy.set(index, item);
        return copy;
    }

    private static List<byte[]> plus(List<byte[]> list, byte[] item) {
        List<byte[]> copy = new ArrayList<>(list);
        copy.add(item);
        return copy;
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static String utf8(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }

    /** The folder prefixes of INDEX.md: family and direction. */
    enum Kind {
        CMD_C2S("cmd_c2s_", false), CMD_S2C("cmd_s2c_", true), DATA_C2S("data_c2s_", false),
        DATA_S2C("data_s2c_", true), INFO_C2S("info_c2s_", false), INFO_S2C("info_s2c_", true),
        TTL_C2S("ttl_c2s_", false), TTL_S2C("ttl_s2c_", true);

        final String prefix;
        final boolean fromServer;

        Kind(String prefix, boolean fromServer) {
            this.prefix = prefix;
            this.fromServer = fromServer;
        }

        static Kind of(String name) {
            for (Kind k : values()) {
                if (name.startsWith(k.prefix)) {
                    return k;
                }
            }
            return null;
        }
    }

    /** What decoded.txt says about one frame ({@code frame[i]}) or one SET chunk ({@code frame[2].DATA[j]}). */
    static final class Section {
        Integer typeNumber;
        String typeName;
        String text;
        String value;
    }

    /** One vector folder: its frames (frameN.bin, checked against frames.hex) and what decoded.txt says of them. */
    static final class Vector {
        private static final Pattern FRAME = Pattern.compile("^frame\\[(\\d+)\\] .*?(?:-> type number (\\d+) \\((\\w+)\\))?$");
        private static final Pattern CHUNK = Pattern.compile("^    DATA\\[(\\d+)\\] .*");
        private static final Pattern TEXT = Pattern.compile("^ +utf-8 text '(.*)'$");
        private static final Pattern VALUE = Pattern.compile("^( +)value: (.*)$");
        private static final Pattern COUNT = Pattern.compile("; (\\d+) frame\\(s\\)$");

        final String name;
        final List<byte[]> frames;
        final Map<String, Section> sections = new LinkedHashMap<>();
        int declaredFrames = -1;

        private Vector(String name, List<byte[]> frames) {
            this.name = name;
            this.frames = frames;
        }

        static Vector load(Path dir) throws IOException {
            String name = dir.getFileName().toString();
            List<String> hexLines = Files.readAllLines(dir.resolve("frames.hex"), StandardCharsets.US_ASCII);
            List<byte[]> frames = new ArrayList<>();
            for (int i = 0; Files.exists(dir.resolve("frame" + i + ".bin")); i++) {
                frames.add(Files.readAllBytes(dir.resolve("frame" + i + ".bin")));
            }
            assertThat(frames.stream().map(HEX::formatHex).toList()).as("%s: frameN.bin vs frames.hex", name)
                    .isEqualTo(hexLines.stream().map(l -> l.strip().toLowerCase()).toList());
            Vector v = new Vector(name, List.copyOf(frames));
            v.parse(Files.readAllLines(dir.resolve("decoded.txt"), StandardCharsets.UTF_8));
            return v;
        }

        private void parse(List<String> lines) {
            Section current = null;
            String frameKey = null;
            for (int i = 0; i < lines.size(); i++) {
                String line = lines.get(i);
                Matcher m;
                if ((m = COUNT.matcher(line)).find() && declaredFrames < 0) {
                    declaredFrames = Integer.parseInt(m.group(1));
                } else if ((m = FRAME.matcher(line)).matches()) {
                    frameKey = "frame[" + m.group(1) + "]";
                    current = sectionFor(frameKey);
                    if (m.group(2) != null) {
                        current.typeNumber = Integer.valueOf(m.group(2));
                        current.typeName = m.group(3);
                    }
                } else if (frameKey != null && (m = CHUNK.matcher(line)).matches()) {
                    current = sectionFor(frameKey + ".DATA[" + m.group(1) + "]");
                } else if (current != null && (m = TEXT.matcher(line)).matches()) {
                    current.text = m.group(1);
                } else if (current != null && (m = VALUE.matcher(line)).matches()) {
                    // pprint continues a value on lines indented 8 more than "value:"; joined as on one line.
                    StringBuilder value = new StringBuilder(m.group(2));
                    String continuation = " ".repeat(m.group(1).length() + 8);
                    while (i + 1 < lines.size() && lines.get(i + 1).startsWith(continuation)) {
                        value.append(' ').append(lines.get(++i).strip());
                    }
                    current.value = value.toString();
                }
            }
            // Chunk 0 of a SET is a type frame too, shown by its value only.
            Section chunk0 = sections.get("frame[2].DATA[0]");
            if (chunk0 != null) {
                chunk0.typeNumber = Integer.valueOf(chunk0.value);
                chunk0.typeName = V09Codec.typeName(V09Codec.NODE);
            }
        }

        private Section sectionFor(String key) {
            return sections.computeIfAbsent(key, k -> new Section());
        }

        Section section(String key) {
            Section s = sections.get(key);
            if (s == null) {
                throw new AssertionError(name + ": decoded.txt has no " + key);
            }
            return s;
        }

        /** The bytes a section describes: a frame, or a chunk of a SET's DATA list. */
        byte[] bytesOf(String key) throws MalformedMessageException {
            int frame = Integer.parseInt(key.substring(6, key.indexOf(']')));
            if (!key.contains(".DATA[")) {
                return frames.get(frame);
            }
            int chunk = Integer.parseInt(key.substring(key.lastIndexOf('[') + 1, key.length() - 1));
            return (byte[]) ((List<?>) PyValues.dict(Pickles.loadsWithSets(frames.get(frame)), "SET").get("DATA"))
                    .get(chunk);
        }

        /** Node data and delta blobs: the server never unpickles them. */
        boolean isOpaque(String key) {
            return (name.startsWith("data_") && key.equals("frame[" + (frames.size() - 1) + "]"))
                    || key.endsWith(".DATA[4]");
        }
    }

    /** CPython's pickle, asked line by line (see pickle_oracle_09.py for the questions). */
    static final class Oracle {
        private final Process process;
        private final OutputStream in;
        private final BufferedReader out;
        private final Map<String, String> cache = new HashMap<>();

        private Oracle(Process process) {
            this.process = process;
            this.in = process.getOutputStream();
            this.out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.US_ASCII));
        }

        static Oracle start() throws IOException {
            if (!Files.isExecutable(Paths.get(PYTHON))) {
                fail(PYTHON + " (Debian's python3) is required by this test; run .ci/setup to install it");
            }
            return new Oracle(new ProcessBuilder(PYTHON, ORACLE_SCRIPT.toString())
                    .redirectError(ProcessBuilder.Redirect.INHERIT).start());
        }

        String canonical(byte[] pickle) {
            return answer("C " + HEX.formatHex(pickle));
        }

        String snapshotSet(byte[] pickle) {
            return answer("S " + HEX.formatHex(pickle));
        }

        boolean equal(byte[] a, byte[] b) {
            return Boolean.parseBoolean(answer("E " + HEX.formatHex(a) + " " + HEX.formatHex(b)));
        }

        String opcodes(byte[] pickle) {
            return answer("O " + HEX.formatHex(pickle));
        }

        String oneLine(byte[] pickle) {
            return new String(HEX.parseHex(answer("R " + HEX.formatHex(pickle))), StandardCharsets.UTF_8);
        }

        /** The answer; fails if CPython raised. */
        synchronized String answer(String question) {
            String a = cache.get(question);
            if (a == null) {
                try {
                    in.write((question + "\n").getBytes(StandardCharsets.US_ASCII));
                    in.flush();
                    a = out.readLine();
                } catch (IOException e) {
                    throw new AssertionError(ORACLE_SCRIPT + " stopped answering", e);
                }
                if (a == null) {
                    throw new AssertionError(ORACLE_SCRIPT + " exited");
                }
                cache.put(question, a);
            }
            if (!a.startsWith("OK ")) {
                String shown = question.length() > 80 ? question.substring(0, 80) + "..." : question;
                throw new AssertionError("CPython failed on " + shown + ": " + a);
            }
            return a.substring(3);
        }

        void close() {
            try {
                in.close();
                if (!process.waitFor(10, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                }
            } catch (IOException | InterruptedException e) {
                process.destroyForcibly();
            }
        }
    }
}
