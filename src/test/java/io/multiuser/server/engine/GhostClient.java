package io.multiuser.server.engine;

import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import org.zeromq.SocketType;
import org.zeromq.ZContext;
import org.zeromq.ZMQ;

import io.multiuser.server.testclient.ClientPickler;
import io.multiuser.server.testclient.ClientSockets;
import io.multiuser.server.testclient.TestClient;

/**
 * A client whose heartbeat process keeps answering after its command socket is gone: the
 * "ghost" the original server keeps forever.
 */
final class GhostClient implements AutoCloseable {

    private final ZContext context = new ZContext(1);
    private final byte[] identity;
    private final int port;
    private final String name;
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final AtomicInteger pings = new AtomicInteger();
    private Thread heartbeat;

    GhostClient(int port, String name) {
        this.port = port;
        this.name = name;
        UUID uuid = UUID.randomUUID();
        identity = java.nio.ByteBuffer.allocate(16).putLong(uuid.getMostSignificantBits())
                .putLong(uuid.getLeastSignificantBits()).array();
    }

    void loginThenCloseCommandSocket() {
        heartbeat = new Thread(() -> {
            ZMQ.Socket hb = ClientSockets.create(context, SocketType.DEALER);
            hb.setIdentity(identity);
            hb.connect("tcp://127.0.0.1:" + (port + 3));
            hb.send("INIT");
            hb.setReceiveTimeOut(20);
            while (running.get()) {
                byte[] frame = hb.recv();
                if (frame != null) {
                    pings.incrementAndGet();
                    hb.send("PONG");
                }
            }
            hb.close();
        }, "ghost-heartbeat");
        heartbeat.start();
        ZMQ.Socket commands = ClientSockets.create(context, SocketType.DEALER);
        commands.setIdentity(identity);
        commands.setLinger(1000);
        commands.connect("tcp://127.0.0.1:" + port);
        commands.sendMore(name);
        commands.sendMore("RepAuthCommand");
        commands.send(ClientPickler.dumps(TestClient.map("AUTH_TYPE", "CLIENT", "AUTH_ID", name, "PWD", null,
                "VERSION", TestClient.VERSION)));
        commands.recv(); // wait for the server's first answer, then vanish from port P
        context.destroySocket(commands);
    }

    int pings() {
        return pings.get();
    }

    @Override
    public void close() {
        running.set(false);
        try {
            heartbeat.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        context.close();
    }
}
