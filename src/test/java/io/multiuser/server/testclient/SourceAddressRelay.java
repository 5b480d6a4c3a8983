package io.multiuser.server.testclient;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;

/**
 * Makes a test client's connections reach a loopback server from another loopback address. JeroMQ
 * 0.6.0 parses a source address in {@code connect("tcp://HOST:PORT;SOURCE:0")} but never binds
 * it, so a client always connects from 127.0.0.1; this relay listens on {@code address}:P..P+n-1
 * (the server's own port numbers: the server binds 127.0.0.1 only) and forwards every connection
 * to 127.0.0.1 from a socket bound to {@code address}. Linux answers on all of 127.0.0.0/8, so
 * {@code new TestClient("127.0.0.2", port, name)} behind a relay on 127.0.0.2 is seen by the server
 * as a peer at 127.0.0.2. When either side closes, so does the other: a server that drops the
 * relayed connection drops the client's.
 */
public final class SourceAddressRelay implements AutoCloseable {

    private final InetAddress address;
    private final List<ServerSocket> listeners = new ArrayList<>();
    private final List<Socket> sockets = new ArrayList<>();
    private final List<Socket> clientSides = new ArrayList<>();
    private volatile boolean closed;

    public SourceAddressRelay(String address, int basePort, int ports) throws IOException {
        this.address = InetAddress.getByName(address);
        try {
            for (int i = 0; i < ports; i++) {
                ServerSocket listener = new ServerSocket();
                listeners.add(listener);
                listener.bind(new InetSocketAddress(this.address, basePort + i), 50);
                int target = basePort + i;
                daemon("relay-accept-" + target, () -> acceptLoop(listener, target));
            }
        } catch (IOException e) {
            close();
            throw e;
        }
    }

    /** Whether this machine lets a socket bind {@code address} (Linux: any 127.x.y.z; macOS: 127.0.0.1 only). */
    public static boolean usable(String address) {
        try (ServerSocket listener = new ServerSocket(0, 1, InetAddress.getByName(address));
                Socket client = new Socket()) {
            client.bind(new InetSocketAddress(address, 0));
            client.connect(listener.getLocalSocketAddress(), 1000);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private void acceptLoop(ServerSocket listener, int target) {
        while (!closed) {
            Socket client;
            try {
                client = listener.accept();
            } catch (IOException e) {
                return; // closed
            }
            Socket server = new Socket();
            try {
                server.bind(new InetSocketAddress(address, 0));
                server.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), target), 5000);
                client.setTcpNoDelay(true);
                server.setTcpNoDelay(true);
            } catch (IOException e) {
                closeQuietly(client);
                closeQuietly(server);
                continue;
            }
            synchronized (sockets) {
                sockets.add(client);
                sockets.add(server);
                clientSides.add(client);
            }
            daemon("relay-up-" + target, () -> pump(client, server));
            daemon("relay-down-" + target, () -> pump(server, client));
        }
    }

    /** How many relayed connections are open (both sides close together). */
    public int openConnections() {
        synchronized (sockets) {
            return (int) clientSides.stream().filter(s -> !s.isClosed()).count();
        }
    }

    /** How many connections were relayed so far. */
    public int connectionsMade() {
        synchronized (sockets) {
            return clientSides.size();
        }
    }

    /** Copies {@code from} to {@code to} until either side ends, then closes both. */
    private static void pump(Socket from, Socket to) {
        byte[] buffer = new byte[64 * 1024];
        try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
            int n;
            while ((n = in.read(buffer)) > 0) {
                out.write(buffer, 0, n);
                out.flush();
            }
        } catch (IOException e) {
            // the other direction or close() ended it
        } finally {
            closeQuietly(from);
            closeQuietly(to);
        }
    }

    private static void daemon(String name, Runnable task) {
        Thread thread = new Thread(task, name);
        thread.setDaemon(true);
        thread.start();
    }

    private static void closeQuietly(AutoCloseable closeable) {
        try {
            closeable.close();
        } catch (Exception e) {
            // nothing to do
        }
    }

    @Override
    public void close() {
        closed = true;
        listeners.forEach(SourceAddressRelay::closeQuietly);
        synchronized (sockets) {
            sockets.forEach(SourceAddressRelay::closeQuietly);
        }
    }
}
