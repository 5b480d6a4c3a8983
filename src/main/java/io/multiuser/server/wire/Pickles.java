package io.multiuser.server.wire;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import net.razorvine.pickle.Opcodes;
import net.razorvine.pickle.Pickler;

/**
 * Pickle in and out. Reading accepts protocols 2 to 4 through {@link SafeUnpickler}; writing
 * uses protocol 2, which every client Python (3.7 and later) reads.
 * Values map as razorvine maps them: dict to Map, list to List, tuple to Object[], str to
 * String, bytes to byte[], int to Integer/Long/BigInteger, float to Double, bool to Boolean,
 * None to null; nothing else is accepted.
 */
public final class Pickles {

    private Pickles() {
    }

    public static Object loads(byte[] data) throws MalformedMessageException {
        if (data.length == 0) {
            throw new MalformedMessageException("empty pickle");
        }
        Object value;
        try {
            value = new SafeUnpickler().loads(data);
        } catch (IOException | RuntimeException | StackOverflowError e) {
            // The library reports bad input with several runtime types; all mean the same here.
            throw new MalformedMessageException("not a valid pickle: " + e.getMessage(), e);
        }
        // What CPython would refuse, or what we could not write back (the library's stray MARK
        // object, an unhashable key, a cycle), stops here instead of reaching every client.
        PyValues.checkModel(value, "pickle");
        return value;
    }

    public static byte[] dumps(Object value) {
        try {
            return new ValuePickler().dumps(value);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
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
                if (bytes.length < 256) {
                    out.write(Opcodes.SHORT_BINBYTES);
                    out.write(bytes.length);
                } else {
                    out.write(Opcodes.BINBYTES);
                    out.write(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(bytes.length).array());
                }
                out.write(bytes);
                return;
            }
            super.save(o);
        }
    }
}
