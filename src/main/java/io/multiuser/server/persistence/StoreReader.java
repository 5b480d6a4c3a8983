package io.multiuser.server.persistence;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32C;

import io.multiuser.server.memory.PayloadStash;
import io.multiuser.server.protocol.Delta;
import io.multiuser.server.protocol.Node;
import io.multiuser.server.protocol.Payload;
import io.multiuser.server.session.Scene;
import io.multiuser.server.session.SessionState;

/**
 * Replays a session log (or an exported session) into the scene it describes. Reading stops at
 * the first record that is incomplete, fails its checksum or cannot be parsed: everything
 * before it is the result, and {@link Replay#damage()} says where and why it stopped.
 */
public final class StoreReader {

    /** Longest uuid, owner or type string accepted (a garbage length must not allocate gigabytes). */
    private static final int MAX_STRING_BYTES = 64 * 1024;
    private static final int MAX_DEPENDENCIES = 1 << 20;

    /** Where a log stopped being readable, and why. */
    public record Damage(long offset, String reason) {
    }

    /**
     * The scene a log describes: its nodes in catalog order and each node's chain of deltas since
     * its last put, oldest first (only non-empty chains). {@code validBytes} is the length of its
     * readable prefix (header included): a damaged log is cut there. {@code stateRecorded} says
     * whether a state record was read: an export ends with its only one, so an export cut between
     * two records (which no checksum can see) is one without. {@code version} is the header's
     * format version (0 without a complete header).
     */
    public record Replay(LinkedHashMap<String, Node> nodes, Map<String, List<Delta>> chains, SessionState state,
            long records, long validBytes, Damage damage, boolean stateRecorded, int version) {

        public long payloadBytes() {
            return nodes.values().stream().mapToLong(n -> n.payload().length()).sum();
        }

        /** The nodes and chains as one scene (owners as logged). */
        public Scene scene() {
            return new Scene(List.copyOf(nodes.values()), chains);
        }
    }

    private StoreReader() {
    }

    /**
     * Reads a log. A file that is not a session log, or one of a format version this server does
     * not know, is refused with {@link StoreFormatException}; a header cut short (a crash while
     * creating the file) is damage at offset 0.
     */
    public static Replay read(InputStream source) throws IOException {
        return read(source, PayloadStash.none());
    }

    /** {@link #read}, the big payloads into {@code stash}'s spill file rather than onto the heap. */
    public static Replay read(InputStream source, PayloadStash stash) throws IOException {
        return read(source, new DurableScene(), stash);
    }

    /** {@link #read}, into {@code scene} (new), which the store then keeps in step with the log. */
    static Replay read(InputStream source, DurableScene scene, PayloadStash stash) throws IOException {
        Counting in = new Counting(new BufferedInputStream(source, 1 << 16));
        byte[] header = in.readNBytes(StoreFormat.HEADER_BYTES);
        if (header.length < StoreFormat.HEADER_BYTES) {
            if (!Arrays.equals(header, Arrays.copyOf(StoreFormat.header(), header.length))) {
                throw notALog();
            }
            Damage damage = header.length == 0 ? null : new Damage(0, "header cut short at " + header.length + " bytes");
            return result(scene, 0, 0, damage, false, 0);
        }
        if (!Arrays.equals(Arrays.copyOf(header, StoreFormat.MAGIC.length), StoreFormat.MAGIC)) {
            throw notALog();
        }
        int version = ((header[8] & 0xff) << 24) | ((header[9] & 0xff) << 16) | ((header[10] & 0xff) << 8)
                | (header[11] & 0xff);
        if (version < StoreFormat.FIRST_VERSION || version > StoreFormat.VERSION) {
            throw new StoreFormatException("it has format version " + version + ", and this server reads versions "
                    + StoreFormat.FIRST_VERSION + " to " + StoreFormat.VERSION + " only");
        }
        boolean stateRecorded = false;
        long records = 0;
        while (true) {
            long start = in.count;
            Record record;
            try {
                record = next(in, stash);
            } catch (EOFException e) {
                boolean clean = in.count == start; // nothing after the last complete record
                return result(scene, records, start, clean ? null : new Damage(start, "record cut short"),
                        stateRecorded, version);
            } catch (BadRecord e) {
                return result(scene, records, start, new Damage(start, e.getMessage()), stateRecorded, version);
            }
            record.applyTo(scene);
            stateRecorded |= record instanceof Record.State;
            records++;
        }
    }

    private static Replay result(DurableScene scene, long records, long validBytes, Damage damage,
            boolean stateRecorded, int version) {
        return new Replay(scene.nodes(), scene.chains(), scene.state(), records, validBytes, damage, stateRecorded,
                version);
    }

    private static StoreFormatException notALog() {
        return new StoreFormatException("it is not a multi-user-server session log (no MUSRVLOG header)");
    }

    /** One decoded record, applied to the scene only once it is whole and its checksum matches. */
    private sealed interface Record {

        void applyTo(DurableScene scene);

        record Put(Node node) implements Record {
            public void applyTo(DurableScene scene) {
                scene.put(node);
            }
        }

        record Owner(String uuid, String owner) implements Record {
            public void applyTo(DurableScene scene) {
                scene.owner(uuid, owner);
            }
        }

        record Delete(String uuid) implements Record {
            public void applyTo(DurableScene scene) {
                scene.delete(uuid);
            }
        }

        record Clear() implements Record {
            public void applyTo(DurableScene scene) {
                scene.clear();
            }
        }

        record State(SessionState state) implements Record {
            public void applyTo(DurableScene scene) {
                scene.state(state);
            }
        }

        record Appended(String uuid, Delta delta) implements Record {
            public void applyTo(DurableScene scene) {
                scene.delta(uuid, delta);
            }
        }

        record Dependencies(String uuid, List<String> dependencies) implements Record {
            public void applyTo(DurableScene scene) {
                scene.dependencies(uuid, dependencies);
            }
        }
    }

    private static final class BadRecord extends Exception {
        BadRecord(String message) {
            super(message, null, false, false);
        }
    }

    private static Record next(Counting raw, PayloadStash stash) throws IOException, BadRecord {
        DataInputStream in = new DataInputStream(raw);
        int length = in.readInt();
        int crc = in.readInt();
        if (length < 1) {
            throw new BadRecord("record length " + length + " is impossible");
        }
        // Fields straight from the stream with the checksum running: a payload is read once, into its own array.
        Fields body = new Fields(in, length, stash);
        Record record;
        try {
            record = parse(body);
            if (body.remaining != 0) {
                throw new BadRecord(body.remaining + " unexpected bytes at the end of a record");
            }
        } catch (BadRecord e) {
            body.skipRest();
            throw body.crc() != crc ? new BadRecord("checksum mismatch") : e; // a damaged record says so first
        }
        if (body.crc() != crc) {
            throw new BadRecord("checksum mismatch");
        }
        return record;
    }

    private static Record parse(Fields f) throws IOException, BadRecord {
        byte type = f.u8();
        return switch (type) {
            case StoreFormat.PUT -> {
                String uuid = f.string();
                String owner = f.string();
                String nodeType = f.string();
                List<String> dependencies = f.strings();
                int size = f.count(Integer.MAX_VALUE, "payload length");
                yield new Record.Put(new Node(uuid, owner, nodeType, dependencies, f.payload(size)));
            }
            case StoreFormat.OWNER -> new Record.Owner(f.string(), f.string());
            case StoreFormat.DELETE -> new Record.Delete(f.string());
            case StoreFormat.CLEAR -> new Record.Clear();
            case StoreFormat.STATE -> {
                int code = f.u8();
                if (code > 2) {
                    throw new BadRecord("unknown session state code " + code);
                }
                yield new Record.State(StoreFormat.stateOf(code));
            }
            case StoreFormat.DELTA -> {
                String uuid = f.string();
                List<String> dependencies = f.strings();
                byte[] pickle = f.bytes(f.count(Integer.MAX_VALUE, "dependencies pickle length"));
                byte[] blob = f.bytes(f.count(Integer.MAX_VALUE, "delta length"));
                yield new Record.Appended(uuid, new Delta(dependencies, pickle, blob));
            }
            case StoreFormat.DEPENDENCIES -> new Record.Dependencies(f.string(), f.strings());
            default -> throw new BadRecord("unknown record type " + type);
        };
    }

    /** Bounds-checked reads of one record's body from the stream, feeding its checksum. */
    private static final class Fields {
        /** Larger arrays are allocated as their bytes arrive: a garbage length cannot exhaust the heap. */
        private static final int EAGER_ALLOCATION_MAX = 64 << 20;
        private final DataInputStream in;
        private final PayloadStash stash;
        private final CRC32C check = new CRC32C();
        private int remaining;

        Fields(DataInputStream in, int length, PayloadStash stash) {
            this.in = in;
            this.stash = stash;
            this.remaining = length;
        }

        byte u8() throws IOException, BadRecord {
            return read(1)[0];
        }

        int count(int max, String what) throws IOException, BadRecord {
            byte[] b = read(4);
            int n = ((b[0] & 0xff) << 24) | ((b[1] & 0xff) << 16) | ((b[2] & 0xff) << 8) | (b[3] & 0xff);
            if (n < 0 || n > max) {
                throw new BadRecord(what + " " + n + " is out of range");
            }
            return n;
        }

        String string() throws IOException, BadRecord {
            return new String(read(count(MAX_STRING_BYTES, "string length")), StandardCharsets.UTF_8);
        }

        /** A count, then that many strings (dependencies). */
        List<String> strings() throws IOException, BadRecord {
            int count = count(MAX_DEPENDENCIES, "dependency count");
            List<String> strings = new ArrayList<>(Math.min(count, 64));
            for (int i = 0; i < count; i++) {
                strings.add(string());
            }
            return strings;
        }

        byte[] bytes(int n) throws IOException, BadRecord {
            return read(n);
        }

        /** A node's payload: a big one streamed into the stash's file, checksummed on the way. */
        Payload payload(int n) throws IOException, BadRecord {
            if (!stash.takes(n)) {
                return Payload.of(read(n));
            }
            if (n > remaining) {
                throw new BadRecord("record body ends inside a field");
            }
            Payload payload = stash.take((into, offset, length) -> {
                in.readFully(into, offset, length);
                check.update(into, offset, length);
            }, n);
            remaining -= n;
            return payload;
        }

        private byte[] read(int n) throws IOException, BadRecord {
            if (n > remaining) {
                throw new BadRecord("record body ends inside a field");
            }
            byte[] bytes;
            if (n <= EAGER_ALLOCATION_MAX) {
                bytes = new byte[n];
                in.readFully(bytes);
            } else {
                bytes = in.readNBytes(n);
                if (bytes.length < n) {
                    throw new EOFException();
                }
            }
            check.update(bytes);
            remaining -= n;
            return bytes;
        }

        /** Reads what is left of the body (for the checksum of a record that did not parse). */
        void skipRest() throws IOException {
            byte[] buffer = new byte[8192];
            while (remaining > 0) {
                int n = in.read(buffer, 0, Math.min(buffer.length, remaining));
                if (n < 0) {
                    throw new EOFException();
                }
                check.update(buffer, 0, n);
                remaining -= n;
            }
        }

        int crc() {
            return (int) check.getValue();
        }
    }

    /** Counts the bytes read, for the offsets of damage. */
    private static final class Counting extends InputStream {
        private final InputStream in;
        long count;

        Counting(InputStream in) {
            this.in = in;
        }

        @Override
        public int read() throws IOException {
            int b = in.read();
            if (b >= 0) {
                count++;
            }
            return b;
        }

        @Override
        public int read(byte[] buffer, int offset, int length) throws IOException {
            int n = in.read(buffer, offset, length);
            if (n > 0) {
                count += n;
            }
            return n;
        }
    }
}
