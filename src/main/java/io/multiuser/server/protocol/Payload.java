package io.multiuser.server.protocol;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Objects;
import java.util.zip.Checksum;

/**
 * A node's payload: bytes the server stores and forwards but never reads, and never modifies.
 * Usually a whole array (a datablock frame as received), but it can be a view of a longer one:
 * a scene upload carries each payload inside a pickled command, and keeping the payload as a
 * view of that frame spares a copy of every uploaded byte (and the garbage that copy leaves
 * during an upload). Equality is by content, like Python's bytes.
 * <p>
 * A big payload can also be moved out of the heap into a file ({@link #spill}): the same
 * object then reads its bytes from there. Its identity stays, which the scene relies on (a
 * node whose payload is the same object kept its data), and any thread may read it before,
 * during and after the move.
 */
public final class Payload {

    public static final Payload EMPTY = new Payload(new byte[0], 0, 0);
    /** Streaming a spilled payload (to the store, into a pickle) goes through one buffer per thread. */
    private static final int READ_CHUNK = 64 << 10;
    private static final ThreadLocal<byte[]> CHUNK = ThreadLocal.withInitial(() -> new byte[READ_CHUNK]);

    private final int offset;
    private final int length;
    /** The bytes: a {@code byte[]} (from {@link #offset}), or a {@link Spilled} once moved to a file. */
    private volatile Object data;

    private Payload(byte[] array, int offset, int length) {
        this.data = array;
        this.offset = offset;
        this.length = length;
    }

    private Payload(Spilled spilled, int length) {
        this.data = spilled;
        this.offset = 0;
        this.length = length;
    }

    /** Where spilled bytes are kept; read from any thread, never written through this. */
    public interface Backing {
        /** Reads exactly {@code length} bytes from {@code position} into {@code into} at {@code offset}. */
        void read(long position, byte[] into, int offset, int length);

        /** A fresh array of {@code length} bytes was read: it becomes garbage once used. */
        default void copiedOut(int length) {
        }

        /**
         * A read-only buffer over the {@code length} bytes at {@code position} without copying them
         * (a file's mapped pages), or null when this backing cannot give one.
         */
        default ByteBuffer mapped(long position, int length) {
            return null;
        }
    }

    private record Spilled(Backing backing, long position) {
    }

    /** The whole array, shared: the caller hands it over and must not modify it afterwards. */
    public static Payload of(byte[] bytes) {
        return new Payload(Objects.requireNonNull(bytes, "bytes"), 0, bytes.length);
    }

    /** {@code length} bytes of {@code array} from {@code offset}, shared, not copied. */
    public static Payload view(byte[] array, int offset, int length) {
        Objects.checkFromIndexSize(offset, length, array.length);
        return new Payload(array, offset, length);
    }

    /** {@code length} bytes that are already at {@code position} of {@code backing} (never on the heap). */
    public static Payload spilled(Backing backing, long position, int length) {
        if (length < 0) {
            throw new IllegalArgumentException("negative length: " + length);
        }
        return new Payload(new Spilled(Objects.requireNonNull(backing, "backing"), position), length);
    }

    public int length() {
        return length;
    }

    /** Whether the bytes are on the heap (not {@linkplain #spill spilled}). */
    public boolean inMemory() {
        return data instanceof byte[];
    }

    /**
     * The bytes now live at {@code position} of {@code backing}, which already holds them: the
     * array is let go. Also moves a spilled payload to another backing (a compacted file).
     */
    public void spill(Backing backing, long position) {
        data = new Spilled(Objects.requireNonNull(backing, "backing"), position);
    }

    /** The backing of a spilled payload, or null while it is in memory. */
    public Backing backing() {
        return data instanceof Spilled s ? s.backing() : null;
    }

    /** Bytes held besides the payload's own: what a view keeps alive of its frame (none once spilled). */
    public int slack() {
        return data instanceof byte[] array ? array.length - length : 0;
    }

    /**
     * This payload, or a copy of just its bytes when its array holds more than {@code maxSlack}
     * other bytes: a view must not keep a big frame alive for a small payload.
     */
    public Payload trimmed(int maxSlack) {
        return slack() <= maxSlack ? this : of(toArray());
    }

    /**
     * The bytes as an array of exactly {@link #length()}: the array itself for a whole array in
     * memory, else a fresh copy (read from the file for a spilled payload).
     */
    public byte[] toArray() {
        Object d = data;
        if (d instanceof byte[] array) {
            return offset == 0 && length == array.length ? array : Arrays.copyOfRange(array, offset, offset + length);
        }
        Spilled spilled = (Spilled) d;
        byte[] copy = new byte[length];
        read(spilled, 0, copy, length);
        spilled.backing().copiedOut(length);
        return copy;
    }

    /** A fresh buffer over the bytes (position 0, limit {@link #length()}); readers must not write to it. */
    public ByteBuffer buffer() {
        Object d = data;
        return d instanceof byte[] array ? ByteBuffer.wrap(array, offset, length).slice() : ByteBuffer.wrap(toArray());
    }

    /**
     * The bytes for one send, like {@link #buffer()}, but a spilled payload's come from its file's
     * pages where the backing can map them, not from a copy on the heap. For the thread that owns the
     * session's sockets: a spill file keeps count of the pages it lends, unsynchronised.
     */
    public ByteBuffer sendBuffer() {
        if (data instanceof Spilled spilled) {
            ByteBuffer mapped = spilled.backing().mapped(spilled.position(), length);
            if (mapped != null) {
                return mapped;
            }
        }
        return buffer();
    }

    public void writeTo(OutputStream out) throws IOException {
        chunks(out::write);
    }

    public void updateChecksum(Checksum checksum) {
        try {
            chunks(checksum::update);
        } catch (IOException e) {
            throw new UncheckedIOException("a checksum does not do I/O", e);
        }
    }

    /** Where {@link #chunks} hands the bytes. */
    @FunctionalInterface
    private interface ChunkSink {
        void take(byte[] bytes, int offset, int length) throws IOException;
    }

    /** The bytes in order: the array's range at once, or a spilled payload through this thread's buffer. */
    private void chunks(ChunkSink sink) throws IOException {
        Object d = data;
        if (d instanceof byte[] array) {
            sink.take(array, offset, length);
            return;
        }
        byte[] chunk = CHUNK.get();
        for (int done = 0; done < length; done += chunk.length) {
            int n = Math.min(chunk.length, length - done);
            read((Spilled) d, done, chunk, n);
            sink.take(chunk, 0, n);
        }
    }

    private static void read(Spilled spilled, long from, byte[] into, int length) {
        spilled.backing().read(spilled.position() + from, into, 0, length);
    }

    @Override
    public boolean equals(Object o) {
        if (o == this) {
            return true;
        }
        if (!(o instanceof Payload p) || p.length != length) {
            return false;
        }
        Object mine = data;
        Object theirs = p.data;
        if (mine instanceof byte[] a && theirs instanceof byte[] b) {
            return Arrays.equals(a, offset, offset + length, b, p.offset, p.offset + length);
        }
        return Arrays.equals(toArray(), p.toArray());
    }

    @Override
    public int hashCode() {
        Object d = data;
        byte[] array = d instanceof byte[] a ? a : toArray();
        int from = d instanceof byte[] ? offset : 0;
        int h = 1;
        for (int i = from; i < from + length; i++) {
            h = 31 * h + array[i];
        }
        return h;
    }

    @Override
    public String toString() {
        return "Payload[" + length + " bytes" + (inMemory() ? "]" : ", spilled]");
    }
}
