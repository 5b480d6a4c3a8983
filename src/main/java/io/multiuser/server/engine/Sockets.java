package io.multiuser.server.engine;

import java.util.EnumMap;
import java.util.List;
import java.util.Map;

import org.zeromq.ZMQ;

/** A session's bound sockets, keyed by {@link Port}, in port order. Engine thread only. */
final class Sockets {

    record Bound(Port port, ZMQ.Socket socket) {
    }

    private final int basePort;
    private final List<Bound> bound;
    private final Map<Port, ZMQ.Socket> byPort = new EnumMap<>(Port.class);
    private final ZMQ.Socket[] all;

    Sockets(int basePort, List<Bound> bound) {
        this.basePort = basePort;
        this.bound = List.copyOf(bound);
        for (Bound b : bound) {
            byPort.put(b.port(), b.socket());
        }
        this.all = bound.stream().map(Bound::socket).toArray(ZMQ.Socket[]::new);
    }

    /** The port the first socket is bound on. */
    int basePort() {
        return basePort;
    }

    ZMQ.Socket get(Port port) {
        ZMQ.Socket socket = byPort.get(port);
        if (socket == null) {
            throw new IllegalArgumentException("this session has no " + port + " socket");
        }
        return socket;
    }

    List<Bound> bound() {
        return bound;
    }

    ZMQ.Socket[] all() {
        return all;
    }

    /**
     * Whether any socket holds a message. Not every message signals the descriptor (the first one
     * on a new connection's pipe, or those left when a read budget ran out), so the loop looks first.
     */
    boolean anyHasInput() {
        for (ZMQ.Socket socket : all) {
            if ((socket.getEvents() & ZMQ.Poller.POLLIN) != 0) {
                return true;
            }
        }
        return false;
    }
}
