package io.multiuser.server.wire;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Set;

import io.multiuser.server.protocol.Payload;
import net.razorvine.pickle.Opcodes;
import net.razorvine.pickle.Pickler;

/**
 * Pickle in and out. Reading accepts protocols 2 to 4 through {@link SafeUnpickler}; writing
 * uses protocol 2, which every client Python (3.7 and later) reads.
 * Values map as razorvine maps them: dict to Map, list to List, tuple to Object[], str to
 * String, bytes to byte[] (or a {@link Payload} view, see {@link #loadsWithViews}), int to
 * Integer/Long/BigInteger, float to Double, bool to Boolean, None to null; nothing else is
 * accepted by {@link #loads}. {@link #loadsWithSets} (three-port) also accepts set (a
 * {@link java.util.LinkedHashSet}) and frozenset ({@link PyValues.FrozenSet}).
 * Sets are written with the protocol-4 opcodes EMPTY_SET/ADDITEMS and FROZENSET even under the
 * protocol-2 header: CPython does not check opcodes against the header, and the protocol-2 way
 * (GLOBAL builtins.set + REDUCE) is exactly what our own reader refuses.
 */
public final class Pickles {

    private Pickles() {
    }

    /** The four-port value model: a set in the pickle is refused. */
    public static Object loads(byte[] data) throws MalformedMessageException {
        return load(data, false);
    }

    /** The three-port value model: the four-port one plus set and frozenset (metadata's selected_objects). */
    public static Object loadsWithSets(byte[] data) throws MalformedMessageException {
        return load(data, true);
    }

    /**
     * As {@link #loads} or {@link #loadsWithSets}, but bytes values of {@link #VIEW_MIN_BYTES} or
     * more come back as {@link Payload} views of {@code data}, not copies: for the scene upload,
     * whose commands each carry a node's payload. The views keep {@code data} alive.
     */
    public static Object loadsWithViews(byte[] data, boolean sets) throws MalformedMessageException {
        return load(data, sets, VIEW_MIN_BYTES);
    }

    /** Below this a bytes value is copied: a view's header costs more than it saves. */
    public static final int VIEW_MIN_BYTES = 4096;

    /** What {@link #tiny} returns for a pickle it does not read itself. */
    private static final Object NOT_TINY = new Object();

    private static Object load(byte[] data, boolean sets) throws MalformedMessageException {
        return load(data, sets, 0);
    }

    private static Object load(byte[] data, boolean sets, int viewMinBytes) throws MalformedMessageException {
        if (data.length == 0) {
            throw new MalformedMessageException("empty pickle");
        }
        Object tiny = tiny(data);
        if (tiny != NOT_TINY) {
            return tiny;
        }
        Object value;
        SafeUnpickler unpickler = new SafeUnpickler(sets, viewMinBytes);
        try {
            value = unpickler.loads(data);
        } catch (SafeUnpickler.Refused e) {
            throw new MalformedMessageException("not a valid pickle: " + e.getMessage() + " (at byte "
                    + unpickler.offset() + ")");
        } catch (IOException | RuntimeException | StackOverflowError e) {
            // The library reports bad input with several runtime types; all mean the same here. Their
            // messages may quote the input (a password, say), so neither message nor cause is kept.
            throw new MalformedMessageException("not a valid pickle (" + e.getClass().getSimpleName()
                    + " at byte " + unpickler.offset() + ")");
        }
        // What CPython would refuse, or what we could not write back (the library's stray MARK
        // object, an unhashable key, a cycle), stops here instead of reaching every client.
        PyValues.checkModel(value, "pickle", sets);
        return value;
    }

    /**
     * The small int (BININT1) or None of protocols 2 to 4, read without an unpickler: every
     * four-port datablock header's chunk count and (most often) empty dependencies, and every
     * three-port message's type frame. Anything else is {@link #NOT_TINY} and goes the whole way.
     */
    private static Object tiny(byte[] data) {
        if (data.length < 4 || data.length > 5 || (data[0] & 0xff) != 0x80 || data[1] < 2 || data[1] > 4
                || data[data.length - 1] != '.') {
            return NOT_TINY;
        }
        if (data.length == 5 && data[2] == 'K') {
            return Integer.valueOf(data[3] & 0xff);
        }
        return data.length == 4 && data[2] == 'N' ? null : NOT_TINY;
    }

    public static byte[] dumps(Object value) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(64);
        try {
            new ValuePickler().dump(value, out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /**
     * As {@link #dumps(Object)}, into an array of exactly the pickle's size, measured by a first pass
     * that counts a {@link Payload}'s bytes without reading them: a value carrying a big payload (a
     * late join's every node) leaves that one array, not a buffer grown to it and then a copy.
     */
    public static byte[] dumpsExact(Object value) {
        try {
            Measure measure = new Measure();
            new ValuePickler().dump(value, measure);
            Exact out = new Exact(measure.bytes);
            new ValuePickler().dump(value, out);
            return out.full();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Counts what would be written. */
    private static final class Measure extends OutputStream {
        long bytes;

        @Override
        public void write(int b) {
            bytes++;
        }

        @Override
        public void write(byte[] b, int offset, int length) {
            bytes += length;
        }
    }

    /** Writes into an array of a known size. */
    private static final class Exact extends OutputStream {
        private final byte[] array;
        private int count;

        Exact(long size) throws IOException {
            if (size > Integer.MAX_VALUE - 8) {
                throw new IOException("a pickle of " + size + " bytes does not fit one array");
            }
            array = new byte[(int) size];
        }

        @Override
        public void write(int b) throws IOException {
            if (count == array.length) {
                throw new IOException("the pickle came out longer than measured");
            }
            array[count++] = (byte) b;
        }

        @Override
        public void write(byte[] b, int offset, int length) throws IOException {
            if (length > array.length - count) {
                throw new IOException("the pickle came out longer than measured");
            }
            System.arraycopy(b, offset, array, count, length);
            count += length;
        }

        byte[] full() throws IOException {
            if (count != array.length) {
                throw new IOException("the pickle came out shorter than measured");
            }
            return array;
        }
    }

    /** Razorvine's pickler, but bytes go out as bytes (BINBYTES), not as a bytearray constructor call. */
    private static final class ValuePickler extends Pickler {

        ValuePickler() {
            super(false); // no memo: our values are trees, and the memo costs a hash lookup per object
        }

        @Override
        public void save(Object o) throws IOException {
            if (o instanceof byte[] bytes) {
                saveBytesHeader(bytes.length);
                out.write(bytes);
                return;
            }
            if (o instanceof Payload payload) {
                saveBytesHeader(payload.length());
                if (out instanceof Measure measure) {
                    measure.bytes += payload.length(); // a spilled payload is not read just to be counted
                } else {
                    payload.writeTo(out);
                }
                return;
            }
            if (o instanceof Set<?> set) {
                saveSet(set);
                return;
            }
            super.save(o);
        }

        private void saveBytesHeader(int length) throws IOException {
            if (length < 256) {
                out.write(Opcodes.SHORT_BINBYTES);
                out.write(length);
            } else {
                out.write(Opcodes.BINBYTES);
                out.write(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(length).array());
            }
        }

        /** Razorvine would write GLOBAL __builtin__.set + REDUCE; these are the opcodes CPython 3 writes itself. */
        private void saveSet(Set<?> set) throws IOException {
            boolean frozen = set instanceof PyValues.FrozenSet;
            if (!frozen) {
                out.write(Opcodes.EMPTY_SET);
                if (set.isEmpty()) {
                    return;
                }
            }
            out.write(Opcodes.MARK);
            for (Object item : set) {
                save(item);
            }
            out.write(frozen ? Opcodes.FROZENSET : Opcodes.ADDITEMS);
        }
    }
}
