package io.multiuser.server.engine;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

import org.zeromq.SocketType;
import org.zeromq.ZContext;
import org.zeromq.ZMQ;
import org.zeromq.ZMQException;

/**
 * Creates and binds a session's sockets: the dialect's ports, in order, from the base port.
 * A port that cannot be bound fails the whole start with one message naming the port, its role
 * and the settings to change; sockets already created are destroyed first.
 */
final class SocketBinder {

    /**
     * Messages JeroMQ's I/O thread may read ahead of the engine per client on the command port. An
     * admin's scene upload arrives there as fast as the network allows; with the default of 1,000 the
     * I/O thread put most of it on the heap before the engine could spill any (issue #19: 10-20 MiB of
     * the peak while 1,000 x 64 KiB were uploaded). A full queue holds the client back over TCP; nothing
     * is lost, and commands are few and small otherwise.
     */
    static final int COMMAND_RECEIVE_HIGH_WATER_MARK = 16;

    private final EngineSettings settings;
    private final EngineDialect dialect;

    /** "*" (every interface) and IPv6 addresses take IPv6 clients too; IPv4 ones still connect (dual stack). */
    private boolean ipv6;

    SocketBinder(EngineSettings settings, EngineDialect dialect) {
        this.settings = settings;
        this.dialect = dialect;
        this.ipv6 = settings.bindAddress().equals("*") || settings.bindAddress().contains(":");
    }

    /**
     * Binds the configured base port, or for 0 the first block of consecutive free ports it finds.
     * "*" is bound dual stack (IPv6 clients too) where the machine has IPv6, else IPv4 only.
     */
    Sockets bind(ZContext context) {
        if (ipv6) {
            try {
                return bindBlock(context);
            } catch (EngineStartException e) {
                if (e.getCause() instanceof ZMQException z && z.getErrorCode() == zmq.ZError.EADDRINUSE) {
                    throw e; // a port in use is not a matter of IPv6
                }
                ipv6 = false; // no IPv6 here (disabled in the kernel, say): IPv4 as before
            }
        }
        return bindBlock(context);
    }

    private Sockets bindBlock(ZContext context) {
        if (settings.basePort() != 0) {
            return bindAll(context, settings.basePort());
        }
        EngineStartException last = null;
        for (int attempt = 0; attempt < 50; attempt++) {
            try {
                return bindAll(context, ThreadLocalRandom.current().nextInt(20_000, 60_000));
            } catch (EngineStartException e) {
                last = e;
            }
        }
        throw last;
    }

    private Sockets bindAll(ZContext context, int base) {
        List<Port> ports = dialect.ports();
        List<Sockets.Bound> bound = new ArrayList<>(ports.size());
        for (int offset = 0; offset < ports.size(); offset++) {
            Port port = ports.get(offset);
            ZMQ.Socket socket = create(context, port);
            // with a domain set, JeroMQ asks the session's ZapHandler about every new connection (NULL
            // mechanism: without one it asks nobody)
            socket.setZapDomain(ZapHandler.domain(base + offset));
            bound.add(new Sockets.Bound(port, socket));
            String endpoint = "tcp://" + settings.bindAddress() + ":" + (base + offset);
            try {
                socket.bind(endpoint);
            } catch (ZMQException | IllegalArgumentException e) {
                for (Sockets.Bound b : bound) {
                    context.destroySocket(b.socket());
                }
                String reason = e instanceof ZMQException z ? zmqReason(z) : e.getMessage();
                throw new EngineStartException("Cannot bind port " + (base + offset) + " (P" + (offset == 0 ? "" : "+" + offset)
                        + ", " + port.description + ") on " + settings.bindAddress() + ": " + reason
                        + ". Check multiuser.port (base port " + base + "; protocol " + dialect.generation()
                        + " needs it and the next " + (ports.size() - 1) + ") and multiuser.bind-address.", e);
            }
        }
        return new Sockets(base, bound);
    }

    /** A socket for {@code port}: clients only read on the four-port P+1 and write tiny heartbeats. */
    private ZMQ.Socket create(ZContext context, Port port) {
        ZMQ.Socket socket = switch (port) {
            case COMMANDS -> router(context, "SERVER_COMMAND");
            case DATA_OUT, DATA -> router(context, "SERVER_PUSH");
            case DATA_IN -> context.createSocket(SocketType.PULL);
            case HEARTBEAT -> router(context, null);
        };
        if (port == Port.COMMANDS) {
            socket.setRcvHWM(COMMAND_RECEIVE_HIGH_WATER_MARK);
        }
        socket.setMaxMsgSize(port == Port.DATA_OUT || port == Port.HEARTBEAT ? 4096 : settings.maxMessageBytes());
        socket.setIPv6(ipv6);
        return socket;
    }

    private ZMQ.Socket router(ZContext context, String identity) {
        ZMQ.Socket socket = context.createSocket(SocketType.ROUTER);
        if (identity != null) {
            socket.setIdentity(identity.getBytes(StandardCharsets.US_ASCII));
        }
        socket.setRouterMandatory(true); // report unroutable sends instead of dropping them
        socket.setRouterHandover(true); // a client reconnecting with its identity takes over
        socket.setSndHWM(settings.sendHighWaterMark());
        socket.setTCPKeepAlive(1);
        return socket;
    }

    private static String zmqReason(ZMQException e) {
        return switch (e.getErrorCode()) {
            case zmq.ZError.EADDRINUSE -> "address already in use";
            case zmq.ZError.EADDRNOTAVAIL -> "address not available on this machine";
            default -> e.getMessage();
        };
    }
}
