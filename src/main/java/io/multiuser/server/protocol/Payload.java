package io.multiuser.server.protocol;

import java.io.IOException;
import java.io.OutputStream;
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
 */
public final class Payload {

    public static final Payload EMPTY = new Payload(new byte[0], 0, 0);

    private final byte[] array;
    private final int offset;
    private final int length;

    private Payload(byte[] array, int offset, int length) {
        this.array = array;
        this.offset = offset;
        this.length = length;
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

    public int length() {
        return length;
    }

    /** Bytes held besides the payload's own: what a view keeps alive of its frame. */
    public int slack() {
        return array.length - length;
    }

    /**
     * This payload, or a copy of just its bytes when its array holds more than {@code maxSlack}
     * other bytes: a view must not keep a big frame alive for a small payload.
     */
    public Payload trimmed(int maxSlack) {
        return slack() <= maxSlack ? this : of(toArray());
    }

    /** The bytes as an array of exactly {@link #length()}: the array itself for a whole array, else a copy. */
    public byte[] toArray() {
        return offset == 0 && length == array.length ? array : Arrays.copyOfRange(array, offset, offset + length);
    }

    /** A fresh buffer over the bytes (position 0, limit {@link #length()}); readers must not write to it. */
    public ByteBuffer buffer() {
        return ByteBuffer.wrap(array, offset, length).slice();
    }

    public void writeTo(OutputStream out) throws IOException {
        out.write(array, offset, length);
    }

    public void updateChecksum(Checksum checksum) {
        checksum.update(array, offset, length);
    }

    @Override
    public boolean equals(Object o) {
        return o == this || o instanceof Payload p
                && Arrays.equals(array, offset, offset + length, p.array, p.offset, p.offset + p.length);
    }

    @Override
    public int hashCode() {
        int h = 1;
        for (int i = offset; i < offset + length; i++) {
            h = 31 * h + array[i];
        }
        return h;
    }

    @Override
    public String toString() {
        return "Payload[" + length + " bytes]";
    }
}
