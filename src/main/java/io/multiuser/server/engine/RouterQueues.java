package io.multiuser.server.engine;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.zeromq.ZMQ;

import io.multiuser.server.protocol.ClientId;
import io.multiuser.server.protocol.Payload;
import io.multiuser.server.wire.OutboundMessage;
import zmq.Msg;
import zmq.ZError;

/**
 * Sends on one ROUTER socket with ROUTER_MANDATORY, never losing a message silently: when a
 * peer's ZeroMQ pipe is at its high-water mark (EAGAIN) or the peer is not connected
 * (EHOSTUNREACH), the message waits in that peer's own queue, in order, and is retried on
 * every engine loop. A slow peer therefore only delays itself. A queue that grows past its
 * limit, or a peer unreachable for too long, is reported to the engine, which drops the client.
 */
final class RouterQueues {

    enum Result { SENT, QUEUED, OVERFLOW }

    private final ZMQ.Socket socket;
    private final long maxQueuedBytes;
    private final Map<ClientId, PeerQueue> queues = new HashMap<>();
    /** Peers that left: their queued commands still go out (a kick's disconnect), then they are forgotten. */
    private final Set<ClientId> closing = new HashSet<>();

    RouterQueues(ZMQ.Socket socket, long maxQueuedBytes) {
        this.socket = socket;
        this.maxQueuedBytes = maxQueuedBytes;
    }

    /** Sends one multipart message (the frames after the identity) to a peer, or queues it. */
    Result send(ClientId to, OutboundMessage message, long now) {
        PeerQueue queue = queues.get(to);
        if (queue == null) {
            int rc = trySend(to, message);
            if (rc == 0) {
                return Result.SENT;
            }
            queue = new PeerQueue();
            queues.put(to, queue);
            if (rc == ZError.EHOSTUNREACH) {
                queue.unreachableSince = now;
            }
        }
        queue.messages.add(message);
        queue.bytes += size(message);
        return queue.bytes > maxQueuedBytes ? Result.OVERFLOW : Result.QUEUED;
    }

    /**
     * Retries every backlog (a queue exists only while it holds messages); returns the peers
     * unreachable for longer than {@code timeoutMillis}.
     */
    List<ClientId> flush(long now, long timeoutMillis) {
        if (queues.isEmpty()) {
            return List.of(); // the usual case, once per engine turn for each ROUTER
        }
        List<ClientId> lost = new ArrayList<>();
        for (Iterator<Map.Entry<ClientId, PeerQueue>> it = queues.entrySet().iterator(); it.hasNext();) {
            Map.Entry<ClientId, PeerQueue> e = it.next();
            PeerQueue queue = e.getValue();
            while (!queue.messages.isEmpty()) {
                OutboundMessage head = queue.messages.peek();
                int rc = trySend(e.getKey(), head);
                if (rc != 0) {
                    if (rc == ZError.EHOSTUNREACH && queue.unreachableSince < 0) {
                        queue.unreachableSince = now;
                    }
                    break;
                }
                queue.messages.poll();
                queue.bytes -= size(head);
                queue.unreachableSince = -1;
            }
            if (queue.messages.isEmpty()) {
                it.remove();
                closing.remove(e.getKey());
            } else if (queue.unreachableSince >= 0 && now - queue.unreachableSince > timeoutMillis) {
                lost.add(e.getKey());
            }
        }
        return lost;
    }

    boolean hasBacklog() {
        return !queues.isEmpty();
    }

    /** Drops a peer's backlog now; returns how many messages were thrown away. */
    int discard(ClientId id) {
        closing.remove(id);
        PeerQueue queue = queues.remove(id);
        return queue == null ? 0 : queue.messages.size();
    }

    /** Messages waiting in all backlogs. */
    long backlogMessages() {
        long total = 0;
        for (PeerQueue queue : queues.values()) {
            total += queue.messages.size();
        }
        return total;
    }

    /** Lets a departed peer's backlog drain, then forgets it. */
    void close(ClientId id) {
        if (queues.containsKey(id)) {
            closing.add(id);
        }
    }

    boolean isClosing(ClientId id) {
        return closing.contains(id);
    }

    long queuedBytes(ClientId id) {
        PeerQueue queue = queues.get(id);
        return queue == null ? 0 : queue.bytes;
    }


    /** 0 when the whole message went into the peer's pipe, else the errno (EAGAIN, EHOSTUNREACH). */
    private int trySend(ClientId to, OutboundMessage message) {
        if (!socket.base().send(new Msg(to.bytes()), ZMQ.DONTWAIT | ZMQ.SNDMORE)) {
            return socket.base().errno();
        }
        // Once the identity frame is accepted the peer's pipe has room for the whole message.
        byte[][] frames = message.frames();
        int last = message.frameCount() - 1;
        for (int i = 0; i < frames.length; i++) {
            socket.base().send(new Msg(frames[i]), i == last ? ZMQ.DONTWAIT : ZMQ.DONTWAIT | ZMQ.SNDMORE);
        }
        Payload payload = message.payload();
        if (payload != null) {
            // A whole array goes as itself, without the buffer objects, once per receiver of every
            // datablock; a view of a longer array (an uploaded frame) as a buffer over its range, and a
            // spilled payload over its file's pages.
            socket.base().send(payload.inMemory() && payload.slack() == 0 ? new Msg(payload.toArray())
                    : new Msg(payload.sendBuffer()), ZMQ.DONTWAIT);
        }
        return 0;
    }

    private static long size(OutboundMessage message) {
        return 64 + message.bytes(); // per-message overhead, so that floods of tiny messages count too
    }

    private static final class PeerQueue {
        final ArrayDeque<OutboundMessage> messages = new ArrayDeque<>();
        long bytes;
        long unreachableSince = -1;
    }
}
