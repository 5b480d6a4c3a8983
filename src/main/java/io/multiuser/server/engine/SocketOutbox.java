package io.multiuser.server.engine;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.List;
import java.util.PriorityQueue;
import java.util.function.LongSupplier;

import org.jboss.logging.Logger;
import org.zeromq.ZMQ;

import io.multiuser.server.protocol.ClientId;
import io.multiuser.server.protocol.Delta;
import io.multiuser.server.protocol.Node;
import io.multiuser.server.protocol.ServerCommand;
import io.multiuser.server.session.Outbox;
import io.multiuser.server.session.SessionListener;
import io.multiuser.server.wire.OutboundMessage;
import zmq.Msg;

/**
 * The session's {@link Outbox} on real sockets. Every message is encoded once whatever the
 * number of receivers, and a node's payload is shared, not copied. Used by the engine
 * thread only.
 */
final class SocketOutbox implements Outbox {

    private static final Logger LOG = Logger.getLogger(SocketOutbox.class);
    private static final byte[] PING = "PING".getBytes(StandardCharsets.US_ASCII);

    private final EngineDialect dialect;
    private final RouterQueues commands;
    private final RouterQueues data;
    private final ZMQ.Socket heartbeat;
    private final LongSupplier clock;
    private final SessionListener listener;
    private final PriorityQueue<Delayed> delayed = new PriorityQueue<>();
    /** Clients with delayed commands pending: their other commands wait behind the last of them. */
    private final Map<ClientId, Hold> held = new HashMap<>();
    /** Clients whose backlog overflowed; the engine drops them after the current message. */
    private final List<ClientId> overflowed = new ArrayList<>();
    private long sequence;

    SocketOutbox(EngineDialect dialect, RouterQueues commands, RouterQueues data, ZMQ.Socket heartbeat,
            LongSupplier clock, SessionListener listener) {
        this.dialect = dialect;
        this.listener = listener;
        this.commands = commands;
        this.data = data;
        this.heartbeat = heartbeat;
        this.clock = clock;
    }

    @Override
    public void send(Collection<ClientId> to, ServerCommand command) {
        OutboundMessage frames = OutboundMessage.of(dialect.encodeCommand(command));
        long now = clock.getAsLong();
        for (ClientId id : to) {
            Hold hold = held.get(id);
            if (hold != null) {
                // A delayed command is pending for this client: keep its order, send after it.
                hold.pending++;
                delayed.add(new Delayed(hold.until, sequence++, id, frames));
            } else {
                sendNow(id, frames, now);
            }
        }
    }

    @Override
    public void sendAfter(ClientId to, ServerCommand command, long delayMillis) {
        Hold hold = held.computeIfAbsent(to, id -> new Hold());
        hold.until = Math.max(clock.getAsLong() + delayMillis, hold.until);
        hold.pending++;
        delayed.add(new Delayed(hold.until, sequence++, to, OutboundMessage.of(dialect.encodeCommand(command))));
    }

    @Override
    public void push(Collection<ClientId> to, Node node) {
        pushMessages(to, dialect.encodeNode(node));
    }

    @Override
    public void pushDelta(Collection<ClientId> to, String uuid, Delta delta) {
        pushMessages(to, List.of(OutboundMessage.of(dialect.encodeCommit(uuid, delta))));
    }

    /** Messages of one datablock go through each client's FIFO, so they stay back to back for it. */
    private void pushMessages(Collection<ClientId> to, List<OutboundMessage> messages) {
        long now = clock.getAsLong();
        for (ClientId id : to) {
            RouterQueues.Result result = null;
            for (OutboundMessage message : messages) {
                result = data.send(id, message, now);
            }
            if (result == RouterQueues.Result.OVERFLOW) {
                overflowed.add(id);
            }
        }
    }

    @Override
    public void ping(ClientId to) {
        if (!heartbeat.base().send(new Msg(to.bytes()), ZMQ.DONTWAIT | ZMQ.SNDMORE)
                || !heartbeat.base().send(new Msg(PING), ZMQ.DONTWAIT)) {
            LOG.debugf("PING to %s not sent (errno %d)", to, heartbeat.base().errno());
        }
    }

    @Override
    public void forget(ClientId id) {
        int discarded = data.discard(id);
        if (discarded > 0) {
            listener.dropped(SessionListener.Drop.UNDELIVERABLE, discarded);
        }
        commands.close(id); // delayed commands still go out: a kick's disconnect may be among them
    }

    /** Millis until the next delayed command is due, or -1 when none waits. */
    long nextDueInMillis() {
        return delayed.isEmpty() ? -1 : Math.max(0, delayed.peek().dueAt - clock.getAsLong());
    }

    /** Sends the delayed commands that are due. */
    void sendDue() {
        long now = clock.getAsLong();
        while (!delayed.isEmpty() && delayed.peek().dueAt <= now) {
            Delayed d = delayed.poll();
            sendNow(d.to, d.message, now);
            Hold hold = held.get(d.to);
            if (--hold.pending == 0) {
                held.remove(d.to); // nothing held for this client any more: send directly again
            }
        }
    }

    private void sendNow(ClientId id, OutboundMessage frames, long now) {
        if (commands.send(id, frames, now) == RouterQueues.Result.OVERFLOW && !commands.isClosing(id)) {
            overflowed.add(id);
        }
    }

    /** Takes the list of clients that overflowed since the last call. */
    List<ClientId> takeOverflowed() {
        if (overflowed.isEmpty()) {
            return List.of();
        }
        List<ClientId> out = List.copyOf(new LinkedHashSet<>(overflowed));
        overflowed.clear();
        return out;
    }

    /** When a client's last delayed command is due, and how many of its commands wait in {@link #delayed}. */
    private static final class Hold {
        long until = Long.MIN_VALUE;
        int pending;
    }

    private record Delayed(long dueAt, long seq, ClientId to, OutboundMessage message) implements Comparable<Delayed> {
        @Override
        public int compareTo(Delayed o) {
            int c = Long.compare(dueAt, o.dueAt);
            return c != 0 ? c : Long.compare(seq, o.seq);
        }
    }
}
