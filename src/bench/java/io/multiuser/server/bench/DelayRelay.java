package io.multiuser.server.bench;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * A TCP relay that emulates a slow link (this kernel has no netem): it listens on four
 * consecutive loopback ports R..R+3, because clients derive P+1..P+3 from the base port, and
 * forwards each connection to the server's P..P+3, holding every chunk back {@code delayMillis}
 * in each direction (2 × delay = round trip). Per connection and direction one thread reads and
 * timestamps chunks into a queue and another writes each one when it is due, so order is kept
 * and the delay does not throttle bandwidth.
 */
final class DelayRelay implements AutoCloseable {

    private record Chunk(long dueNanos, byte[] bytes, int length) {
    }

    private static final Chunk END = new Chunk(0, new byte[0], -1);

    private final long delayNanos;
    private final int targetBase;
    private final int basePort;
    private final List<ServerSocket> listeners = new ArrayList<>();
    private final List<Socket> sockets = new ArrayList<>();
    private volatile boolean closed;

    DelayRelay(int targetBase, long delayMillis) throws IOException {
        this.targetBase = targetBase;
        this.delayNanos = TimeUnit.MILLISECONDS.toNanos(delayMillis);
        this.basePort = bindFour();
        for (int i = 0; i < 4; i++) {
            ServerSocket listener = listeners.get(i);
            int target = targetBase + i;
            daemon("relay-accept-" + target, () -> acceptLoop(listener, target));
        }
    }

    /** The base port clients connect to instead of the server's. */
    int basePort() {
        return basePort;
    }

    private int bindFour() throws IOException {
        InetAddress loopback = InetAddress.getLoopbackAddress();
        for (int attempt = 0; attempt < 100; attempt++) {
            int base = ThreadLocalRandom.current().nextInt(20_000, 60_000);
            List<ServerSocket> bound = new ArrayList<>();
            try {
                for (int i = 0; i < 4; i++) {
                    bound.add(new ServerSocket(base + i, 50, loopback));
                }
                listeners.addAll(bound);
                return base;
            } catch (IOException e) {
                for (ServerSocket s : bound) {
                    s.close();
                }
            }
        }
        throw new IOException("no four consecutive free loopback ports for the relay");
    }

    private void acceptLoop(ServerSocket listener, int target) {
        while (!closed) {
            try {
                Socket client = listener.accept();
                Socket server = new Socket(InetAddress.getLoopbackAddress(), target);
                client.setTcpNoDelay(true);
                server.setTcpNoDelay(true);
                synchronized (sockets) {
                    sockets.add(client);
                    sockets.add(server);
                }
                pipe(client, server, "up-" + target);
                pipe(server, client, "down-" + target);
            } catch (IOException e) {
                if (!closed) {
                    System.err.println("relay: " + e);
                }
                return;
            }
        }
    }

    private void pipe(Socket from, Socket to, String name) throws IOException {
        BlockingQueue<Chunk> queue = new LinkedBlockingQueue<>();
        InputStream in = from.getInputStream();
        OutputStream out = to.getOutputStream();
        daemon("relay-read-" + name, () -> {
            byte[] buffer = new byte[64 * 1024];
            try {
                int n;
                while ((n = in.read(buffer)) > 0) {
                    queue.add(new Chunk(System.nanoTime() + delayNanos, java.util.Arrays.copyOf(buffer, n), n));
                }
            } catch (IOException e) {
                // connection closed: end the other direction too
            }
            queue.add(END);
        });
        daemon("relay-write-" + name, () -> {
            try {
                while (true) {
                    Chunk c = queue.take();
                    if (c == END) {
                        break;
                    }
                    long wait = c.dueNanos() - System.nanoTime();
                    if (wait > 0) {
                        TimeUnit.NANOSECONDS.sleep(wait);
                    }
                    out.write(c.bytes(), 0, c.length());
                }
            } catch (IOException | InterruptedException e) {
                // connection closed
            }
            try {
                to.shutdownOutput();
            } catch (IOException e) {
                // already closed
            }
        });
    }

    private static void daemon(String name, Runnable body) {
        Thread t = new Thread(body, name);
        t.setDaemon(true);
        t.start();
    }

    @Override
    public void close() throws IOException {
        closed = true;
        for (ServerSocket s : listeners) {
            s.close();
        }
        synchronized (sockets) {
            for (Socket s : sockets) {
                s.close();
            }
        }
    }
}
