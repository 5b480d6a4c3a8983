package io.multiuser.server.wire;

import java.util.Arrays;
import java.util.Objects;

import io.multiuser.server.protocol.Payload;

/**
 * The frames of one message to a client, after its routing identity: frames encoded for it,
 * then, for a datablock, the node's payload as the last frame, shared with the scene and every
 * other receiver rather than copied.
 *
 * @param frames the encoded frames; never modified once built
 * @param payload the last frame, or null when the message is only {@code frames}
 */
public record OutboundMessage(byte[][] frames, Payload payload) {

    private static final byte[][] NO_FRAMES = new byte[0][];

    /** A message of encoded frames only. */
    public static OutboundMessage of(byte[]... frames) {
        return new OutboundMessage(frames, null);
    }

    /** A message whose only frame is a payload (a four-port datablock chunk). */
    public static OutboundMessage ofPayload(Payload payload) {
        return new OutboundMessage(NO_FRAMES, Objects.requireNonNull(payload, "payload"));
    }

    public int frameCount() {
        return frames.length + (payload == null ? 0 : 1);
    }

    /** The bytes of all frames. */
    public long bytes() {
        long total = payload == null ? 0 : payload.length();
        for (byte[] frame : frames) {
            total += frame.length;
        }
        return total;
    }

    /** Every frame as an array of its own (a copy of the payload if it is a view): for tests and logs. */
    public byte[][] toArrays() {
        if (payload == null) {
            return frames;
        }
        byte[][] all = Arrays.copyOf(frames, frames.length + 1);
        all[frames.length] = payload.toArray();
        return all;
    }
}
