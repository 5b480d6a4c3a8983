package io.multiuser.server.testclient;

import org.zeromq.SocketType;
import org.zeromq.ZContext;
import org.zeromq.ZMQ;

/**
 * Connecting sockets for the tests' and the bench's JeroMQ clients.
 *
 * <p>JeroMQ 0.6.0 sometimes leaves a fresh outgoing connection with its ZMTP handshake unfinished
 * until the handshake timer (30 s by default) drops it and redials. It happens on about 1 % of
 * new connections when the client's context is busy with other sockets, against any ROUTER
 * (reproduced against a bare JeroMQ ROUTER echo: 7 stalls of 10–30 s in 460 connections). libzmq,
 * the add-on's library, does not do this. With a 2 s timer, the same run had one 2.1 s wait in 600.
 * Messages sent meanwhile wait in the socket's pipe and go out on the new connection, so a client
 * loses nothing and a test measures the server, not its own client library.
 */
public final class ClientSockets {

    /**
     * Short enough that a stalled heartbeat connection is redialled inside the tests' shortest session
     * timeout (1.5 s: a 2 s timer once got a 0.9 client timed out); long enough for a handshake held
     * by the server's ZAP check on a loaded CI machine (a spurious redial only costs a reconnect).
     */
    public static final int HANDSHAKE_MILLIS = 1000;

    private ClientSockets() {
    }

    /** A socket of this type in {@code context}, with the short handshake timer; not yet connected. */
    public static ZMQ.Socket create(ZContext context, SocketType type) {
        ZMQ.Socket socket = context.createSocket(type);
        socket.setHandshakeIvl(HANDSHAKE_MILLIS);
        return socket;
    }
}
