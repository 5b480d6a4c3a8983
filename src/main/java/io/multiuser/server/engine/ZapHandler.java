package io.multiuser.server.engine;

import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

import org.jboss.logging.Logger;
import org.zeromq.SocketType;
import org.zeromq.ZContext;
import org.zeromq.ZMQ;
import org.zeromq.ZMQException;

import io.multiuser.server.logging.ThrottledLog;
import io.multiuser.server.security.AddressPolicy;
import io.multiuser.server.security.CidrRange;
import io.multiuser.server.session.LoginGuard;
import io.multiuser.server.session.SessionListener;

/**
 * The session's ZAP handler (ZeroMQ RFC 27): the network allow and deny lists, applied to every
 * new connection on the session's ports before its handshake completes. Engine thread only.
 * <p>
 * Every session socket has a ZAP domain ({@link #domain(int)}), so for each new connection the
 * JeroMQ I/O thread sends a request to {@value #ENDPOINT} in the engine's context (its own: each
 * session has its handler) and holds the handshake until the reply. This REP socket, polled by the
 * engine loop like the session sockets, answers 200 when the {@link AddressPolicy} of the moment
 * permits the peer's address and 400 otherwise. On 400 JeroMQ sends the peer a ZMTP ERROR command
 * ("400") instead of READY: the connection never reaches the session socket, so no message goes
 * either way. A ZeroMQ client (JeroMQ, libzmq 4.3) then closes the connection and gives up that
 * endpoint for good (a handshake error ends a connect; it does not retry). JeroMQ 0.6.0 itself does
 * not close after the ERROR: it drops the connection as soon as the peer sends anything more, and
 * a peer that sends nothing keeps an idle connection until it closes it (its handshake timer covers
 * the greeting only), as any peer that stops after the greeting can today. Connections already open
 * are not asked again: a new policy applies to new connections only.
 * <p>
 * JeroMQ asks ZAP only when it finds this endpoint bound at the moment a connection starts its
 * handshake, and lets the connection through unchecked otherwise (fail-open): so the engine binds
 * this socket before the session ports and keeps it until its context closes.
 */
final class ZapHandler {

    /** The endpoint JeroMQ's NULL, PLAIN and CURVE mechanisms connect to (RFC 27). */
    static final String ENDPOINT = "inproc://zeromq.zap.01";
    private static final String DOMAIN_PREFIX = "multiuser:";
    private static final String VERSION = "1.0";
    private static final byte[] NOTHING = new byte[0];
    private static final int MAX_FRAMES = 16;
    private static final int MAX_REQUESTS_PER_TURN = 256;
    /** One warning per refused address per window; the attempts in between are counted into its next line. */
    private static final long ADDRESS_QUIET_MILLIS = 60_000;
    private static final int ADDRESSES_REMEMBERED = 1024;

    private static final Logger LOG = Logger.getLogger(ZapHandler.class);

    private final ZMQ.Socket socket;
    private final Supplier<AddressPolicy> policy;
    private final SessionListener listener;
    private final Supplier<LoginGuard> audit;
    /** At most 20 refusal lines a minute over all addresses: a scan from many addresses cannot flood the log. */
    private final ThrottledLog warnings = new ThrottledLog(LOG, 20, 60_000);
    private final Map<String, Quiet> recentlyLogged = new LinkedHashMap<>(64, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Quiet> eldest) {
            return size() > ADDRESSES_REMEMBERED;
        }
    };

    /** An address already warned about: since when, and how many refusals went unlogged since. */
    private static final class Quiet {
        final long since;
        int suppressed;

        Quiet(long since) {
            this.since = since;
        }
    }

    private ZapHandler(ZMQ.Socket socket, Supplier<AddressPolicy> policy, SessionListener listener,
            Supplier<LoginGuard> audit) {
        this.socket = socket;
        this.policy = policy;
        this.listener = listener;
        this.audit = audit;
    }

    /** Binds the handler in {@code context}; before any session socket, or early connections go unchecked. */
    static ZapHandler bind(ZContext context, Supplier<AddressPolicy> policy, SessionListener listener,
            Supplier<LoginGuard> audit) {
        ZMQ.Socket socket = context.createSocket(SocketType.REP);
        socket.setLinger(0);
        try {
            socket.bind(ENDPOINT);
        } catch (ZMQException e) {
            context.destroySocket(socket);
            throw new EngineStartException("Cannot start the network access check (ZAP handler): " + e.getMessage(), e);
        }
        return new ZapHandler(socket, policy, listener, audit);
    }

    /** The ZAP domain of the session socket bound on {@code port}: the handler reads the port back for its log lines. */
    static String domain(int port) {
        return DOMAIN_PREFIX + port;
    }

    ZMQ.Socket socket() {
        return socket;
    }

    /** Whether a request is waiting (the descriptor is not signalled for every one; see {@link Sockets#anyHasInput()}). */
    boolean hasInput() {
        return (socket.getEvents() & ZMQ.Poller.POLLIN) != 0;
    }

    /** Answers the waiting requests; true when there were any. */
    boolean answerAll() {
        int answered = 0;
        while (answered < MAX_REQUESTS_PER_TURN) {
            List<byte[]> request = receive();
            if (request == null) {
                break;
            }
            answered++;
            answer(request);
        }
        return answered > 0;
    }

    private List<byte[]> receive() {
        byte[] first = socket.recv(ZMQ.DONTWAIT);
        if (first == null) {
            return null;
        }
        List<byte[]> frames = new ArrayList<>(7);
        frames.add(first);
        while (socket.hasReceiveMore()) {
            byte[] frame = socket.recv(0); // the rest of a multipart message is already there
            if (frame == null) {
                break;
            }
            if (frames.size() < MAX_FRAMES) {
                frames.add(frame);
            }
        }
        return frames;
    }

    /** Request: version, request id, domain, address, identity, mechanism, credentials... */
    private void answer(List<byte[]> request) {
        byte[] requestId = request.size() > 1 ? request.get(1) : NOTHING;
        String status;
        String text;
        try {
            if (request.size() < 6 || !VERSION.equals(ascii(request.get(0)))) {
                LOG.errorf("Malformed ZAP request (%d frames); the connection is refused", request.size());
                status = "500";
                text = "Malformed request";
            } else if (decide(ascii(request.get(2)), ascii(request.get(3)))) {
                status = "200";
                text = "OK";
            } else {
                status = "400";
                text = "Address not allowed";
            }
        } catch (RuntimeException e) {
            // a bug, not the peer's doing: refuse this connection, keep answering the next ones
            LOG.errorf(e, "Unexpected failure while checking a connection's address; the connection is refused");
            status = "500";
            text = "Internal error";
        }
        // reply: version, request id, status code, status text, user id, metadata (REP adds the envelope)
        int more = ZMQ.SNDMORE | ZMQ.DONTWAIT;
        socket.send(VERSION, more);
        socket.send(requestId, more);
        socket.send(status, more);
        socket.send(text, more);
        socket.send(NOTHING, more);
        socket.send(NOTHING, ZMQ.DONTWAIT);
    }

    /** Whether the peer at {@code address} may connect; a refusal is counted and logged (throttled). */
    private boolean decide(String domain, String address) {
        AddressPolicy current = policy.get();
        if (current.allowsAll()) {
            return true;
        }
        String reason;
        String shown;
        InetAddress peer = peerAddress(address);
        if (peer == null) {
            reason = "unreadable peer address";
            shown = printable(address);
        } else {
            Optional<String> refusal = current.refusal(peer);
            if (refusal.isEmpty()) {
                return true;
            }
            reason = refusal.get();
            shown = CidrRange.format(peer);
        }
        listener.connectionRefused();
        logRefusal(shown, portOf(domain), reason);
        return false;
    }

    private void logRefusal(String address, String port, String reason) {
        long now = System.currentTimeMillis();
        Quiet quiet = recentlyLogged.get(address);
        if (quiet != null && now - quiet.since < ADDRESS_QUIET_MILLIS) {
            quiet.suppressed++;
            return;
        }
        recentlyLogged.put(address, new Quiet(now));
        int suppressed = quiet == null ? 0 : quiet.suppressed;
        String more = suppressed == 0 ? "" : "; " + suppressed + " more refused from this address since its last line";
        if (warnings.warn("refused connection", "Refused connection from " + address + " on port " + port
                + " (address not allowed: " + reason + ")" + more)) {
            // the audit trail gets what the log gets, so a scan cannot flood it either (the metric counts all)
            audit.get().refusedTraffic("connection-refused", address, "port " + port + ": " + reason + more);
        }
    }

    /** JeroMQ's address frame is the peer's {@link InetAddress#getHostAddress()}; a zone index is dropped. */
    private static InetAddress peerAddress(String address) {
        int zone = address.indexOf('%');
        try {
            return CidrRange.parseAddress(zone < 0 ? address : address.substring(0, zone));
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    private static String portOf(String domain) {
        return domain.startsWith(DOMAIN_PREFIX) ? domain.substring(DOMAIN_PREFIX.length()) : "? (ZAP domain '"
                + printable(domain) + "')";
    }

    private static String ascii(byte[] frame) {
        return new String(frame, StandardCharsets.US_ASCII);
    }

    /** At most 64 printable ASCII characters of something a peer's connection carried. */
    private static String printable(String text) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < text.length() && i < 64; i++) {
            char c = text.charAt(i);
            out.append(c >= 0x20 && c < 0x7f ? c : '?');
        }
        return text.length() > 64 ? out + "..." : out.toString();
    }
}
