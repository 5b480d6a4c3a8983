package io.multiuser.server.engine;

import java.io.ByteArrayOutputStream;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

import io.multiuser.server.protocol.Datablock;
import io.multiuser.server.protocol.Node;
import io.multiuser.server.wire.DatablockCodec;
import io.multiuser.server.wire.MalformedMessageException;
import io.multiuser.server.wire.Pickles;
import zmq.io.Metadata;

/**
 * Joins datablock headers and chunks arriving on P+2. The PULL socket fair-queues messages
 * across connections, so concurrent pushers interleave ({@code hdrA, hdrB, chunkA, chunkB}):
 * pairing by adjacency (the original) loses both updates. Here each chunk goes to the pending
 * header of its own connection, keyed by the connection's {@link Metadata} instance.
 */
final class DatablockAssembler {

    /** Key for messages without metadata (never seen over TCP; kept so such input cannot crash us). */
    private static final Object NO_CONNECTION = new Object();

    private final long maxPayloadBytes;
    private final Map<Object, Pending> pending = new IdentityHashMap<>();

    DatablockAssembler(long maxPayloadBytes) {
        this.maxPayloadBytes = maxPayloadBytes;
    }

    /**
     * Takes one message; returns a complete datablock, or null while chunks are still due.
     * Throws for input that is not a valid header or chunk; the connection's state stays sane.
     */
    Datablock accept(InboundMessage message, long now) throws MalformedMessageException {
        Object key = message.connection() == null ? NO_CONNECTION : message.connection();
        List<byte[]> frames = message.frames();
        if (message.frameCount() == DatablockCodec.HEADER_FRAMES) {
            Pending previous = pending.remove(key);
            Pending next = new Pending(now);
            try {
                next.header = DatablockCodec.decodeHeader(frames);
                next.expected = next.header.chunkCount();
            } catch (MalformedMessageException e) {
                // Swallow this header's chunks too, or each would be reported as a stray chunk.
                next.expected = chunkCountOrOne(frames.get(4));
                pending.put(key, next);
                throw e;
            }
            pending.put(key, next);
            if (previous != null) {
                throw new MalformedMessageException("header for " + next.header.uuid()
                        + " arrived while a previous datablock still waited for chunks; that one is discarded");
            }
            return null;
        }
        if (message.frameCount() != 1) {
            throw new MalformedMessageException("a datablock message has 6 frames (header) or 1 (chunk), got "
                    + message.frameCount());
        }
        Pending current = pending.get(key);
        if (current == null) {
            throw new MalformedMessageException("datablock chunk without a header");
        }
        current.lastTouched = now;
        current.received++;
        byte[] chunk = frames.get(0);
        if (current.expected == 1 && current.header != null && chunk.length <= maxPayloadBytes) {
            pending.remove(key); // the usual case: the chunk is the payload, no copy
            return datablock(current.header, chunk);
        }
        if (current.header != null && current.payload.size() + (long) chunk.length <= maxPayloadBytes) {
            current.payload.writeBytes(chunk);
        } else if (current.header != null) {
            String uuid = current.header.uuid();
            current.header = null; // keep consuming its chunks, store nothing
            throw new MalformedMessageException("datablock " + uuid + " exceeds " + maxPayloadBytes + " bytes");
        }
        if (current.received < current.expected) {
            return null;
        }
        pending.remove(key);
        if (current.header == null) {
            return null; // the rest of a refused datablock
        }
        return datablock(current.header, current.payload.toByteArray());
    }

    private static Datablock datablock(DatablockCodec.Header h, byte[] payload) {
        return new Datablock(h.sender(), new Node(h.uuid(), h.owner(), h.type(), h.dependencies(), payload));
    }

    /** Forgets half-received datablocks of connections that went quiet (closed mid-datablock). */
    int expire(long now, long maxAgeMillis) {
        int removed = 0;
        for (Iterator<Pending> it = pending.values().iterator(); it.hasNext();) {
            if (now - it.next().lastTouched > maxAgeMillis) {
                it.remove();
                removed++;
            }
        }
        return removed;
    }


    private static int chunkCountOrOne(byte[] frame) {
        try {
            Object count = Pickles.loads(frame);
            if (count instanceof Integer n && n >= 1 && n <= DatablockCodec.MAX_CHUNKS) {
                return n;
            }
        } catch (MalformedMessageException ignored) {
            // fall through
        }
        return 1;
    }

    private static final class Pending {
        DatablockCodec.Header header;
        int expected;
        int received;
        long lastTouched;
        final ByteArrayOutputStream payload = new ByteArrayOutputStream();

        Pending(long now) {
            this.lastTouched = now;
        }
    }
}
