package io.multiuser.server.testclient;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;

import org.junit.jupiter.api.Test;
import org.zeromq.SocketType;
import org.zeromq.ZContext;
import org.zeromq.ZMQ;
import org.zeromq.ZMsg;

/**
 * The tests' clients must not inherit JeroMQ's 30 s handshake stall (see {@link ClientSockets}):
 * fresh connections from a context kept busy by other sockets, as in the conditions that stalled
 * CI runs, each get their echo within 10 s. With JeroMQ's default timer, runs of this size usually
 * saw one or more 30 s waits.
 */
class ClientSocketsTest {

    private static final int CONNECTIONS = 100;
    private static final int ANSWER_MILLIS = 10_000;

    @Test
    void freshConnectionsFromABusyContextAreAnsweredWithoutAHandshakeStall() throws Exception {
        AtomicBoolean running = new AtomicBoolean(true);
        List<Thread> threads = new ArrayList<>();
        try (ZContext server = new ZContext(1); ZContext client = new ZContext(1)) {
            try {
                run(server, client, running, threads);
            } finally { // the sockets' threads end before their contexts close
                running.set(false);
                for (Thread t : threads) {
                    t.join(5000);
                }
            }
        }
    }

    private static void run(ZContext server, ZContext client, AtomicBoolean running, List<Thread> threads) {
        ZMQ.Socket router = server.createSocket(SocketType.ROUTER);
        router.setLinger(0);
        router.setReceiveTimeOut(100);
        String endpoint = "tcp://127.0.0.1:" + router.bindToRandomPort("tcp://127.0.0.1");
        threads.add(start("echo", () -> {
            while (running.get()) {
                ZMsg m = ZMsg.recvMsg(router);
                if (m != null) {
                    m.send(router);
                }
            }
        }));
        for (int i = 0; i < 4; i++) { // keep the client's I/O thread busy, as other test clients do
            threads.add(start("busy-" + i, () -> {
                ZMQ.Socket s = ClientSockets.create(client, SocketType.DEALER);
                s.setLinger(0);
                s.connect(endpoint);
                byte[] payload = new byte[4096];
                while (running.get()) {
                    s.send(payload, ZMQ.DONTWAIT);
                    while (s.recv(ZMQ.DONTWAIT) != null) {
                        // echoes are not looked at
                    }
                }
            }));
        }
        for (int i = 0; i < CONNECTIONS; i++) {
            ZMQ.Socket fresh = ClientSockets.create(client, SocketType.DEALER);
            fresh.setLinger(0);
            fresh.setIdentity(UUID.randomUUID().toString().getBytes(StandardCharsets.UTF_8));
            fresh.setReceiveTimeOut(ANSWER_MILLIS);
            fresh.connect(endpoint);
            fresh.send("hello " + i);
            assertThat(fresh.recvStr()).as("echo on fresh connection %d within %d ms", i, ANSWER_MILLIS)
                    .isEqualTo("hello " + i);
            client.destroySocket(fresh);
        }
    }

    private static Thread start(String name, Runnable body) {
        Thread t = new Thread(body, "client-sockets-test-" + name);
        t.setDaemon(true);
        t.start();
        return t;
    }
}
