package io.multiuser.server.engine;

import static io.multiuser.server.testclient.TestClient.map;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import org.junit.jupiter.api.Test;

import io.multiuser.server.protocol.Node;
import io.multiuser.server.session.SessionListener;
import io.multiuser.server.testclient.Nodes;
import io.multiuser.server.testclient.TestClient;
import io.multiuser.server.testclient.TestClient.Received;

/** Logins refused, kicks and heartbeat timeouts over real sockets. */
class MembershipTest extends EngineTestBase {

    /** Short, so that the timeout tests run fast; they measure against it. */
    static final long TIMEOUT_MILLIS = 2000;

    @Override
    long heartbeatTimeoutMillis() {
        return TIMEOUT_MILLIS;
    }

    @Test
    void wrongAdminPasswordIsRefusedWithTheOriginalText() {
        TestClient mallory = client("mallory");
        assertThat(mallory.loginAsAdmin("guess")).isEqualTo("FAILED: wrong password");
        assertThat(online("mallory")).isFalse();
        // A refused identity is not registered: it may try again.
        assertThat(mallory.loginAsAdmin(PASSWORD)).isEqualTo("LOBBY");
    }

    @Test
    void duplicateNameIsRefusedWithTheOriginalText() {
        client("alice").loginAsClient();
        assertThat(client("alice").loginAsClient()).isEqualTo("FAILED: client already logged in");
        assertThat(session(s -> s.users()).size()).isEqualTo(1);
    }

    @Test
    void versionPolicyRefusesOtherVersionsWithTheOriginalText() {
        engine.close();
        engine = startEngine(List.of("0.1.25"));
        assertThat(client("old").login(false, null, "0.0.1-forged"))
                .isEqualTo("FAILED: wrong client version (0.0.1-forged != 0.1.25)");
        assertThat(client("current").login(false, null, "0.1.25")).isEqualTo("LOBBY");
    }

    @Test
    void anyVersionIsAcceptedByDefault() {
        assertThat(client("bob").login(false, null, "9.9.9")).isEqualTo("LOBBY");
    }

    @Test
    void adminKickDisconnectsTheTargetAndReleasesItsNodes() {
        List<Node> scene = Nodes.scene(4, 64, 20);
        TestClient alice = host("alice", scene);
        TestClient bob = joiner("bob");
        String uuid = scene.get(2).uuid();
        bob.send("bob", "RepRightCommand", map("uuid", uuid, "owner", "bob"));
        alice.await("RepRightCommand", r -> ((Map<?, ?>) r.data()).get("owner").equals("bob"), WAIT);

        alice.send("alice", "RepKickCommand", map("user", "bob"));

        Received disconnect = bob.await("RepDisconnectCommand");
        assertThat(disconnect.owner()).isEqualTo("server");
        assertThat(disconnect.data()).isEqualTo(Map.of("reason", "kicked by admin"));
        Received released = alice.await("RepRightCommand", r -> r.owner().equals("server"), WAIT);
        assertThat(released.data()).isEqualTo(Map.of("uuid", uuid, "owner", Node.COMMON));
        alice.await("RepUpdateClientsState", r -> !((Map<?, ?>) r.data()).containsKey("bob"), WAIT);
        assertThat(node(uuid).owner()).isEqualTo(Node.COMMON);
        assertThat(online("bob")).isFalse();
    }

    @Test
    void kickFromANonAdminIsRefused() {
        TestClient alice = host("alice", Nodes.scene(2, 64, 21));
        TestClient bob = joiner("bob");

        bob.send("bob", "RepKickCommand", map("user", "alice"));

        assertThat(alice.receivesNo("RepDisconnectCommand", 500)).isTrue();
        assertThat(online("alice")).isTrue();
        assertThat(online("bob")).isTrue();
    }

    @Test
    void kickOfAnUnknownUserChangesNothing() {
        TestClient alice = client("alice");
        alice.loginAsAdmin(PASSWORD);
        alice.send("alice", "RepKickCommand", map("user", "nobody"));
        alice.drain(200);
        assertThat(online("alice")).isTrue();
    }

    @Test
    void clientThatStopsAnsweringPingsIsDroppedBetweenTimeoutAndTimeoutPlusOneSecond() {
        TestClient alice = client("alice");
        alice.loginAsAdmin(PASSWORD);
        TestClient bob = client("bob");
        bob.loginAsClient();
        // Wait for a measured round trip, so bob's heartbeat is known to work before it stops.
        alice.await("RepUpdateClientsState", r -> {
            Map<String, Object> b = SessionFlowTest.entry(r, "bob");
            return b != null && (int) b.get("latency") < 999;
        }, WAIT);

        bob.answerPings(false);
        int pingsBefore = bob.pingsReceived();
        await().atMost(Duration.ofMillis(TIMEOUT_MILLIS + 3000)).pollInterval(Duration.ofMillis(20))
                .until(() -> !online("bob"));
        // Silence counts from bob's last answer; 200 ms of slack for this poll and a busy machine.
        long silence = (System.nanoTime() - bob.lastPongNanos()) / 1_000_000;
        assertThat(silence).isBetween(TIMEOUT_MILLIS, TIMEOUT_MILLIS + 1000 + 200);
        assertThat(bob.pingsReceived()).as("the server keeps pinging a silent client").isGreaterThan(pingsBefore);
        alice.await("RepUpdateClientsState", r -> !((Map<?, ?>) r.data()).containsKey("bob"), WAIT);
        assertThat(online("alice")).isTrue();
    }

    @Test
    void anEngineStandstillLongerThanTheTimeoutDropsNobodyWhoAnswersAndNothingSentMeanwhileIsLost() throws Exception {
        List<Long> standstills = new CopyOnWriteArrayList<>();
        engine.close();
        engine = startEngine(List.of(), new SessionListener() {
            @Override
            public void engineStoodStill(long millis) {
                standstills.add(millis);
            }
        });
        List<Node> scene = Nodes.scene(2, 64, 22);
        TestClient alice = host("alice", scene);
        TestClient bob = joiner("bob");
        TestClient carol = joiner("carol");
        alice.await("RepUpdateClientsState", r -> {
            Map<String, Object> c = SessionFlowTest.entry(r, "carol");
            return c != null && (int) c.get("latency") < 999;
        }, WAIT);
        carol.answerPings(false);

        // The engine thread stands still for longer than the timeout, as in a paused virtual machine or
        // a blocked thread; the clients go on, and bob pushes an edit meanwhile.
        CompletableFuture<Object> standstill = engine.call(s -> {
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(TIMEOUT_MILLIS + 1500));
            return null;
        });
        Thread.sleep(300);
        byte[] payload = Nodes.payload(new Random(23), 64);
        bob.push(Nodes.edited(scene.get(0), payload));
        standstill.get(10, TimeUnit.SECONDS);
        long resumed = System.nanoTime();

        assertThat(alice.awaitBlock(b -> b.uuid().equals(scene.get(0).uuid()), WAIT).payload()).isEqualTo(payload);
        // carol, who stopped answering, still goes: after a timeout of the engine's own time
        await().atMost(Duration.ofMillis(TIMEOUT_MILLIS + 3000)).pollInterval(Duration.ofMillis(20))
                .until(() -> !online("carol"));
        assertThat((System.nanoTime() - resumed) / 1_000_000).as("carol dropped after the standstill, not at its end")
                .isGreaterThan(500);
        Thread.sleep(TIMEOUT_MILLIS);
        assertThat(online("alice")).isTrue();
        assertThat(online("bob")).isTrue();
        assertThat(standstills).as("reported to the listener (metrics)").anyMatch(ms -> ms >= TIMEOUT_MILLIS + 1400);
    }

    @Test
    void idleClientsKeepReceivingPingsAndStayOnline() throws InterruptedException {
        TestClient alice = client("alice");
        alice.loginAsAdmin(PASSWORD);
        Thread.sleep(TIMEOUT_MILLIS + 1500);
        assertThat(online("alice")).isTrue();
        assertThat(alice.pingsReceived()).isGreaterThanOrEqualTo(2);
    }

    @Test
    void clientWhoseCommandConnectionIsGoneIsDroppedEvenIfItsHeartbeatAnswers() {
        TestClient alice = client("alice");
        alice.loginAsAdmin(PASSWORD);
        GhostClient ghost = new GhostClient(port, "ghost");
        try {
            ghost.loginThenCloseCommandSocket();
            await().atMost(WAIT).until(() -> online("ghost"));
            await().atMost(Duration.ofMillis(TIMEOUT_MILLIS + 3000)).until(() -> !online("ghost"));
            assertThat(ghost.pings()).isGreaterThan(0);
        } finally {
            ghost.close();
        }
    }
}
