package io.multiuser.server.tunnel;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.ContinuationWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.impl.VertxByteBufAllocator;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketBase;
import io.vertx.core.http.impl.WebSocketInternal;
import io.vertx.core.net.NetSocket;
import io.vertx.core.net.impl.ConnectionBase;
import io.vertx.core.net.impl.NetSocketInternal;

/**
 * Joins one tunnel WebSocket and its TCP connection (to the session on the server, to Blender in
 * the connector) at netty's level. Vert.x' read streams copy every pooled read into a fresh heap
 * buffer, and NIO and the TLS engine then copy it back into direct memory; here the buffer read on
 * one side is the one written on the other. Each TCP read becomes one binary frame, and a side's
 * writes are flushed at the end of the other's read burst (so TLS can seal several small ZeroMQ
 * messages in one record) or every 64 KiB (so a bulk transfer flows on while it is read).
 * Back-pressure: a side stops reading while the other is not writable. Close frames, pings and
 * closing stay with Vert.x, whose close handlers end both sides.
 */
public final class StreamPipe {

    private static final String NAME = "multiuser-stream-pipe";
    /** Vert.x' default largest frame a WebSocket accepts. */
    private static final int MAX_FRAME = 65_536;
    /** Unflushed bytes that are flushed at once: a bulk transfer flows on while the burst is still being read. */
    private static final int FLUSH_BYTES = 65_536;

    private StreamPipe() {
    }

    /** Stops a WebSocket from reading until {@link #join}: nothing may be read before the other side exists. */
    public static void hold(HttpConnection webSocket) {
        context(webSocket).channel().config().setAutoRead(false);
    }

    /** Undoes {@link #hold(HttpConnection)} when there will be no join: a closing handshake needs reads. */
    public static void release(HttpConnection webSocket) {
        context(webSocket).channel().config().setAutoRead(true);
    }

    /** See {@link #hold(HttpConnection)}. */
    public static void hold(NetSocket socket) {
        context(socket).channel().config().setAutoRead(false);
    }

    /** {@link #join(WebSocketBase, HttpConnection, NetSocket)} for a WebSocket this side opened. */
    public static boolean join(WebSocket webSocket, NetSocket socket) {
        return join(webSocket, ((WebSocketInternal) webSocket).connection(), socket);
    }

    /**
     * Pipes both ways from now on; call on the event loop that opened the later of the two. The
     * connection is the one carrying the WebSocket (Vert.x Web wraps a server's WebSocket). False
     * when a side had already closed: a close handler set just before would never hear of it.
     */
    public static boolean join(WebSocketBase webSocket, HttpConnection carrying, NetSocket socket) {
        ChannelHandlerContext wsVertx = context(carrying);
        ChannelHandlerContext tcpVertx = context(socket);
        Side fromWebSocket = new Side(true);
        Side fromSocket = new Side(false);
        fromWebSocket.peer = fromSocket;
        fromSocket.peer = fromWebSocket;
        // The frame decoder copies each payload into a buffer of the channel's allocator, which Vert.x
        // makes an unpooled heap one (zeroed, then copied again into direct memory for the socket).
        wsVertx.channel().config().setAllocator(VertxByteBufAllocator.POOLED_ALLOCATOR);
        // in front of Vert.x' handler: data never reaches Vert.x' buffers again
        wsVertx.pipeline().addBefore(wsVertx.name(), NAME, fromWebSocket);
        tcpVertx.pipeline().addBefore(tcpVertx.name(), NAME, fromSocket);
        // whatever Vert.x read before (nothing while held) goes first, then the channels read
        webSocket.handler(socket::write);
        socket.handler(webSocket::write);
        webSocket.resume();
        socket.resume();
        boolean open = wsVertx.channel().isActive() && tcpVertx.channel().isActive();
        Runnable read = () -> { // a side left alone reads on: its closing handshake must get through
            wsVertx.channel().config().setAutoRead(!open || !socket.writeQueueFull());
            tcpVertx.channel().config().setAutoRead(!open || !webSocket.writeQueueFull());
        };
        Context context = Vertx.currentContext();
        if (context == null) {
            read.run();
        } else {
            context.runOnContext(v -> read.run()); // after the resumes' drains, which are queued there
        }
        return open;
    }

    private static ChannelHandlerContext context(HttpConnection connection) {
        return ((ConnectionBase) connection).channelHandlerContext();
    }

    private static ChannelHandlerContext context(NetSocket socket) {
        return ((NetSocketInternal) socket).channelHandlerContext();
    }

    /** One side's reads, written to the other side. */
    private static final class Side extends ChannelInboundHandlerAdapter {

        private final boolean webSocket;
        private Side peer;
        private ChannelHandlerContext ctx;
        private int unflushed;

        Side(boolean webSocket) {
            this.webSocket = webSocket;
        }

        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            this.ctx = ctx;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (webSocket && (msg instanceof BinaryWebSocketFrame || msg instanceof ContinuationWebSocketFrame)) {
                ByteBuf data = ((WebSocketFrame) msg).content(); // passes on, and its release with it
                peer.send(data, data.readableBytes());
            } else if (!webSocket && msg instanceof ByteBuf data) {
                while (data.readableBytes() > MAX_FRAME) { // netty reads at most 64 KiB; a larger read is split
                    peer.send(new BinaryWebSocketFrame(data.readRetainedSlice(MAX_FRAME)), MAX_FRAME);
                }
                peer.send(new BinaryWebSocketFrame(data), data.readableBytes());
            } else {
                ctx.fireChannelRead(msg); // close, ping, pong, text: Vert.x' business
            }
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            peer.flush();
            ctx.fireChannelReadComplete();
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            peer.ctx.channel().config().setAutoRead(ctx.channel().isWritable());
            ctx.fireChannelWritabilityChanged();
        }

        /** Writes on this side; a failed write releases the buffer (netty), and Vert.x sees the close. */
        private void send(Object data, int bytes) {
            if (ctx.executor().inEventLoop()) { // called on the peer's event loop: the same one
                ctx.write(data);
                unflushed += Math.max(bytes, 1); // an empty frame is still something to flush
                if (unflushed >= FLUSH_BYTES) {
                    flush();
                }
            } else {
                ctx.writeAndFlush(data); // two event loops: netty orders the tasks, no shared flag
            }
            if (!ctx.channel().isWritable()) {
                peer.ctx.channel().config().setAutoRead(false);
            }
        }

        private void flush() {
            if (unflushed > 0) {
                unflushed = 0;
                ctx.flush();
            }
        }
    }
}
