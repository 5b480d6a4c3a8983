package io.multiuser.server.tunnel;

import java.io.ByteArrayOutputStream;
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
 * A plain TCP relay between the connector and the server that keeps a copy of every byte, both
 * ways: what an eavesdropper on the network would see. {@link #kill()} drops every connection and
 * stops listening (the network is gone); {@link #restore()} listens again on the same port.
 */
final class RecordingRelay implements AutoCloseable {

    private final int target;
    /** The address the relay connects to the server from: another "machine" on the loopback network. */
    private final InetAddress source;
    private final ByteArrayOutputStream recorded = new ByteArrayOutputStream();
    private final List<Socket> sockets = new ArrayList<>();
    private volatile ServerSocket listener;
    private int port;

    RecordingRelay(int target) throws IOException {
        this(target, InetAddress.getLoopbackAddress());
    }

    /** A relay whose connections reach the server from {@code source} (any 127.x.y.z works on Linux). */
    RecordingRelay(int target, InetAddress source) throws IOException {
        this.target = target;
        this.source = source;
        restore();
    }

    int port() {
        return port;
    }

    synchronized void restore() throws IOException {
        ServerSocket s = new ServerSocket();
        s.setReuseAddress(true);
        s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 50);
        port = s.getLocalPort();
        listener = s;
        Thread t = new Thread(() -> accept(s), "relay-accept");
        t.setDaemon(true);
        t.start();
    }

    /** Every byte seen so far, both directions. */
    byte[] recorded() {
        synchronized (recorded) {
            return recorded.toByteArray();
        }
    }

    synchronized void kill() {
        try {
            listener.close();
        } catch (IOException e) {
            // closing
        }
        synchronized (sockets) {
            sockets.forEach(RecordingRelay::quietly);
            sockets.clear();
        }
    }

    @Override
    public void close() {
        kill();
    }

    private void accept(ServerSocket s) {
        while (!s.isClosed()) {
            try {
                Socket in = s.accept();
                Socket out = new Socket(InetAddress.getLoopbackAddress(), target, source, 0);
                in.setTcpNoDelay(true);
                out.setTcpNoDelay(true);
                synchronized (sockets) {
                    sockets.add(in);
                    sockets.add(out);
                }
                copy(in, out);
                copy(out, in);
            } catch (IOException e) {
                // the listener closed, or the server refused: the client's side sees a close
            }
        }
    }

    private void copy(Socket from, Socket to) {
        Thread t = new Thread(() -> {
            byte[] buffer = new byte[65536];
            try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
                int n;
                while ((n = in.read(buffer)) >= 0) {
                    synchronized (recorded) {
                        recorded.write(buffer, 0, n);
                    }
                    out.write(buffer, 0, n);
                }
            } catch (IOException e) {
                // one side went away
            } finally {
                quietly(from);
                quietly(to);
            }
        }, "relay-copy");
        t.setDaemon(true);
        t.start();
    }

    private static void quietly(Socket s) {
        try {
            s.close();
        } catch (IOException e) {
            // already closed
        }
    }
}
