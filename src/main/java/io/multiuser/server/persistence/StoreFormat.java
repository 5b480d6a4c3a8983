package io.multiuser.server.persistence;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32C;

import io.multiuser.server.protocol.Node;
import io.multiuser.server.session.SessionState;

/**
 * The on-disk format of the session log, also used for exported sessions: a 12-byte header
 * ({@code MUSRVLOG} and a format version), then records {@code [int length][int crc32c][body]},
 * big-endian, where the body is a type byte and its fields. A record is applied only when it is
 * complete and its checksum matches, so a crash mid-write leaves a tail that reading detects.
 */
public final class StoreFormat {

    public static final byte[] MAGIC = "MUSRVLOG".getBytes(StandardCharsets.US_ASCII);
    public static final int VERSION = 1;
    public static final int HEADER_BYTES = MAGIC.length + 4;
    /** Length and checksum before each body. */
    public static final int RECORD_OVERHEAD = 8;

    static final byte PUT = 1;
    static final byte OWNER = 2;
    static final byte DELETE = 3;
    static final byte CLEAR = 4;
    static final byte STATE = 5;

    private StoreFormat() {
    }

    public static byte[] header() {
        byte[] header = new byte[HEADER_BYTES];
        System.arraycopy(MAGIC, 0, header, 0, MAGIC.length);
        header[8] = (byte) (VERSION >>> 24);
        header[9] = (byte) (VERSION >>> 16);
        header[10] = (byte) (VERSION >>> 8);
        header[11] = (byte) VERSION;
        return header;
    }

    /** Writes a PUT record. The payload is written as is, not copied. */
    public static void writePut(OutputStream out, Node node) throws IOException {
        ByteArrayOutputStream meta = new ByteArrayOutputStream(96 + node.dependencies().size() * 40);
        DataOutputStream fields = new DataOutputStream(meta);
        fields.writeByte(PUT);
        writeString(fields, node.uuid());
        writeString(fields, node.owner());
        writeString(fields, node.type());
        fields.writeInt(node.dependencies().size());
        for (String dependency : node.dependencies()) {
            writeString(fields, dependency);
        }
        fields.writeInt(node.payload().length);
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
        writeRecord(out, meta.toByteArray(), new byte[0]);
    }

    /** Bytes a PUT of this node takes on disk, without encoding it. */
    public static long putSize(Node node) {
        long size = RECORD_OVERHEAD + 1 + stringSize(node.uuid()) + stringSize(node.owner()) + stringSize(node.type())
                + 4 + 4 + node.payload().length;
        for (String dependency : node.dependencies()) {
            size += stringSize(dependency);
        }
        return size;
    }

    private static void writeFields(OutputStream out, byte type, String... strings) throws IOException {
        ByteArrayOutputStream meta = new ByteArrayOutputStream(64);
        DataOutputStream fields = new DataOutputStream(meta);
        fields.writeByte(type);
        for (String s : strings) {
            writeString(fields, s);
        }
        writeRecord(out, meta.toByteArray(), new byte[0]);
    }

    private static void writeRecord(OutputStream out, byte[] meta, byte[] payload) throws IOException {
        CRC32C crc = new CRC32C();
        crc.update(meta);
        crc.update(payload);
        int length = Math.addExact(meta.length, payload.length);
        DataOutputStream record = new DataOutputStream(out);
        record.writeInt(length);
        record.writeInt((int) crc.getValue());
        record.write(meta);
        record.write(payload);
    }

    private static void writeString(DataOutputStream out, String s) throws IOException {
        byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
        out.writeInt(bytes.length);
        out.write(bytes);
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
