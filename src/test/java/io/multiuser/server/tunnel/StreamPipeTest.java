package io.multiuser.server.tunnel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiConsumer;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetServer;

/**
 * The tunnel's byte pipe end to end on loopback, wired as in production: a TCP client (Blender)
 * → the connector's side (a local port, a WebSocket out) → the server's side (the WebSocket in, a
 * TCP connection out) → a TCP peer (the session). Real sockets, no TLS (the pipe does not see it).
 */
class StreamPipeTest {

    private static final int MIB = 1 << 20;

    private Vertx vertx;
    private final ExecutorService threads = Executors.newCachedThreadPool();

    @BeforeEach
    void start() {
        vertx = Vertx.vertx();
    }

    @AfterEach
    void stop() throws Exception {
        threads.shutdownNow();
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    @Test
    void bytesArriveIntactBothWays() throws Exception {
        try (ServerSocket session = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
            int local = chainTo(session.getLocalPort());
            Future<?> echo = threads.submit(() -> {
                try (Socket s = session.accept()) {
                    s.getInputStream().transferTo(s.getOutputStream()); // until the chain closes
                }
                return null;
            });
            int size = 16 * MIB;
            try (Socket blender = new Socket("127.0.0.1", local)) {
                // no half-close: ZeroMQ never shuts one direction, and the tunnel ends both at the first end
                Future<?> writer = threads.submit(() -> {
                    writeRandom(blender.getOutputStream(), size, 7, null);
                    return null;
                });
                byte[] back = blender.getInputStream().readNBytes(size);
                writer.get(30, TimeUnit.SECONDS);
                assertEquals(size, back.length, "every byte echoed through both pipes");
                assertArrayEquals(expected(size, 7), back, "in order and unchanged");
            }
            echo.get(30, TimeUnit.SECONDS); // Blender's close went through: the session's side ended too
        }
    }

    @Test
    void aPeerThatDoesNotReadStopsTheWholeChain() throws Exception {
        try (ServerSocket session = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
            int local = chainTo(session.getLocalPort());
            int size = 128 * MIB;
            AtomicLong written = new AtomicLong();
            try (Socket blender = new Socket("127.0.0.1", local)) {
                Future<?> writer = threads.submit(() -> {
                    writeRandom(blender.getOutputStream(), size, 11, written);
                    return null;
                });
                try (Socket slow = session.accept()) {
                    // the session reads nothing: the writer must stall once the sockets' buffers are full
                    long stalledAt = awaitStall(written);
                    assertTrue(stalledAt < 64L * MIB, "stalled after " + stalledAt / MIB + " MiB of " + size / MIB
                            + ": a pipe buffers what its peer cannot take");
                    byte[] got = slow.getInputStream().readNBytes(size);
                    writer.get(30, TimeUnit.SECONDS);
                    assertEquals(size, got.length, "reading again resumes the chain");
                    assertArrayEquals(expected(size, 11), got);
                }
            }
        }
    }

    @Test
    void joinTellsWhetherBothSidesWereStillOpen() throws Exception {
        try (ServerSocket session = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
            CompletableFuture<Boolean> bothOpen = new CompletableFuture<>();
            CompletableFuture<Boolean> sessionGone = new CompletableFuture<>();
            NetClient net = vertx.createNetClient();
            int wsPort = heldWebSockets((ws, carrying) -> net.connect(session.getLocalPort(), "127.0.0.1")
                    .onSuccess(socket -> {
                        if (!bothOpen.isDone()) {
                            ws.closeHandler(v -> socket.close());
                            socket.closeHandler(v -> closeIfOpen(ws));
                            bothOpen.complete(StreamPipe.join(ws, carrying, socket));
                        } else { // joined only once the session's side has closed
                            socket.closeHandler(v -> {
                                sessionGone.complete(StreamPipe.join(ws, carrying, socket));
                                ws.close(); // what the tunnel does then: its close handshake must complete
                            });
                        }
                    }));
            WebSocketClient client = vertx.createWebSocketClient();
            client.connect(wsPort, "127.0.0.1", "/tunnel");
            try (Socket open = session.accept()) {
                assertTrue(bothOpen.get(10, TimeUnit.SECONDS), "both sides open");
                CompletableFuture<Short> artistSeesTheEnd = closeOfNewWebSocket(wsPort);
                session.accept().close();
                assertFalse(sessionGone.get(10, TimeUnit.SECONDS), "the session's side had closed");
                artistSeesTheEnd.get(5, TimeUnit.SECONDS); // the close handshake went through, no time-out

            }
        }
    }

    @Test
    void aHeldWebSocketWhoseSessionIsUnreachableClosesAtOnce() throws Exception {
        int closedPort;
        try (ServerSocket gone = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
            closedPort = gone.getLocalPort();
        }
        NetClient net = vertx.createNetClient();
        int wsPort = heldWebSockets((ws, carrying) -> net.connect(closedPort, "127.0.0.1").onFailure(e -> {
            StreamPipe.release(carrying); // as the tunnel's route does
            ws.close((short) 1011, "the session's port is unreachable");
        }));
        CompletableFuture<Short> status = closeOfNewWebSocket(wsPort);
        // still held, the server could not read the artist's answer to its close frame: no close for 10 s and more
        assertEquals((short) 1011, status.get(5, TimeUnit.SECONDS));
    }

    /** The connector's side on a local port and the server's side in front of {@code sessionPort}; the local port. */
    private int chainTo(int sessionPort) throws Exception {
        NetClient net = vertx.createNetClient();
        int wsPort = heldWebSockets((ws, carrying) -> net.connect(sessionPort, "127.0.0.1").onSuccess(socket -> {
            ws.closeHandler(v -> socket.close());
            socket.closeHandler(v -> closeIfOpen(ws));
            StreamPipe.join(ws, carrying, socket);
        }));
        WebSocketClient client = vertx.createWebSocketClient();
        NetServer connector = vertx.createNetServer().connectHandler(blender -> {
            StreamPipe.hold(blender);
            client.connect(wsPort, "127.0.0.1", "/tunnel").onSuccess(ws -> {
                StreamPipe.join(ws, blender);
                ws.closeHandler(v -> blender.close());
                blender.closeHandler(v -> closeIfOpen(ws));
            }).onFailure(e -> blender.close());
        });
        CompletableFuture<Integer> port = connector.listen(0, "127.0.0.1").map(NetServer::actualPort).toCompletionStage()
                .toCompletableFuture();
        return port.get(10, TimeUnit.SECONDS);
    }

    /**
     * Opens a WebSocket from an event loop, as the connector does, so that its close handler is set
     * before any frame is read (from a test thread, a fast close could come first and never be
     * heard of); the close status, null for a close without a frame.
     */
    private CompletableFuture<Short> closeOfNewWebSocket(int wsPort) {
        CompletableFuture<Short> status = new CompletableFuture<>();
        WebSocketClient client = vertx.createWebSocketClient();
        vertx.runOnContext(v -> client.connect(wsPort, "127.0.0.1", "/tunnel")
                .onSuccess(ws -> ws.closeHandler(closed -> status.complete(ws.closeStatusCode())))
                .onFailure(status::completeExceptionally));
        return status;
    }

    /** An HTTP server whose WebSockets are held as the tunnel's route holds them, then handed on; its port. */
    private int heldWebSockets(BiConsumer<ServerWebSocket, HttpConnection> opened) throws Exception {
        HttpServer server = vertx.createHttpServer().requestHandler(request -> request.toWebSocket().onSuccess(ws -> {
            HttpConnection carrying = request.connection();
            StreamPipe.hold(carrying);
            opened.accept(ws, carrying);
        }));
        return server.listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS)
                .actualPort();
    }

    private static void closeIfOpen(io.vertx.core.http.WebSocketBase ws) {
        if (!ws.isClosed()) {
            ws.close();
        }
    }

    /** Waits until the count has not moved for a second (at most 20 s); the count then. */
    private static long awaitStall(AtomicLong written) throws InterruptedException {
        long last = -1;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (System.nanoTime() < deadline) {
            long now = written.get();
            if (now == last) {
                return now;
            }
            last = now;
            Thread.sleep(1000);
        }
        return written.get();
    }

    private static void writeRandom(OutputStream out, int size, long seed, AtomicLong written) throws IOException {
        byte[] all = expected(size, seed);
        Random chunks = new Random(seed + 1);
        for (int at = 0; at < size;) {
            int n = Math.min(size - at, 1 + chunks.nextInt(100 * 1024)); // sizes a ZeroMQ peer writes, and more
            out.write(all, at, n);
            at += n;
            if (written != null) {
                written.set(at);
            }
        }
        out.flush();
    }

    private static byte[] expected(int size, long seed) {
        byte[] b = new byte[size];
        new Random(seed).nextBytes(b);
        return b;
    }
}
