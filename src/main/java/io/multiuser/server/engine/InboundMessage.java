package io.multiuser.server.engine;

import java.util.ArrayList;
import java.util.List;

import org.zeromq.ZMQ;

import zmq.Msg;
import zmq.io.Metadata;

/**
 * One multipart message read from a socket, with the connection's metadata: JeroMQ gives every
 * message of one connection the same {@link Metadata} instance, which is how datablock chunks
 * are paired with the header of their own connection.
 */
record InboundMessage(List<byte[]> frames, Metadata connection, int droppedFrames) {

    /** Frames beyond this are counted but not kept: no command or datablock has more. */
    static final int MAX_FRAMES = 8;

    /** Reads one whole message without blocking, or returns null when none is waiting. */
    static InboundMessage read(ZMQ.Socket socket) {
        Msg msg = socket.base().recv(ZMQ.DONTWAIT);
        if (msg == null) {
            return null;
        }
        Metadata connection = msg.getMetadata();
        List<byte[]> frames = new ArrayList<>(4);
        int dropped = 0;
        while (true) {
            if (connection == null) {
                connection = msg.getMetadata(); // a ROUTER's identity frame has none; the next ones do
            }
            if (frames.size() < MAX_FRAMES) {
                frames.add(msg.data());
            } else {
                dropped++;
            }
            if (!msg.hasMore()) {
                break;
            }
            msg = socket.base().recv(0); // the rest of a multipart message is already there
            if (msg == null) {
                break; // interrupted by shutdown
            }
        }
        return new InboundMessage(frames, connection, dropped);
    }

    String peerAddress() {
        String address = connection == null ? null : connection.get(Metadata.PEER_ADDRESS);
        return address == null ? "unknown address" : address;
    }

    int frameCount() {
        return frames.size() + droppedFrames;
    }
}
