package io.multiuser.server.testclient;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A ZMTP 3.0 handshake by hand, over a plain TCP socket bound to a chosen source address: what
 * exactly does the server send a peer, and when does the connection end? Sends the greeting
 * (mechanism NULL) and a READY command with the given socket type; once the server answers with
 * READY, or with ERROR (a peer that ignores a refusal), sends {@code message} (if any) as a
 * multipart message; then reads everything until the server closes the connection or
 * {@code waitMillis} pass.
 */
public final class ZmtpProbe {

    /** What the server sent: its greeting, then its frames; whether it closed the connection. */
    public record Result(byte[] greeting, List<Frame> frames, boolean closedByServer) {

        /** The names of the command frames (READY, ERROR), in order. */
        public List<String> commands() {
            return frames.stream().filter(Frame::command).map(Frame::commandName).toList();
        }

        /** Frames that are messages rather than handshake commands: anything of the application protocol. */
        public List<Frame> messages() {
            return frames.stream().filter(f -> !f.command()).toList();
        }

        /** The reason of the first ERROR command (ZMTP: the ZAP status code, e.g. 400), or null. */
        public String errorReason() {
            for (Frame f : frames) {
                if (f.command() && f.commandName().equals("ERROR")) {
                    int offset = 1 + f.body()[0];
                    int length = f.body()[offset] & 0xff;
                    return new String(f.body(), offset + 1, length, StandardCharsets.US_ASCII);
                }
            }
            return null;
        }
    }

    /** One ZMTP frame. */
    public record Frame(boolean command, byte[] body) {
        String commandName() {
            return new String(body, 1, body[0] & 0xff, StandardCharsets.US_ASCII);
        }
    }

    private ZmtpProbe() {
    }

    /** Connects from {@code source} to 127.0.0.1:{@code port} as a {@code socketType} peer (DEALER, PUSH). */
    public static Result handshake(String source, int port, String socketType, List<byte[]> message, long waitMillis)
            throws IOException {
        try (Socket socket = new Socket()) {
            socket.bind(new InetSocketAddress(source, 0));
            socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 5000);
            OutputStream out = socket.getOutputStream();
            out.write(greeting());
            out.write(ready(socketType));
            out.flush();
            long deadline = System.currentTimeMillis() + waitMillis;
            DataInputStream in = new DataInputStream(socket.getInputStream());
            byte[] greeting = new byte[64];
            List<Frame> frames = new ArrayList<>();
            try {
                socket.setSoTimeout((int) Math.max(1, deadline - System.currentTimeMillis()));
                in.readFully(greeting);
                while (true) {
                    socket.setSoTimeout((int) Math.max(1, deadline - System.currentTimeMillis()));
                    int flags = in.readUnsignedByte();
                    long size = (flags & 0x02) != 0 ? in.readLong() : in.readUnsignedByte();
                    if (size > 1 << 20) {
                        throw new IOException("unexpected frame of " + size + " bytes");
                    }
                    byte[] body = new byte[(int) size];
                    in.readFully(body);
                    Frame frame = new Frame((flags & 0x04) != 0, body);
                    frames.add(frame);
                    if (frame.command() && message != null && !message.isEmpty()) {
                        out.write(frames(message));
                        out.flush();
                    }
                }
            } catch (EOFException e) {
                return new Result(greeting, frames, true);
            } catch (SocketTimeoutException e) {
                return new Result(greeting, frames, false);
            } catch (IOException e) {
                if (e.getMessage() != null && (e.getMessage().contains("reset") || e.getMessage().contains("Broken pipe"))) {
                    return new Result(greeting, frames, true); // closed while we wrote, or with our bytes unread: RST
                }
                throw e;
            }
        }
    }

    /** A multipart message: every frame but the last with MORE. */
    private static byte[] frames(List<byte[]> message) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int i = 0; i < message.size(); i++) {
            byte[] frame = message.get(i);
            int more = i < message.size() - 1 ? 0x01 : 0;
            if (frame.length > 255) {
                out.write(more | 0x02);
                for (int shift = 56; shift >= 0; shift -= 8) {
                    out.write((int) ((long) frame.length >>> shift));
                }
            } else {
                out.write(more);
                out.write(frame.length);
            }
            out.writeBytes(frame);
        }
        return out.toByteArray();
    }

    /** ZMTP 3.0 greeting: signature, version 3.0, mechanism NULL, as-server 0, filler. */
    private static byte[] greeting() {
        byte[] g = new byte[64];
        g[0] = (byte) 0xff;
        g[9] = 0x7f;
        g[10] = 3;
        g[11] = 0;
        byte[] mechanism = "NULL".getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(mechanism, 0, g, 12, mechanism.length);
        return g;
    }

    /** A READY command with the Socket-Type property (and an empty Identity). */
    private static byte[] ready(String socketType) {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.write(5);
        body.writeBytes("READY".getBytes(StandardCharsets.US_ASCII));
        property(body, "Socket-Type", socketType.getBytes(StandardCharsets.US_ASCII));
        property(body, "Identity", new byte[0]);
        byte[] b = body.toByteArray();
        ByteArrayOutputStream frame = new ByteArrayOutputStream();
        frame.write(0x04); // command, short size
        frame.write(b.length);
        frame.writeBytes(b);
        return frame.toByteArray();
    }

    private static void property(ByteArrayOutputStream out, String name, byte[] value) {
        out.write(name.length());
        out.writeBytes(name.getBytes(StandardCharsets.US_ASCII));
        out.write(value.length >>> 24);
        out.write(value.length >>> 16);
        out.write(value.length >>> 8);
        out.write(value.length);
        out.writeBytes(value);
    }
}
