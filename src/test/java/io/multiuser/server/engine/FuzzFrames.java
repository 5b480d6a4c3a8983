package io.multiuser.server.engine;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.stream.Stream;

import io.multiuser.server.protocol.Generation;
import io.multiuser.server.testclient.ClientPickler;

/**
 * The fuzz input of one port of one session, deterministic for a seed: random frames, real
 * frames (src/test/resources/vectors-0.1 and vectors-0.9) mutated, and messages that are
 * well-formed but hostile (wrong value types, unknown commands, other users' nodes, absurd
 * declared sizes, class-instantiating pickles). One instance per port and thread.
 */
final class FuzzFrames {

    /**
     * The label of a message to be sent on a connection of its own (a fresh identity): a login with an
     * old version, which an identity already logged in would have refused as a duplicate, every time.
     */
    static final String FRESH_CONNECTION = "old-version login";

    enum Kind { RANDOM, MUTATED, HOSTILE }

    /** One multipart message; {@code label} says what it is, for a failure's reproduction. */
    record Message(Kind kind, String label, List<byte[]> frames) {
        long bytes() {
            long n = 0;
            for (byte[] f : frames) {
                n += f.length;
            }
            return n;
        }
    }

    /** A real message: its folder name and frames, in order. */
    record Vector(String name, List<byte[]> frames) {
    }

    /**
     * What hostile messages aim at: the honest users' names and nodes (owned by them: every edit,
     * delete or owner change by someone else must be refused), the fuzzers' login names, and the
     * identities the fuzzers' sockets use (so a datablock may come from a fuzzer that logged in).
     */
    record Targets(List<String> honestNames, List<String> honestUuids, List<String> fuzzNames, List<byte[]> identities) {
    }

    static final byte[] INIT = ascii("INIT");
    static final byte[] PONG = ascii("PONG");
    static final byte[] PING = ascii("PING");

    /** Largest frame of the random and mutated input (a few per thousand frames). */
    static final int LARGE_FRAME = 256 * 1024;

    /** Every pickle opcode CPython knows, allowed or not: what an opcode swap puts in. */
    private static final byte[] OPCODES = {'(', '.', '0', '1', '2', 'F', 'I', 'J', 'K', 'L', 'M', 'N', 'P', 'Q', 'R',
        'S', 'T', 'U', 'V', 'X', 'a', 'b', 'c', 'd', '}', 'e', 'g', 'h', 'i', 'j', 'l', ']', 'o', 'p', 'q', 'r', 's',
        't', ')', 'u', 'G', (byte) 0x80, (byte) 0x81, (byte) 0x82, (byte) 0x83, (byte) 0x84, (byte) 0x85, (byte) 0x86,
        (byte) 0x87, (byte) 0x88, (byte) 0x89, (byte) 0x8a, (byte) 0x8b, 'B', 'C', (byte) 0x8c, (byte) 0x8d,
        (byte) 0x8e, (byte) 0x8f, (byte) 0x90, (byte) 0x91, (byte) 0x92, (byte) 0x93, (byte) 0x94, (byte) 0x95,
        (byte) 0x96, (byte) 0x97, (byte) 0x98, (byte) 0xff, 0};

    // Raw pickles that a well-behaved client never writes.
    /** os.system('ls') (GLOBAL + REDUCE). */
    private static final byte[] EVIL_GLOBAL = {(byte) 0x80, 2, 'c', 'o', 's', '\n', 's', 'y', 's', 't', 'e', 'm', '\n',
        'X', 2, 0, 0, 0, 'l', 's', (byte) 0x85, 'R', '.'};
    /** builtins.eval via STACK_GLOBAL. */
    private static final byte[] EVIL_STACK_GLOBAL = {(byte) 0x80, 4, (byte) 0x8c, 8, 'b', 'u', 'i', 'l', 't', 'i', 'n',
        's', (byte) 0x8c, 4, 'e', 'v', 'a', 'l', (byte) 0x93, '.'};
    /** BINBYTES8 announcing 2^40 bytes. */
    private static final byte[] HUGE_BINBYTES8 = {(byte) 0x80, 4, (byte) 0x8e, 0, 0, 0, 0, 0, 1, 0, 0, 1, 2, 3, '.'};
    /** BINUNICODE announcing 2^31 - 1 bytes. */
    private static final byte[] HUGE_BINUNICODE = {(byte) 0x80, 4, 'X', (byte) 0xff, (byte) 0xff, (byte) 0xff, 0x7f, 'a',
        '.'};
    /** FRAME announcing 2^62 bytes. */
    private static final byte[] HUGE_FRAME = {(byte) 0x80, 4, (byte) 0x95, 0, 0, 0, 0, 0, 0, 0, 0x40, 'K', 1, '.'};
    /** LONG4 announcing 2^31 - 1 bytes of integer. */
    private static final byte[] HUGE_LONG4 = {(byte) 0x80, 4, (byte) 0x8b, (byte) 0xff, (byte) 0xff, (byte) 0xff, 0x7f,
        1, '.'};
    /** A 2^127-ish integer (LONG1, 16 bytes): beyond every 64-bit field. */
    private static final byte[] BIG_INT = {(byte) 0x80, 4, (byte) 0x8a, 16, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
        0x7f, '.'};
    /** BINGET of a memo entry that was never stored. */
    private static final byte[] BAD_MEMO = {(byte) 0x80, 4, 'h', 5, '.'};
    /** A list that contains itself (MEMOIZE, BINGET, APPEND): a cycle. */
    private static final byte[] CYCLE = {(byte) 0x80, 4, ']', (byte) 0x94, 'h', 0, 'a', '.'};
    /** A dict with a list as key: unhashable in Python. */
    private static final byte[] LIST_KEY = {(byte) 0x80, 4, '}', ']', 'N', 's', '.'};
    /** MARK never closed; POP on an empty stack; STOP alone; protocol 5 bytearray. */
    private static final byte[] OPEN_MARK = {(byte) 0x80, 4, '(', '.'};
    private static final byte[] EMPTY_POP = {(byte) 0x80, 4, '0', '.'};
    private static final byte[] STOP_ONLY = {'.'};
    private static final byte[] BYTEARRAY8 = {(byte) 0x80, 5, (byte) 0x96, 1, 0, 0, 0, 0, 0, 0, 0, 'x', '.'};
    private static final byte[] PERSID = {(byte) 0x80, 4, 'P', 'x', '\n', '.'};
    private static final byte[] NEXT_BUFFER = {(byte) 0x80, 5, (byte) 0x97, '.'};

    private static final List<String> V01_TYPES = List.of("RepAuthCommand", "RepUpdateUserMetadata",
            "RepSnapshotCommand", "RepServerSnapshotCommand", "RepRightCommand", "RepDeleteCommand", "RepKickCommand",
            "RepDisconnectCommand", "RepUpdateClientsState", "RepNoSuchCommand", "", "RepAuthCommand\0",
            "repauthcommand");

    private static final Map<Generation, List<Vector>> VECTORS = new LinkedHashMap<>();

    private final Generation generation;
    private final Port port;
    private final Random rnd;
    /** Set by a command generator that made a login with an old client version. */
    private boolean oldVersionLogin;
    private final Targets targets;
    private final List<Vector> own;
    private final List<Vector> all;
    /** uuids this generator created (to edit, own, delete and re-create later): at most 64, the newest. */
    private final List<String> created = new ArrayList<>();

    FuzzFrames(Generation generation, Port port, long seed, Targets targets) {
        this.generation = generation;
        this.port = port;
        this.rnd = new Random(seed);
        this.targets = targets;
        this.all = vectors(generation);
        this.own = all.stream().filter(v -> belongsTo(v.name(), generation, port)).toList();
    }

    /**
     * A login that succeeds: fuzz name {@code index}, which no fuzzer holds yet. The commands port's
     * fuzzer sends it from identities 0 and 1 before anything else (see {@code SessionFuzz}).
     */
    Message login(int index) {
        String name = targets.fuzzNames().get(index);
        List<byte[]> command = generation == Generation.V01
                ? frames(ascii(name), ascii("RepAuthCommand"), p(map("AUTH_TYPE", "CLIENT", "AUTH_ID", name, "PWD",
                        null, "VERSION", version())))
                : frames(typeFrame(9), ascii(name), p(map("AUTH_TYPE", "CLIENT", "AUTH_ID", name, "S_PWD", "",
                        "A_PWD", null, "VERSION", version())));
        return new Message(Kind.HOSTILE, "login", command);
    }

    /** The next message(s) to send, in order, on one socket (a 0.1 datablock is a header and its chunks). */
    List<Message> next() {
        int r = rnd.nextInt(100);
        if (r < 30) {
            return List.of(new Message(Kind.RANDOM, "random", randomFrames()));
        }
        if (r < 65) {
            return mutated();
        }
        return hostile();
    }

    // ---------------------------------------------------------------- vectors

    /** Every vector of a generation, c2s and s2c, read once from the test resources. */
    static synchronized List<Vector> vectors(Generation generation) {
        return VECTORS.computeIfAbsent(generation, g -> {
            String dir = g == Generation.V01 ? "/vectors-0.1" : "/vectors-0.9";
            URL url = FuzzFrames.class.getResource(dir);
            if (url == null) {
                throw new IllegalStateException(dir + " is not on the test classpath");
            }
            List<Vector> out = new ArrayList<>();
            try (Stream<Path> folders = Files.list(Path.of(url.toURI()))) {
                for (Path folder : folders.filter(Files::isDirectory).sorted().toList()) {
                    List<byte[]> frames = new ArrayList<>();
                    for (int i = 0; Files.exists(folder.resolve("frame" + i + ".bin")); i++) {
                        frames.add(Files.readAllBytes(folder.resolve("frame" + i + ".bin")));
                    }
                    if (!frames.isEmpty()) {
                        out.add(new Vector(folder.getFileName().toString(), List.copyOf(frames)));
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } catch (URISyntaxException e) {
                throw new IllegalStateException(e);
            }
            if (out.isEmpty()) {
                throw new IllegalStateException("no vectors in " + dir);
            }
            return List.copyOf(out);
        });
    }

    /** Whether a real message travels on this port (client to server; for 0.1 P+1, the server's datablocks). */
    private static boolean belongsTo(String name, Generation g, Port port) {
        if (g == Generation.V01) {
            return switch (port) {
                case COMMANDS -> name.startsWith("cmd_c2s_");
                case DATA_OUT -> name.startsWith("datablock_s2c_");
                case DATA_IN -> name.startsWith("datablock_c2s_");
                default -> false;
            };
        }
        return switch (port) {
            case COMMANDS -> name.startsWith("cmd_c2s_") || name.startsWith("info_c2s_");
            case DATA -> name.startsWith("data_c2s_");
            case HEARTBEAT -> name.startsWith("ttl_c2s_");
            default -> false;
        };
    }

    private Vector pickVector() {
        // mostly this port's own messages; sometimes another port's, or a server's
        if (!own.isEmpty() && rnd.nextInt(4) != 0) {
            return own.get(rnd.nextInt(own.size()));
        }
        return all.get(rnd.nextInt(all.size()));
    }

    // ---------------------------------------------------------------- random

    private List<byte[]> randomFrames() {
        int count = rnd.nextInt(9); // 0..8; ZeroMQ has no empty message, so 0 is one empty frame
        List<byte[]> frames = new ArrayList<>();
        if (count == 0) {
            frames.add(new byte[0]);
            return frames;
        }
        for (int i = 0; i < count; i++) {
            frames.add(randomFrame());
        }
        return frames;
    }

    /** Mostly small, some up to 4 KiB, a few larger (up to {@link #LARGE_FRAME}); sometimes with a plausible start. */
    private byte[] randomFrame() {
        byte[] f = new byte[randomSize()];
        rnd.nextBytes(f);
        int start = rnd.nextInt(10);
        if (start == 0 && f.length >= 2) {
            f[0] = (byte) 0x80; // a pickle header, so the decoder gets past its first byte
            f[1] = (byte) (2 + rnd.nextInt(4));
        } else if (start == 1 && f.length >= 5) {
            System.arraycopy(typeFrame(rnd.nextInt(16)), 0, f, 0, 5);
        }
        return f;
    }

    private int randomSize() {
        int r = rnd.nextInt(1000);
        if (r < 3) {
            return 16 * 1024 + rnd.nextInt(LARGE_FRAME - 16 * 1024 + 1);
        }
        if (r < 650) {
            return rnd.nextInt(65);
        }
        return rnd.nextInt(4097);
    }

    // ---------------------------------------------------------------- mutated vectors

    private List<Message> mutated() {
        if (generation == Generation.V01 && port == Port.DATA_IN && rnd.nextBoolean()) {
            // header and chunk: the pair is one datablock; mutate either or both
            Vector header = vector("datablock_c2s_header");
            Vector chunk = vector("datablock_c2s_chunk");
            List<byte[]> h = new ArrayList<>(header.frames());
            h.set(0, identity()); // from a fuzzer's identity (maybe logged in) or a stranger
            if (rnd.nextBoolean()) {
                h.set(1, ascii(newUuid()));
            }
            List<Message> out = new ArrayList<>();
            out.add(new Message(Kind.MUTATED, "datablock_c2s_header", rnd.nextInt(3) == 0 ? h : mutate(h)));
            out.add(new Message(Kind.MUTATED, "datablock_c2s_chunk", rnd.nextBoolean() ? chunk.frames()
                    : mutate(chunk.frames())));
            return out;
        }
        Vector v = pickVector();
        return List.of(new Message(Kind.MUTATED, v.name(), mutate(v.frames())));
    }

    private Vector vector(String name) {
        return all.stream().filter(v -> v.name().equals(name)).findFirst().orElseThrow();
    }

    /** One to three mutations of a copy of {@code original}. */
    List<byte[]> mutate(List<byte[]> original) {
        List<byte[]> f = new ArrayList<>();
        original.forEach(b -> f.add(b.clone()));
        int n = 1 + rnd.nextInt(3);
        for (int i = 0; i < n; i++) {
            mutateOnce(f);
        }
        if (f.isEmpty()) {
            f.add(new byte[0]);
        }
        return f;
    }

    private void mutateOnce(List<byte[]> f) {
        if (f.isEmpty()) {
            f.add(randomFrame());
            return;
        }
        int i = rnd.nextInt(f.size());
        byte[] frame = f.get(i);
        switch (rnd.nextInt(13)) {
            case 0 -> { // bit flips
                if (frame.length > 0) {
                    for (int k = 1 + rnd.nextInt(8); k > 0; k--) {
                        int bit = rnd.nextInt(frame.length * 8);
                        frame[bit / 8] ^= (byte) (1 << (bit % 8));
                    }
                }
            }
            case 1 -> f.set(i, Arrays.copyOf(frame, rnd.nextInt(frame.length + 1))); // truncation
            case 2 -> { // extension
                byte[] tail = new byte[rnd.nextInt(50) == 0 ? randomSize() : 1 + rnd.nextInt(64)];
                rnd.nextBytes(tail);
                f.set(i, concat(frame, tail));
            }
            case 3 -> f.add(rnd.nextInt(f.size() + 1), frame.clone()); // duplication
            case 4 -> { // a frame less
                if (f.size() > 1) {
                    f.remove(i);
                }
            }
            case 5 -> { // reordering
                int j = rnd.nextInt(f.size());
                f.set(i, f.get(j));
                f.set(j, frame);
            }
            case 6 -> swapOpcode(frame);
            case 7 -> changeLength(frame);
            case 8 -> changeType(f);
            case 9 -> { // another message's frame
                Vector other = all.get(rnd.nextInt(all.size()));
                f.set(i, other.frames().get(rnd.nextInt(other.frames().size())).clone());
            }
            case 10 -> f.set(i, hostileText());
            case 11 -> f.add(rnd.nextInt(f.size() + 1), randomFrame());
            default -> { // a byte somewhere set to a random value
                if (frame.length > 0) {
                    frame[rnd.nextInt(frame.length)] = (byte) rnd.nextInt(256);
                }
            }
        }
    }

    /** Replaces one byte after the header of a pickle with an opcode (any byte of other frames). */
    private void swapOpcode(byte[] frame) {
        if (frame.length < 3) {
            return;
        }
        int from = frame[0] == (byte) 0x80 ? 2 : 0;
        frame[from + rnd.nextInt(frame.length - from)] = OPCODES[rnd.nextInt(OPCODES.length)];
    }

    /** Finds a length-prefixed opcode in a pickle and rewrites its length: 0, off by one, random, or absurd. */
    private void changeLength(byte[] frame) {
        List<int[]> candidates = new ArrayList<>(); // {offset of the length, its width}
        for (int p = 0; p < frame.length; p++) {
            int width = switch (frame[p]) {
                case (byte) 0x8c, 'C', 'K', 'U', (byte) 0x8a, 'h', 'q' -> 1;
                case 'X', 'B', 'T', 'J', (byte) 0x8b, 'j', 'r' -> 4;
                case (byte) 0x8d, (byte) 0x8e, (byte) 0x95, (byte) 0x96 -> 8;
                default -> 0;
            };
            if (width > 0 && p + 1 + width <= frame.length) {
                candidates.add(new int[] {p + 1, width});
            }
        }
        if (candidates.isEmpty()) {
            return;
        }
        int[] c = candidates.get(rnd.nextInt(candidates.size()));
        long old = 0;
        for (int k = 0; k < c[1]; k++) {
            old |= (frame[c[0] + k] & 0xffL) << (8 * k);
        }
        long value = switch (rnd.nextInt(6)) {
            case 0 -> 0;
            case 1 -> old + 1;
            case 2 -> old - 1;
            case 3 -> rnd.nextLong();
            case 4 -> c[1] == 1 ? 0xff : 0x7fffffffL;
            default -> c[1] == 8 ? 1L << 40 : -1;
        };
        for (int k = 0; k < c[1]; k++) {
            frame[c[0] + k] = (byte) (value >>> (8 * k));
        }
    }

    /** 0.9: another type number (or a non-canonical pickle of one); 0.1: another command name or chunk count. */
    private void changeType(List<byte[]> f) {
        if (generation == Generation.V09) {
            f.set(0, rnd.nextInt(4) == 0 ? oddTypeFrame() : typeFrame(typeNumber()));
        } else if (f.size() >= 2 && f.size() != 6) {
            f.set(1, ascii(V01_TYPES.get(rnd.nextInt(V01_TYPES.size()))));
        } else if (f.size() == 6) {
            f.set(4, chunkCount());
        }
    }

    private int typeNumber() {
        int r = rnd.nextInt(10);
        return r < 7 ? rnd.nextInt(16) : r < 9 ? rnd.nextInt(256) : 255;
    }

    /** A type frame the client never writes: other int encodings, negative, too big, not an int. */
    private byte[] oddTypeFrame() {
        return switch (rnd.nextInt(8)) {
            case 0 -> new byte[] {(byte) 0x80, 2, 'K', (byte) rnd.nextInt(16), '.'};
            case 1 -> p((long) rnd.nextInt(16) + 65536);
            case 2 -> p(-1 - rnd.nextInt(5));
            case 3 -> p(256 + rnd.nextInt(1000));
            case 4 -> BIG_INT.clone();
            case 5 -> p("9");
            case 6 -> new byte[] {'K', (byte) rnd.nextInt(16), '.'}; // no PROTO
            default -> p(null);
        };
    }

    /** A text frame the client never writes: invalid UTF-8, empty, long, control characters. */
    private byte[] hostileText() {
        return switch (rnd.nextInt(5)) {
            case 0 -> new byte[] {(byte) 0xff, (byte) 0xfe, (byte) 0xc0, (byte) 0x80, (byte) 0xed, (byte) 0xa0,
                (byte) 0x80};
            case 1 -> new byte[0];
            case 2 -> ascii("a".repeat(1 + rnd.nextInt(8192)));
            case 3 -> ascii("\0\r\n\t\u001b[31m" + newUuid());
            default -> "ünïcødé-\uD83D\uDE00".getBytes(StandardCharsets.UTF_8);
        };
    }

    // ---------------------------------------------------------------- hostile but well-formed

    private List<Message> hostile() {
        return switch (port) {
            case COMMANDS -> {
                oldVersionLogin = false;
                List<byte[]> command = generation == Generation.V01 ? hostileCommand01() : hostileCommand09();
                yield List.of(new Message(Kind.HOSTILE, oldVersionLogin ? FRESH_CONNECTION : "command", command));
            }
            case DATA_IN -> hostileDatablock01();
            case DATA -> List.of(new Message(Kind.HOSTILE, "datablock", hostileDatablock09()));
            case DATA_OUT -> rnd.nextBoolean() ? hostileDatablock01()
                    : List.of(new Message(Kind.HOSTILE, "command", hostileCommand01()));
            case HEARTBEAT -> List.of(new Message(Kind.HOSTILE, "heartbeat", hostileHeartbeat()));
        };
    }

    /** Four-port commands {@code [owner, typeName, pickle]}. */
    private List<byte[]> hostileCommand01() {
        String owner = rnd.nextInt(4) == 0 ? pick(targets.honestNames()) : fuzzName();
        int r = rnd.nextInt(16);
        String type;
        byte[] data;
        switch (r) {
            case 0, 1 -> { // a login that succeeds (a fuzzer goes deeper), or a refused one
                type = "RepAuthCommand";
                boolean admin = rnd.nextInt(4) == 0;
                boolean oldVersion = rnd.nextInt(5) == 0;
                oldVersionLogin = oldVersion && !admin;
                data = p(map("AUTH_TYPE", admin ? "ADMIN" : "CLIENT", "AUTH_ID", admin || oldVersion ? freshName()
                        : loginName(), "PWD", rnd.nextBoolean() ? null : "admin", "VERSION", oldVersion ? "0.0.1"
                        : "0.1.25"));
            }
            case 2 -> {
                type = "RepAuthCommand";
                data = oddAuth();
            }
            case 3, 4 -> {
                type = "RepUpdateUserMetadata";
                data = metadata();
            }
            case 5 -> {
                type = "RepSnapshotCommand";
                data = p(snapshotData());
            }
            case 6 -> {
                type = "RepServerSnapshotCommand";
                data = uploadData(false);
            }
            case 7 -> {
                type = "RepRightCommand";
                data = p(map("uuid", rnd.nextInt(6) == 0 ? List.of(target()) : target(), "owner", newOwner()));
            }
            case 8 -> {
                type = "RepDeleteCommand";
                data = p(rnd.nextInt(8) == 0 ? (Object) rnd.nextInt() : target());
            }
            case 9 -> {
                type = "RepKickCommand";
                data = p(map("user", rnd.nextInt(6) == 0 ? (Object) List.of("x") : loginOrHonestName()));
            }
            case 10 -> {
                type = V01_TYPES.get(rnd.nextInt(V01_TYPES.size()));
                data = p(wrongValue());
            }
            case 11 -> {
                type = V01_TYPES.get(rnd.nextInt(7));
                data = hostilePickle();
            }
            case 12 -> { // a value of the wrong type for a known command
                type = V01_TYPES.get(rnd.nextInt(7));
                data = p(wrongValue());
            }
            case 13 -> { // valid pickle, dict of the right shape, one field of the wrong type
                type = V01_TYPES.get(rnd.nextInt(7));
                data = p(map("STATE", wrongValue(), "uuid", wrongValue(), "owner", wrongValue(), "user", wrongValue(),
                        "AUTH_TYPE", "CLIENT", "AUTH_ID", wrongValue(), "VERSION", "0.1.25"));
            }
            default -> { // the sets of the three-port model, refused by the four-port one
                type = "RepUpdateUserMetadata";
                data = p(map("selected_objects", new LinkedHashSet<>(List.of(newUuid()))));
            }
        }
        return frames(ascii(owner), ascii(type), data);
    }

    /** Three-port commands {@code [pickle(type), owner, pickle(data)]}. */
    private List<byte[]> hostileCommand09() {
        String owner = rnd.nextInt(4) == 0 ? pick(targets.honestNames()) : fuzzName();
        int r = rnd.nextInt(17);
        int type;
        byte[] data;
        switch (r) {
            case 0, 1 -> {
                type = 9;
                boolean admin = rnd.nextInt(4) == 0;
                boolean oldVersion = rnd.nextInt(5) == 0;
                oldVersionLogin = oldVersion && !admin;
                data = p(map("AUTH_TYPE", admin ? "ADMIN" : "CLIENT", "AUTH_ID", admin || oldVersion ? freshName()
                        : loginName(), "S_PWD", rnd.nextInt(3) == 0 ? null : rnd.nextInt(3) == 0 ? "secret" : "",
                        "A_PWD", rnd.nextBoolean() ? null : "admin",
                        "VERSION", oldVersion ? "0.9.8" : rnd.nextBoolean() ? "0.9.10" : "0.9.9"));
            }
            case 2 -> {
                type = 9;
                data = oddAuth();
            }
            case 3, 4 -> {
                type = 13;
                data = metadata();
            }
            case 5 -> {
                type = 7;
                data = p(snapshotData());
            }
            case 6 -> {
                type = 8;
                data = uploadData(true);
            }
            case 7 -> {
                type = 5;
                List<Object> uuids = new ArrayList<>();
                for (int k = rnd.nextInt(rnd.nextInt(10) == 0 ? 500 : 6); k > 0; k--) {
                    uuids.add(target());
                }
                data = p(map("uuid", rnd.nextInt(8) == 0 ? (Object) target() : uuids, "owner", newOwner()));
            }
            case 8 -> {
                type = 4;
                data = p(rnd.nextInt(8) == 0 ? (Object) List.of(target()) : target());
            }
            case 9 -> {
                type = 11;
                data = p(map("user", rnd.nextInt(6) == 0 ? (Object) 7 : loginOrHonestName()));
            }
            case 10 -> { // server info: answered to anyone, whatever the data
                type = 14;
                data = rnd.nextBoolean() ? p("RQ_INFO") : randomFrame();
            }
            case 11 -> { // a type number no client sends on P (datablocks, server-only, unknown)
                int[] odd = {1, 2, 3, 6, 10, 12, 15, 99, 255};
                type = odd[rnd.nextInt(odd.length)];
                data = p(wrongValue());
            }
            case 12 -> {
                type = typeNumber();
                data = hostilePickle();
            }
            case 13 -> {
                type = typeNumber();
                data = p(wrongValue());
            }
            case 14 -> {
                type = new int[] {4, 5, 7, 8, 9, 11, 13}[rnd.nextInt(7)];
                data = p(map("STATE", wrongValue(), "uuid", wrongValue(), "owner", wrongValue(), "user", wrongValue(),
                        "AUTH_TYPE", "CLIENT", "AUTH_ID", wrongValue(), "VERSION", "0.9.10", "ID", wrongValue()));
            }
            case 15 -> { // metadata over the 256 KiB cap
                type = 13;
                data = p(map("blob", new byte[256 * 1024 + rnd.nextInt(1024)]));
            }
            default -> {
                type = 13;
                data = p(map("selected_objects", new LinkedHashSet<>(List.of(newUuid(), target())),
                        "color", new Object[] {0.1, 0.2, 0.3, 1}));
            }
        }
        byte[] typeFrame = rnd.nextInt(12) == 0 ? oddTypeFrame() : typeFrame(type);
        return frames(typeFrame, ascii(owner), data);
    }

    /** Login dicts with missing keys, wrong types, empty or reserved names. */
    private byte[] oddAuth() {
        return switch (rnd.nextInt(9)) {
            case 0 -> p(map("AUTH_TYPE", 1, "AUTH_ID", fuzzName(), "VERSION", version()));
            case 1 -> p(map("AUTH_TYPE", "CLIENT", "AUTH_ID", List.of(fuzzName()), "VERSION", version()));
            case 2 -> p(map("AUTH_TYPE", "CLIENT", "AUTH_ID", "", "VERSION", version()));
            case 3 -> p(map("AUTH_TYPE", "CLIENT", "AUTH_ID", fuzzName(), "VERSION", null));
            case 4 -> p(map("AUTH_TYPE", "ROOT", "AUTH_ID", fuzzName(), "VERSION", version()));
            case 5 -> p(map("AUTH_TYPE", "CLIENT", "AUTH_ID", rnd.nextBoolean() ? "COMMON" : "server", "S_PWD", "",
                    "VERSION", version()));
            case 6 -> p(List.of("AUTH_TYPE", "CLIENT"));
            case 7 -> p(map("AUTH_TYPE", "CLIENT", "AUTH_ID", "x".repeat(4096), "PWD", new byte[] {1}, "S_PWD", 5,
                    "VERSION", version()));
            default -> p(map("AUTH_TYPE", "CLIENT", "AUTH_ID", fuzzName(), "VERSION", version(), "PWD",
                    map("nested", List.of(1, 2))));
        };
    }

    private String version() {
        return generation == Generation.V01 ? "0.1.25" : "0.9.10";
    }

    /** Presence updates: random keys and values, some too deep, some with non-str keys, some with too many keys. */
    private byte[] metadata() {
        int r = rnd.nextInt(10);
        if (r == 0) {
            return p(map(7, "int key"));
        }
        if (r == 1) { // more keys than a user may have (256)
            Map<Object, Object> many = new LinkedHashMap<>();
            for (int k = 0; k < 300; k++) {
                many.put("k" + rnd.nextInt(100_000), k);
            }
            return p(many);
        }
        if (r == 2) {
            // Around the server's depth limit (32; 30 for metadata, which is broadcast 2 levels deeper:
            // FuzzTest#metadataIsOnlyAcceptedAsDeepAsItCanBeBroadcast)
            int depth = 20 + rnd.nextInt(28);
            return p(map("view_matrix", nested(depth)));
        }
        if (r == 3) {
            return rnd.nextBoolean() ? CYCLE.clone() : LIST_KEY.clone();
        }
        Map<Object, Object> m = new LinkedHashMap<>();
        for (int k = rnd.nextInt(6); k >= 0; k--) {
            m.put(pick(List.of("color", "frame_current", "view_matrix", "view_corners", "scene_current",
                    "mode_current", "k" + rnd.nextInt(20))), smallValue(3));
        }
        return p(m);
    }

    /** A list nested {@code depth} levels deep (the limit is 32). */
    private static Object nested(int depth) {
        Object v = 1;
        for (int i = 0; i < depth; i++) {
            v = List.of(v);
        }
        return Map.of("deep", v);
    }

    private Object smallValue(int depth) {
        int r = rnd.nextInt(depth <= 0 ? 7 : 10);
        return switch (r) {
            case 0 -> null;
            case 1 -> rnd.nextBoolean();
            case 2 -> rnd.nextInt();
            case 3 -> rnd.nextDouble();
            case 4 -> newUuid();
            case 5 -> bytes(rnd.nextInt(64));
            case 6 -> rnd.nextLong();
            case 7 -> new Object[] {smallValue(depth - 1), smallValue(depth - 1)};
            case 8 -> Arrays.asList(smallValue(depth - 1), smallValue(depth - 1), smallValue(depth - 1)); // may hold None
            default -> map("a", smallValue(depth - 1), "b", smallValue(depth - 1));
        };
    }

    private Map<Object, Object> snapshotData() {
        return switch (rnd.nextInt(7)) {
            case 0 -> map("STATE", "REQUEST_INIT");
            case 1 -> map("STATE", "DONE");
            case 2, 3 -> map("STATE", "GET", "ID", target());
            case 4 -> map("STATE", "GET", "ID", rnd.nextInt());
            case 5 -> map("STATE", "GET");
            default -> map("STATE", pick(List.of("INIT", "SET", "", "get")));
        };
    }

    /** Upload commands: INIT with absurd sizes and long node lists, SETs of nodes nobody announced, END. */
    private byte[] uploadData(boolean v09) {
        switch (rnd.nextInt(6)) {
            case 0 -> {
                List<String> nodes = new ArrayList<>();
                for (int k = rnd.nextInt(rnd.nextInt(10) == 0 ? 5000 : 8); k > 0; k--) {
                    nodes.add(newUuid());
                }
                return p(map("STATE", "INIT", "SIZE", pick(List.of(0, -1, Integer.MAX_VALUE, Long.MAX_VALUE, 3)),
                        "NODES", nodes));
            }
            case 1 -> { // SIZE beyond 64 bits: a raw LONG1 inside the dict
                byte[] head = {(byte) 0x80, 4, '}', '(', (byte) 0x8c, 5, 'S', 'T', 'A', 'T', 'E', (byte) 0x8c, 4, 'I',
                    'N', 'I', 'T', (byte) 0x8c, 4, 'S', 'I', 'Z', 'E', (byte) 0x8a, 16};
                byte[] big = new byte[16];
                rnd.nextBytes(big);
                byte[] tail = {(byte) 0x8c, 5, 'N', 'O', 'D', 'E', 'S', ']', 'u', '.'};
                return concat(concat(head, big), tail);
            }
            case 2 -> {
                if (v09) {
                    return p(map("STATE", "SET", "DATA", List.of(typeFrame(2), ascii(target()), ascii("COMMON"),
                            p(List.of()), bytes(rnd.nextInt(256)))));
                }
                return p(map("STATE", "SET", "DATA", map("owner", ascii("COMMON"), "uuid", ascii(target()), "type",
                        ascii("T"), "dependencies", p(null), "data", bytes(rnd.nextInt(256)))));
            }
            case 3 -> {
                Object bad = v09 ? List.of(typeFrame(1), ascii(newUuid())) : map("uuid", 5, "data", "str");
                return p(map("STATE", "SET", "DATA", bad));
            }
            case 4 -> {
                return p(map("STATE", "END"));
            }
            default -> {
                return p(map("STATE", "INIT", "SIZE", "many", "NODES", newUuid()));
            }
        }
    }

    /** Four-port datablocks on P+2: a header (6 frames) and its chunks, as the client pushes them, but hostile. */
    private List<Message> hostileDatablock01() {
        List<Message> out = new ArrayList<>();
        String uuid = target();
        int r = rnd.nextInt(12);
        int chunks = 1;
        byte[] count = p(1);
        if (r == 0) {
            chunks = 2 + rnd.nextInt(4); // several chunks: concatenated by the server
            count = p(chunks);
        } else if (r == 1) {
            count = p(1024); // the maximum, then only a few: the next header discards it
            chunks = rnd.nextInt(3);
        } else if (r == 2) {
            count = chunkCount(); // refused: its chunks are swallowed or stray
        }
        byte[] identity = r == 3 ? (rnd.nextBoolean() ? new byte[0] : bytes(300)) : identity();
        byte[] uuidFrame = r == 4 ? hostileText() : ascii(uuid);
        byte[] deps = switch (r) {
            case 5 -> p(List.of(1, 2));
            case 6 -> hostilePickle();
            default -> rnd.nextBoolean() ? p(null) : p(List.of(pick(targets.honestUuids())));
        };
        String owner = rnd.nextInt(3) == 0 ? pick(targets.honestNames()) : rnd.nextBoolean() ? "COMMON" : fuzzName();
        out.add(new Message(Kind.HOSTILE, "datablock header", frames(identity, uuidFrame, ascii(owner),
                ascii(rnd.nextBoolean() ? "SynthNode" : "T" + rnd.nextInt(9)), count, deps)));
        if (r == 7) {
            return out; // a header alone: the next message on this connection is not its chunk
        }
        if (r == 8) {
            out.clear(); // a chunk alone
            chunks = 1;
        }
        for (int k = 0; k < chunks; k++) {
            byte[] chunk = r == 9 ? bytes(64 * 1024 + rnd.nextInt(LARGE_FRAME - 64 * 1024)) : bytes(rnd.nextInt(2048));
            out.add(new Message(Kind.HOSTILE, "datablock chunk", r == 10 ? frames(chunk, chunk) : frames(chunk)));
        }
        return out;
    }

    private byte[] chunkCount() {
        return switch (rnd.nextInt(6)) {
            case 0 -> p(0);
            case 1 -> p(-1);
            case 2 -> p(1_000_000_000);
            case 3 -> BIG_INT.clone();
            case 4 -> p("1");
            default -> hostilePickle();
        };
    }

    /** Three-port datablocks on P+1: Node {@code [2, uuid, owner, deps, data]}, Commit {@code [1, uuid, deps, delta]}. */
    private List<byte[]> hostileDatablock09() {
        String uuid = target();
        byte[] deps = switch (rnd.nextInt(8)) {
            case 0 -> p(null);
            case 1 -> p(List.of(1));
            case 2 -> p(List.of("x".repeat(200)));
            case 3 -> hostilePickle();
            default -> p(rnd.nextBoolean() ? List.of() : List.of(pick(targets.honestUuids())));
        };
        byte[] blob = rnd.nextInt(10) == 0 ? new byte[0] : rnd.nextInt(3) == 0 ? hostilePickle()
                : bytes(rnd.nextInt(rnd.nextInt(100) == 0 ? LARGE_FRAME : 2048));
        byte[] uuidFrame = rnd.nextInt(10) == 0 ? hostileText() : ascii(uuid);
        byte[] typeFrame = rnd.nextInt(10) == 0 ? oddTypeFrame() : null;
        if (rnd.nextBoolean()) {
            String owner = rnd.nextInt(3) == 0 ? pick(targets.honestNames()) : rnd.nextBoolean() ? "COMMON" : fuzzName();
            List<byte[]> f = frames(typeFrame != null ? typeFrame : typeFrame(2), uuidFrame, ascii(owner), deps, blob);
            if (rnd.nextInt(10) == 0) {
                f.remove(rnd.nextInt(f.size())); // a Node of four frames
            }
            return f;
        }
        List<byte[]> f = frames(typeFrame != null ? typeFrame : typeFrame(1), uuidFrame, deps, blob);
        if (rnd.nextInt(10) == 0) {
            f.add(bytes(8)); // a Commit of five frames
        }
        return f;
    }

    private List<byte[]> hostileHeartbeat() {
        return switch (rnd.nextInt(10)) {
            case 0, 1 -> frames(INIT.clone());
            case 2, 3 -> frames(PONG.clone());
            case 4 -> frames(PING.clone());
            case 5 -> frames(INIT.clone(), PONG.clone());
            case 6 -> frames(new byte[0]);
            case 7 -> frames(ascii(pick(List.of("init", "INIT\0", "PONG ", "INITPONG", "ping"))));
            case 8 -> frames(bytes(rnd.nextInt(20) == 0 ? LARGE_FRAME : 4096));
            default -> frames(PONG.clone(), PONG.clone(), PONG.clone());
        };
    }

    /** A pickle that is refused: instantiation, absurd lengths, bad memo, cycles, protocol 5, broken stack. */
    private byte[] hostilePickle() {
        byte[][] all = {EVIL_GLOBAL, EVIL_STACK_GLOBAL, HUGE_BINBYTES8, HUGE_BINUNICODE, HUGE_FRAME, HUGE_LONG4, BIG_INT,
            BAD_MEMO, CYCLE, LIST_KEY, OPEN_MARK, EMPTY_POP, STOP_ONLY, BYTEARRAY8, PERSID, NEXT_BUFFER};
        int r = rnd.nextInt(all.length + 3);
        if (r < all.length) {
            return all[r].clone();
        }
        if (r == all.length) { // deep nesting: EMPTY_LIST × n, APPEND × (n - 1)
            int n = rnd.nextInt(10) == 0 ? 100_000 : 40 + rnd.nextInt(200);
            byte[] b = new byte[2 * n + 2];
            b[0] = (byte) 0x80;
            b[1] = 4;
            Arrays.fill(b, 2, 2 + n, (byte) ']');
            Arrays.fill(b, 2 + n, 2 * n + 1, (byte) 'a');
            b[b.length - 1] = '.';
            return b;
        }
        if (r == all.length + 1) { // a valid pickle with garbage after STOP
            return concat(p(map("STATE", "DONE")), bytes(1 + rnd.nextInt(16)));
        }
        return p(new LinkedHashSet<>(List.of(1, 2))); // a set: refused by the four-port model only
    }

    /** Values of the wrong type for any field. */
    private Object wrongValue() {
        return switch (rnd.nextInt(9)) {
            case 0 -> null;
            case 1 -> rnd.nextInt();
            case 2 -> List.of(1, "two", 3.0);
            case 3 -> new Object[] {"tuple"};
            case 4 -> bytes(rnd.nextInt(32));
            case 5 -> map("nested", map("dict", 1));
            case 6 -> rnd.nextDouble();
            case 7 -> "";
            default -> new LinkedHashSet<>(List.of("set"));
        };
    }

    // ---------------------------------------------------------------- targets

    /** A node to aim at: an honest user's (refused), one this fuzzer created, a fresh one, or a captured one. */
    private String target() {
        int r = rnd.nextInt(10);
        if (r < 3) {
            return pick(targets.honestUuids());
        }
        if (r < 6 && !created.isEmpty()) {
            return created.get(rnd.nextInt(created.size()));
        }
        if (r < 9) {
            String uuid = newUuid();
            created.add(uuid);
            if (created.size() > 64) {
                created.remove(0);
            }
            return uuid;
        }
        return "01da20d6-c1d2-487e-91fe-dce2913ff72a"; // the node of the captured 0.9 vectors
    }

    private String newUuid() {
        return new UUID(rnd.nextLong(), rnd.nextLong()).toString();
    }

    private String newOwner() {
        int r = rnd.nextInt(5);
        return r == 0 ? "COMMON" : r == 1 ? pick(targets.honestNames()) : r == 2 ? "" : fuzzName();
    }

    private String fuzzName() {
        return pick(targets.fuzzNames());
    }

    /** Mostly fuzzer names (so logins succeed), sometimes an honest user's name (refused: already logged in). */
    private String loginName() {
        return rnd.nextInt(5) == 0 ? pick(targets.honestNames()) : fuzzName();
    }

    /** A name nobody uses: the login gets past the name check to the password and version checks. */
    private String freshName() {
        return "fuzz-" + rnd.nextInt(1_000_000);
    }

    private String loginOrHonestName() {
        return rnd.nextBoolean() ? pick(targets.honestNames()) : rnd.nextBoolean() ? fuzzName() : "nobody";
    }

    /** frame 0 of a four-port datablock: a fuzzer socket's identity (maybe logged in), a stranger's, or odd. */
    private byte[] identity() {
        int r = rnd.nextInt(10);
        if (r < 6) {
            return targets.identities().get(rnd.nextInt(targets.identities().size())).clone();
        }
        return bytes(r == 9 ? 1 + rnd.nextInt(40) : 16);
    }

    private <T> T pick(List<T> from) {
        return from.get(rnd.nextInt(from.size()));
    }

    private byte[] bytes(int n) {
        byte[] b = new byte[n];
        rnd.nextBytes(b);
        return b;
    }

    // ---------------------------------------------------------------- helpers

    static byte[] typeFrame(int type) {
        return new byte[] {(byte) 0x80, 4, 'K', (byte) type, '.'};
    }

    private static byte[] p(Object value) {
        return ClientPickler.dumps(value);
    }

    private static List<byte[]> frames(byte[]... frames) {
        return new ArrayList<>(Arrays.asList(frames));
    }

    private static Map<Object, Object> map(Object... keyValues) {
        Map<Object, Object> out = new LinkedHashMap<>();
        for (int i = 0; i < keyValues.length; i += 2) {
            out.put(keyValues[i], keyValues[i + 1]);
        }
        return out;
    }

    static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
