package io.multiuser.server.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.zeromq.SocketType;
import org.zeromq.ZContext;
import org.zeromq.ZMQ;

import io.multiuser.server.protocol.Node;
import io.multiuser.server.testclient.ClientPickler;
import io.multiuser.server.testclient.ClientSockets;
import io.multiuser.server.testclient.Nodes;
import io.multiuser.server.testclient.TestClient;

/** Garbage on each of the four ports while two users keep editing: they must not notice. */
class BadInputTest extends EngineTestBase {

    private static final byte[] NOT_A_PICKLE = "hello".getBytes(StandardCharsets.US_ASCII);
    /** CPython's pickle of os.system('ls') (GLOBAL + REDUCE): must never be executed or even built. */
    private static final byte[] EVIL_PICKLE = {(byte) 0x80, 2, 'c', 'o', 's', '\n', 's', 'y', 's', 't', 'e', 'm', '\n',
        'X', 2, 0, 0, 0, 'l', 's', (byte) 0x85, 'R', '.'};
    /** BINBYTES8 announcing 2^40 bytes in a 20-byte frame. */
    private static final byte[] HUGE_CLAIM = {(byte) 0x80, 4, (byte) 0x8e, 0, 0, 0, 0, 0, 1, 0, 0, 1, 2, 3, '.'};

    @Test
    void garbageOnEveryPortLeavesTheSessionAndOtherClientsUnaffected() throws Exception {
        List<Node> scene = Nodes.scene(6, 256, 40);
        TestClient alice = host("alice", scene);
        TestClient bob = joiner("bob");
        String victim = scene.get(5).uuid();

        CompletableFuture<Void> attack = CompletableFuture.runAsync(() -> attack(victim));
        Random random = new Random(41);
        int rounds = 0;
        while (!attack.isDone() || rounds < 20) {
            Node a = Nodes.edited(scene.get(rounds % 2), Nodes.payload(random, 500));
            alice.push(a);
            assertThat(bob.awaitBlock(b -> b.uuid().equals(a.uuid()), WAIT).payload()).isEqualTo(a.payload().toArray());
            Node b = Nodes.edited(scene.get(2 + rounds % 2), Nodes.payload(random, 700));
            bob.push(b);
            assertThat(alice.awaitBlock(x -> x.uuid().equals(b.uuid()), WAIT).payload()).isEqualTo(b.payload().toArray());
            rounds++;
        }
        attack.get(30, TimeUnit.SECONDS);

        assertThat(engine.isRunning()).isTrue();
        assertThat(online("alice")).isTrue();
        assertThat(online("bob")).isTrue();
        assertThat(node(victim)).as("a stranger's delete was applied").isNotNull();
        assertThat(node("f00dbeef-0000-4000-8000-000000000000")).as("a stranger's datablock was stored").isNull();
        assertThat(nodeCount()).isEqualTo(6);
        assertThat(client("carol").loginAsClient()).isEqualTo("RUNNING");
    }

    /** Sends every kind of bad input we can think of, on all four ports, a few times over. */
    private void attack(String victim) {
        try (ZContext ctx = new ZContext(1)) {
            ZMQ.Socket commands = socket(ctx, SocketType.DEALER, 0, "attacker-cmd-1234".getBytes());
            ZMQ.Socket dataOut = socket(ctx, SocketType.DEALER, 1, null);
            ZMQ.Socket dataIn = socket(ctx, SocketType.PUSH, 2, null);
            ZMQ.Socket heartbeat = socket(ctx, SocketType.DEALER, 3, null);
            byte[] strangerId = new byte[16];
            for (int round = 0; round < 5; round++) {
                // Port P: wrong frame counts, bad pickles, unknown types, a stranger's commands.
                send(commands, "x".getBytes());
                send(commands, "a".getBytes(), "b".getBytes(), "c".getBytes(), "d".getBytes(), "e".getBytes());
                send(commands, bytes("x"), bytes("RepAuthCommand"), NOT_A_PICKLE);
                send(commands, bytes("x"), bytes("RepAuthCommand"), EVIL_PICKLE);
                send(commands, bytes("x"), bytes("RepAuthCommand"), HUGE_CLAIM);
                send(commands, bytes("x"), bytes("RepAuthCommand"), ClientPickler.dumps(List.of(1, 2)));
                send(commands, bytes("x"), bytes("RepNoSuchCommand"), ClientPickler.dumps("x"));
                send(commands, bytes("x"), bytes("RepDeleteCommand"), ClientPickler.dumps(victim));
                send(commands, bytes("x"), bytes("RepSnapshotCommand"),
                        ClientPickler.dumps(TestClient.map("STATE", "GET", "ID", victim)));
                send(commands, new byte[0], new byte[0], new byte[0]);
                // Port P+1: clients only read there.
                send(dataOut, bytes("garbage"), bytes("more"));
                // Port P+2: wrong frame counts, stray chunks, bad headers, a stranger's datablock.
                send(dataIn, bytes("one"), bytes("two"));
                send(dataIn, bytes("stray chunk"));
                send(dataIn, strangerId, bytes("u"), bytes("COMMON"), bytes("T"), NOT_A_PICKLE, NOT_A_PICKLE);
                send(dataIn, bytes("chunk of the bad header"));
                send(dataIn, strangerId, bytes("f00dbeef-0000-4000-8000-000000000000"), bytes("COMMON"),
                        bytes("T"), ClientPickler.dumps(1), ClientPickler.dumps(null));
                send(dataIn, bytes("payload of a stranger"));
                send(dataIn, strangerId, bytes("u2"), bytes("COMMON"), bytes("T"), ClientPickler.dumps(1_000_000),
                        ClientPickler.dumps(null));
                send(dataIn, strangerId, bytes("u3"), bytes("COMMON"), bytes("T"), ClientPickler.dumps(1),
                        HUGE_CLAIM);
                send(dataIn, bytes("x"));
                // Port P+3: anything at all.
                send(heartbeat, bytes("a"), bytes("b"), bytes("c"));
                send(heartbeat, new byte[0]);
                send(heartbeat, NOT_A_PICKLE);
                send(heartbeat, bytes("INIT"));
            }
            try {
                Thread.sleep(300); // let the server read it all before the sockets close
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private ZMQ.Socket socket(ZContext ctx, SocketType type, int offset, byte[] identity) {
        ZMQ.Socket s = ClientSockets.create(ctx, type);
        if (identity != null) {
            s.setIdentity(identity);
        }
        s.setLinger(1000);
        s.setSendTimeOut(2000);
        s.connect("tcp://127.0.0.1:" + (port + offset));
        return s;
    }

    private static void send(ZMQ.Socket socket, byte[]... frames) {
        for (int i = 0; i < frames.length; i++) {
            socket.send(frames[i], i < frames.length - 1 ? ZMQ.SNDMORE : 0);
        }
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void aPickleThatInstantiatesAClassIsRejectedNotExecuted() {
        TestClient alice = client("alice");
        alice.sendRaw(bytes("alice"), bytes("RepAuthCommand"), EVIL_PICKLE);
        assertThat(alice.receivesNo("RepAuthCommand", 300)).isTrue();
        assertThat(alice.loginAsAdmin(PASSWORD)).isEqualTo("LOBBY");
    }

    @Test
    void datablocksFromIdentitiesThatAreNotLoggedInAreNotStored() throws InterruptedException {
        List<Node> scene = Nodes.scene(2, 64, 42);
        TestClient alice = host("alice", scene);
        TestClient stranger = client("stranger"); // connected but never logged in
        stranger.push(Nodes.edited(scene.get(0), new byte[] {6, 6, 6}));
        assertThat(alice.pollBlock(Duration.ofMillis(400))).isNull();
        assertThat(node(scene.get(0).uuid()).payload()).isEqualTo(scene.get(0).payload());
    }
}
