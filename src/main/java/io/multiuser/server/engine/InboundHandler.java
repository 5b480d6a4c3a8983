package io.multiuser.server.engine;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

import org.jboss.logging.Logger;

import io.multiuser.server.logging.ThrottledLog;
import io.multiuser.server.protocol.ClientCommand;
import io.multiuser.server.protocol.ClientId;
import io.multiuser.server.protocol.DataMessage;
import io.multiuser.server.session.LoginGuard;
import io.multiuser.server.session.PeerAddresses;
import io.multiuser.server.session.Session;
import io.multiuser.server.session.SessionListener;
import io.multiuser.server.wire.MalformedMessageException;

/**
 * What the engine does with a message read from one of its ports: decode it with the
 * generation's dialect and hand it to the session. Input that does not decode is counted and
 * logged (throttled) here and goes no further. Engine thread only.
 */
final class InboundHandler {

    private static final Logger LOG = Logger.getLogger(ZmqEngine.class);
    private static final byte[] INIT = "INIT".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] PONG = "PONG".getBytes(StandardCharsets.US_ASCII);

    private final EngineDialect dialect;
    private final Session session;
    private final SessionListener listener;
    private final LongSupplier clock;
    private final ThrottledLog badInput = new ThrottledLog(LOG, 20, 10_000);
    private final Supplier<LoginGuard> audit;
    private final PeerAddresses peers;

    InboundHandler(EngineDialect dialect, Session session, SessionListener listener, LongSupplier clock,
            Supplier<LoginGuard> audit, PeerAddresses peers) {
        this.dialect = dialect;
        this.session = session;
        this.listener = listener;
        this.clock = clock;
        this.audit = audit;
        this.peers = peers;
    }

    /** The sender's address: the artist's own one for a tunnel stream, not the tunnel's loopback end. */
    private String from(InboundMessage m) {
        return peers.resolve(m.peerAddress());
    }

    void handle(Port port, InboundMessage message) {
        switch (port) {
            case COMMANDS -> onCommandMessage(message);
            case DATA_OUT -> onUnexpectedDataOutMessage(message);
            case DATA_IN, DATA -> onDataMessage(port, message);
            case HEARTBEAT -> onHeartbeatMessage(message);
        }
    }

    private void onCommandMessage(InboundMessage m) {
        List<byte[]> f = m.frames();
        ClientId from = ClientId.of(f.get(0));
        if (m.frameCount() != 4) {
            listener.dropped(SessionListener.Drop.MALFORMED, 1);
            badInput.warn("port P", "Port P: dropped a message of " + m.frameCount() + " frames from "
                    + describe(from, m) + " (a command has 3 after the identity)");
            return;
        }
        EngineDialect.DecodedCommand decoded;
        try {
            decoded = dialect.decodeCommand(f.subList(1, 4));
        } catch (MalformedMessageException e) {
            listener.dropped(SessionListener.Drop.MALFORMED, 1);
            badInput.warn("port P", "Port P: dropped a command from " + describe(from, m) + ": " + e.getMessage());
            return;
        }
        listener.commandReceived(decoded.typeName());
        if (!(decoded.command() instanceof ClientCommand.Auth) && impostor(from, m, "port P", "a command")) {
            return;
        }
        session.onCommand(from, decoded.ownerFrame(), decoded.command(), from(m));
    }

    private void onDataMessage(Port port, InboundMessage m) {
        DataMessage data;
        try {
            data = dialect.decodeData(m, clock.getAsLong());
        } catch (MalformedMessageException e) {
            listener.dropped(SessionListener.Drop.MALFORMED, 1);
            String sender = port == Port.DATA || m.frameCount() == 6 ? describe(ClientId.of(m.frames().get(0)), m)
                    : from(m);
            badInput.warn(port.name(), "Port " + port.description + ": dropped input from " + sender + ": "
                    + e.getMessage());
            return;
        }
        if (data != null && !impostor(data.sender(), m, port.category, "a datablock")) {
            session.onData(data);
        }
    }

    private void onUnexpectedDataOutMessage(InboundMessage m) {
        listener.dropped(SessionListener.Drop.MALFORMED, 1);
        badInput.warn("port P+1", "Port P+1: dropped a message of " + m.frameCount() + " frames from "
                + describe(ClientId.of(m.frames().get(0)), m) + " (clients only receive on this port)");
    }

    private void onHeartbeatMessage(InboundMessage m) {
        ClientId from = ClientId.of(m.frames().get(0));
        boolean init = m.frameCount() == 2 && Arrays.equals(m.frames().get(1), INIT);
        if (m.frameCount() != 2 || !(init || Arrays.equals(m.frames().get(1), PONG))) {
            // Still counts as a sign of life: only the heartbeat's silence drops a client.
            listener.dropped(SessionListener.Drop.MALFORMED, 1);
            badInput.warn("heartbeat", "Heartbeat port: unexpected message of " + m.frameCount()
                    + " frame(s) from " + describe(from, m));
        }
        if (!impostor(from, m, "the heartbeat port", "a heartbeat")) {
            session.onHeartbeat(from, init);
        }
    }

    /**
     * True (and the message dropped) when it declares the identity of a user logged in from another
     * host: one client cannot push, command or keep alive for another.
     */
    private boolean impostor(ClientId claimed, InboundMessage m, String category, String what) {
        String address = from(m);
        String realHost = session.foreignHost(claimed, address);
        if (realHost == null) {
            return false;
        }
        listener.dropped(SessionListener.Drop.IDENTITY_MISMATCH, 1);
        String user = session.describe(claimed);
        if (badInput.warn("identity " + category, "Dropped " + what + " from " + address + " that claims to be "
                + user + ", who logged in from " + realHost)) {
            audit.get().refusedTraffic("identity-refused", address, what + " as " + user + " on "
                    + category + ", who logged in from " + realHost);
        }
        return true;
    }

    private String describe(ClientId id, InboundMessage m) {
        return session.describe(id) + " (" + from(m) + ")";
    }
}
