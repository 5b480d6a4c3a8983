package io.multiuser.server.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.zeromq.SocketType;
import org.zeromq.ZContext;
import org.zeromq.ZMQ;
import org.zeromq.ZMsg;

import io.multiuser.server.protocol.ClientId;
import io.multiuser.server.protocol.ServerCommand;
import io.multiuser.server.session.SessionListener;
import io.multiuser.server.testclient.ClientSockets;
import io.multiuser.server.wire.CommandCodec;

/**
 * Delayed commands on real sockets: a client's commands queued while one of its delayed commands
 * is pending go out after it, in order, and once none is pending its commands go out at once
 * again. Other clients are never held. The clock is the test's, the ROUTER and DEALERs are
 * JeroMQ's on loopback.
 */
class SocketOutboxTest {

    private static final ClientId ALICE = ClientId.of("alice-0123456789".getBytes(StandardCharsets.US_ASCII));
    private static final ClientId BOB = ClientId.of("bob-012345678901".getBytes(StandardCharsets.US_ASCII));

    private static final String MARKER = "end of what the outbox sent";

    private final AtomicLong clock = new AtomicLong(1_000);
    private ZContext context;
    private ZMQ.Socket router;
    private ZMQ.Socket alice;
    private ZMQ.Socket bob;
    private SocketOutbox outbox;

    @BeforeEach
    void connect() {
        context = new ZContext(1);
        router = context.createSocket(SocketType.ROUTER);
        router.setRouterMandatory(true);
        int port = router.bindToRandomPort("tcp://127.0.0.1");
        alice = dealer(ALICE, port);
        bob = dealer(BOB, port);
        // The ROUTER knows a peer once it has read from it.
        router.setReceiveTimeOut(5_000);
        for (int i = 0; i < 2; i++) {
            assertThat(ZMsg.recvMsg(router)).as("hello %d", i).isNotNull();
        }
        RouterQueues queues = new RouterQueues(router, 1 << 20);
        outbox = new SocketOutbox(new V01Dialect(1 << 20), queues, queues, router, clock::get, SessionListener.NONE);
    }

    private ZMQ.Socket dealer(ClientId id, int port) {
        ZMQ.Socket socket = ClientSockets.create(context, SocketType.DEALER); // JeroMQ's rare stalled handshake
        socket.setIdentity(id.bytes());
        socket.setReceiveTimeOut(5_000); // a missing marker fails the test instead of hanging it
        socket.connect("tcp://127.0.0.1:" + port);
        socket.send("hello");
        return socket;
    }

    @AfterEach
    void close() {
        context.close();
    }

    @Test
    void commandsQueuedBehindADelayedOneFollowItInOrderAndOthersAreNotHeld() {
        ServerCommand first = new ServerCommand.UploadReply("ACCEPTED");
        ServerCommand second = new ServerCommand.AuthReply("second");
        outbox.sendAfter(ALICE, first, 50);
        outbox.send(Set.of(ALICE, BOB), second);

        assertThat(received(bob)).containsExactly(frames(second));
        assertThat(received(alice)).isEmpty();
        assertThat(outbox.nextDueInMillis()).isEqualTo(50);

        clock.addAndGet(49);
        outbox.sendDue();
        assertThat(received(alice)).as("not due yet").isEmpty();

        clock.addAndGet(1);
        outbox.sendDue();
        assertThat(received(alice)).containsExactly(frames(first), frames(second));
        assertThat(outbox.nextDueInMillis()).isEqualTo(-1);

        ServerCommand third = new ServerCommand.AuthReply("third");
        outbox.send(Set.of(ALICE), third);
        assertThat(received(alice)).as("sent at once, nothing held any more").containsExactly(frames(third));
    }

    @Test
    void aClientStaysHeldUntilItsLastDelayedCommandIsSent() {
        ServerCommand a = new ServerCommand.AuthReply("a");
        ServerCommand b = new ServerCommand.AuthReply("b");
        ServerCommand c = new ServerCommand.AuthReply("c");
        ServerCommand d = new ServerCommand.AuthReply("d");
        ServerCommand soon = new ServerCommand.AuthReply("soon");
        outbox.sendAfter(ALICE, a, 50);
        outbox.send(Set.of(ALICE), b);
        outbox.sendAfter(ALICE, c, 100);
        // Due earlier than what is held, but sent after it: a client's commands keep their order.
        outbox.sendAfter(ALICE, soon, 10);

        clock.addAndGet(60);
        outbox.sendDue();
        assertThat(received(alice)).containsExactly(frames(a), frames(b));

        outbox.send(Set.of(ALICE), d);
        assertThat(received(alice)).as("c and soon still pending").isEmpty();

        clock.addAndGet(40);
        outbox.sendDue();
        assertThat(received(alice)).containsExactly(frames(c), frames(soon), frames(d));
        assertThat(outbox.nextDueInMillis()).isEqualTo(-1);
    }

    private static List<String> frames(ServerCommand command) {
        List<String> out = new ArrayList<>();
        for (byte[] frame : CommandCodec.encode(command)) {
            out.add(new String(frame, StandardCharsets.ISO_8859_1));
        }
        return out;
    }

    /**
     * What the outbox has sent {@code client} so far, each message as its frames. A marker sent
     * through the same ROUTER after the outbox's calls arrives behind everything they sent (one
     * pipe per peer keeps order), so reading up to it is exact without waiting for strays.
     */
    private List<List<String>> received(ZMQ.Socket client) {
        byte[] identity = client.getIdentity();
        assertThat(router.sendMore(identity) && router.send(MARKER)).as("marker sent").isTrue();
        List<List<String>> messages = new ArrayList<>();
        while (true) {
            ZMsg msg = ZMsg.recvMsg(client);
            assertThat(msg).as("the marker arrives").isNotNull();
            List<String> frames = new ArrayList<>();
            msg.forEach(f -> frames.add(new String(f.getData(), StandardCharsets.ISO_8859_1)));
            if (frames.equals(List.of(MARKER))) {
                return messages;
            }
            messages.add(frames);
        }
    }
}
