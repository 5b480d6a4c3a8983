package io.multiuser.server.protocol;

import java.util.Arrays;
import java.util.HexFormat;

/**
 * The routing identity a client uses on P, P+1 and P+3 and as frame 0 of its datablocks:
 * 16 raw bytes (its uuid4). It is the only thing that links a client's four streams.
 */
public record ClientId(byte[] bytes) {

    public ClientId {
        bytes = bytes.clone();
    }

    public static ClientId of(byte[] bytes) {
        return new ClientId(bytes);
    }

    /** A copy: callers hand it to sockets, which must not be able to change our key. */
    @Override
    public byte[] bytes() {
        return bytes.clone();
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof ClientId id && Arrays.equals(bytes, id.bytes);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(bytes);
    }

    @Override
    public String toString() {
        return HexFormat.of().formatHex(bytes);
    }
}
