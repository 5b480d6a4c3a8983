package io.multiuser.server.persistence;

import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.zip.CRC32C;

import io.multiuser.server.protocol.Delta;
import io.multiuser.server.protocol.Node;
import io.multiuser.server.protocol.Payload;
import io.multiuser.server.session.Scene;
import io.multiuser.server.session.SessionState;

/**
 * The on-disk format of the session log, also used for exported sessions: a 12-byte header
 * ({@code MUSRVLOG} and a format version), then records {@code [int length][int crc32c][body]},
 * big-endian, where the body is a type byte and its fields. A record is applied only when it is
 * complete and its checksum matches, so a crash mid-write leaves a tail that reading detects.
 * <p>
 * Version 1 has the records PUT, OWNER, DELETE, CLEAR and STATE. Version 2 adds DELTA (a delta
 * appended to a node's chain, three-port protocol) and DEPENDENCIES (only a node's dependencies
 * changed). A file is marked with the lowest version that reads it: a log or an export without
 * chains is still version 1, byte for byte what earlier servers write and read.
 */
public final class StoreFormat {

    public static final byte[] MAGIC = "MUSRVLOG".getBytes(StandardCharsets.US_ASCII);
    /** The version of files without chain records. */
    public static final int FIRST_VERSION = 1;
    /** The highest version this server reads and writes: with chain records. */
    public static final int VERSION = 2;
    public static final int HEADER_BYTES = MAGIC.length + 4;
    /** Length and checksum before each body. */
    public static final int RECORD_OVERHEAD = 8;

    static final byte PUT = 1;
    static final byte OWNER = 2;
    static final byte DELETE = 3;
    static final byte CLEAR = 4;
    static final byte STATE = 5;
    /** Version 2: uuid, the dependencies after it, the deps pickle and the delta blob as received. */
    static final byte DELTA = 6;
    /** Version 2: uuid and its new dependencies; the payload and the chain stay. */
    static final byte DEPENDENCIES = 7;

    private static final int EXPORT_BUFFER_BYTES = 1 << 18;

    private StoreFormat() {
    }

    /** The header of the current version. */
    public static byte[] header() {
        return header(VERSION);
    }

    public static byte[] header(int version) {
        byte[] header = new byte[HEADER_BYTES];
        System.arraycopy(MAGIC, 0, header, 0, MAGIC.length);
        header[8] = (byte) (version >>> 24);
        header[9] = (byte) (version >>> 16);
        header[10] = (byte) (version >>> 8);
        header[11] = (byte) version;
        return header;
    }

    /** The version a file holding this scene needs. */
    public static int versionFor(Scene scene) {
        for (Node node : scene.nodes()) {
            if (!scene.chain(node.uuid()).isEmpty()) {
                return VERSION;
            }
        }
        return FIRST_VERSION;
    }

    // ---------------------------------------------------------------- whole scenes

    /** Writes a scene as one self-contained file (what an import reads back); the stream is flushed, not closed. */
    public static void export(Scene scene, OutputStream target) throws IOException {
        OutputStream out = new BufferedOutputStream(target, EXPORT_BUFFER_BYTES);
        out.write(header(versionFor(scene)));
        for (Node node : scene.nodes()) {
            writeNode(out, node, scene.chain(node.uuid()));
        }
        writeState(out, scene.nodes().isEmpty() ? SessionState.WAITING : SessionState.ACTIVE);
        out.flush();
    }

    /**
     * Writes one node as it is now: its PUT, then its chain, oldest first, then its dependencies
     * when they changed after the last delta (each delta sets them).
     */
    static void writeNode(OutputStream out, Node node, List<Delta> chain) throws IOException {
        writePut(out, node);
        for (Delta delta : chain) {
            writeDelta(out, node.uuid(), delta);
        }
        if (needsDependencies(node, chain)) {
            writeDependencies(out, node.uuid(), node.dependencies());
        }
    }

    /** Bytes {@link #writeNode} writes. */
    static long nodeSize(Node node, List<Delta> chain, long chainBytes) {
        long size = putSize(node) + chainBytes;
        if (needsDependencies(node, chain)) {
            size += dependenciesSize(node.uuid(), node.dependencies());
        }
        return size;
    }

    private static boolean needsDependencies(Node node, List<Delta> chain) {
        return !chain.isEmpty() && !chain.get(chain.size() - 1).dependencies().equals(node.dependencies());
    }

    // ---------------------------------------------------------------- records

    /** Writes a PUT record. The payload is written as is, not copied. */
    public static void writePut(OutputStream out, Node node) throws IOException {
        ByteArrayOutputStream meta = new ByteArrayOutputStream(96 + node.dependencies().size() * 40);
        DataOutputStream fields = new DataOutputStream(meta);
        fields.writeByte(PUT);
        writeString(fields, node.uuid());
        writeString(fields, node.owner());
        writeString(fields, node.type());
        writeStrings(fields, node.dependencies());
        fields.writeInt(node.payload().length());
        writeRecord(out, meta.toByteArray(), node.payload());
    }

    public static void writeOwner(OutputStream out, String uuid, String owner) throws IOException {
        writeFields(out, OWNER, uuid, owner);
    }

    public static void writeDelete(OutputStream out, String uuid) throws IOException {
        writeFields(out, DELETE, uuid);
    }

    public static void writeClear(OutputStream out) throws IOException {
        writeFields(out, CLEAR);
    }

    public static void writeState(OutputStream out, SessionState state) throws IOException {
        ByteArrayOutputStream meta = new ByteArrayOutputStream(2);
        meta.write(STATE);
        meta.write(stateCode(state));
        writeRecord(out, meta.toByteArray(), Payload.EMPTY);
    }

    /** Writes a DELTA record (version 2). The blob is written as is, not copied. */
    public static void writeDelta(OutputStream out, String uuid, Delta delta) throws IOException {
        ByteArrayOutputStream meta = new ByteArrayOutputStream(
                64 + delta.dependencies().size() * 40 + delta.dependenciesPickle().length);
        DataOutputStream fields = new DataOutputStream(meta);
        fields.writeByte(DELTA);
        writeString(fields, uuid);
        writeStrings(fields, delta.dependencies());
        fields.writeInt(delta.dependenciesPickle().length);
        fields.write(delta.dependenciesPickle());
        fields.writeInt(delta.blob().length);
        writeRecord(out, meta.toByteArray(), Payload.of(delta.blob()));
    }

    /** Writes a DEPENDENCIES record (version 2). */
    public static void writeDependencies(OutputStream out, String uuid, List<String> dependencies)
            throws IOException {
        ByteArrayOutputStream meta = new ByteArrayOutputStream(64 + dependencies.size() * 40);
        DataOutputStream fields = new DataOutputStream(meta);
        fields.writeByte(DEPENDENCIES);
        writeString(fields, uuid);
        writeStrings(fields, dependencies);
        writeRecord(out, meta.toByteArray(), Payload.EMPTY);
    }

    /** Bytes a PUT of this node takes on disk, without encoding it. */
    public static long putSize(Node node) {
        return RECORD_OVERHEAD + 1 + stringSize(node.uuid()) + stringSize(node.owner()) + stringSize(node.type())
                + stringsSize(node.dependencies()) + 4 + node.payload().length();
    }

    /** Bytes a DELTA record takes on disk. */
    public static long deltaSize(String uuid, Delta delta) {
        return RECORD_OVERHEAD + 1 + stringSize(uuid) + stringsSize(delta.dependencies())
                + 4 + delta.dependenciesPickle().length + 4 + delta.blob().length;
    }

    /** Bytes a DEPENDENCIES record takes on disk. */
    public static long dependenciesSize(String uuid, List<String> dependencies) {
        return RECORD_OVERHEAD + 1 + stringSize(uuid) + stringsSize(dependencies);
    }

    /** Bytes a STATE record takes on disk. */
    static long stateSize() {
        return RECORD_OVERHEAD + 2;
    }

    private static void writeFields(OutputStream out, byte type, String... strings) throws IOException {
        ByteArrayOutputStream meta = new ByteArrayOutputStream(64);
        DataOutputStream fields = new DataOutputStream(meta);
        fields.writeByte(type);
        for (String s : strings) {
            writeString(fields, s);
        }
        writeRecord(out, meta.toByteArray(), Payload.EMPTY);
    }

    private static void writeRecord(OutputStream out, byte[] meta, Payload payload) throws IOException {
        CRC32C crc = new CRC32C();
        crc.update(meta);
        payload.updateChecksum(crc);
        int length = Math.addExact(meta.length, payload.length());
        DataOutputStream record = new DataOutputStream(out);
        record.writeInt(length);
        record.writeInt((int) crc.getValue());
        record.write(meta);
        payload.writeTo(record);
    }

    private static void writeStrings(DataOutputStream out, List<String> strings) throws IOException {
        out.writeInt(strings.size());
        for (String s : strings) {
            writeString(out, s);
        }
    }

    private static void writeString(DataOutputStream out, String s) throws IOException {
        byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
        out.writeInt(bytes.length);
        out.write(bytes);
    }

    private static long stringsSize(List<String> strings) {
        long size = 4;
        for (String s : strings) {
            size += stringSize(s);
        }
        return size;
    }

    private static int stringSize(String s) {
        return 4 + s.getBytes(StandardCharsets.UTF_8).length;
    }

    static int stateCode(SessionState state) {
        return switch (state) {
            case WAITING -> 0;
            case SRV_SYNC -> 1;
            case ACTIVE -> 2;
        };
    }

    static SessionState stateOf(int code) {
        return switch (code) {
            case 0 -> SessionState.WAITING;
            case 1 -> SessionState.SRV_SYNC;
            case 2 -> SessionState.ACTIVE;
            default -> throw new IllegalArgumentException("unknown session state code " + code);
        };
    }
}
