package io.multiuser.server.wire;

import java.io.IOException;
import java.io.UncheckedIOException;

import net.razorvine.pickle.Pickler;

/**
 * Pickle in and out. Reading accepts protocols 2 to 4 through {@link SafeUnpickler}; writing
 * uses protocol 2, which every client Python (3.7 and later) reads.
 * Values map as razorvine maps them: dict to Map, list to List, tuple to Object[], str to
 * String, bytes to byte[], int to Integer/Long/BigInteger, float to Double, None to null.
 */
public final class Pickles {

    private Pickles() {
    }

    public static Object loads(byte[] data) throws MalformedMessageException {
        if (data.length == 0) {
            throw new MalformedMessageException("empty pickle");
        }
        try {
            return new SafeUnpickler().loads(data);
        } catch (IOException | RuntimeException | StackOverflowError e) {
            // The library reports bad input with several runtime types; all mean the same here.
            throw new MalformedMessageException("not a valid pickle: " + e.getMessage(), e);
        }
    }

    public static byte[] dumps(Object value) {
        try {
            // No memo: our values are trees, and the memo would cost a hash lookup per object.
            return new Pickler(false).dumps(value);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
