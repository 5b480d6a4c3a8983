package io.multiuser.server.observability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.function.Predicate;

import jakarta.inject.Inject;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.zeromq.SocketType;
import org.zeromq.ZContext;
import org.zeromq.ZMQ;

import io.multiuser.server.FreshSession;
import io.multiuser.server.SessionServer;
import io.multiuser.server.protocol.Node;
import io.multiuser.server.testclient.ClientSockets;
import io.multiuser.server.testclient.Nodes;
import io.multiuser.server.testclient.TestClient;
import io.quarkus.test.junit.QuarkusTest;

/** Every metric family moves with real protocol traffic, read back from /q/metrics. */
@QuarkusTest
class MetricsTest {

    private static final String PASSWORD = "quarkus-test-password";

    @Inject
    SessionServer server;
    int port;

    @BeforeEach
    void freshSession() {
        FreshSession.restart(server);
        port = server.engine().basePort();
    }

    private static void eventually(Predicate<Scrape> condition) {
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100))
                .until(() -> condition.test(Scrape.now()));
    }

    @Test
    void loginsSnapshotsDatablocksAndUsersAreCounted() {
        Scrape before = Scrape.now();
        List<Node> scene = Nodes.scene(5, 1000, 60);
        try (TestClient admin = new TestClient(port, "m-admin"); TestClient bob = new TestClient(port, "m-bob")) {
            assertThat(admin.loginAsAdmin("nope")).startsWith("FAILED");
            assertThat(admin.loginAsAdmin(PASSWORD)).isEqualTo("LOBBY");
            admin.upload(scene);
            assertThat(bob.loginAsClient()).isEqualTo("RUNNING");
            bob.join();
            eventually(s -> s.get("multiuser_users{status=\"active\"}") == 2);
            Node edit = Nodes.edited(scene.get(0), new byte[100]);
            admin.push(edit);
            bob.awaitBlock(b -> b.uuid().equals(edit.uuid()), Duration.ofSeconds(10));

            Scrape after = Scrape.now();
            assertThat(after.since(before, "multiuser_logins_total{result=\"wrong_password\"}")).isEqualTo(1);
            assertThat(after.since(before, "multiuser_logins_total{result=\"accepted\"}")).isEqualTo(2);
            assertThat(after.since(before, "multiuser_commands_received_total{type=\"RepAuthCommand\"}")).isEqualTo(3);
            assertThat(after.since(before, "multiuser_commands_received_total{type=\"RepServerSnapshotCommand\"}"))
                    .isEqualTo(7); // INIT, 5 x SET, END
            assertThat(after.since(before, "multiuser_snapshot_duration_seconds_count{direction=\"upload\"}")).isEqualTo(1);
            assertThat(after.since(before, "multiuser_snapshot_nodes_total{direction=\"upload\"}")).isEqualTo(5);
            assertThat(after.since(before, "multiuser_snapshot_bytes_total{direction=\"upload\"}")).isEqualTo(5000);
            assertThat(after.since(before, "multiuser_snapshot_duration_seconds_count{direction=\"download\"}"))
                    .isEqualTo(1);
            assertThat(after.since(before, "multiuser_snapshot_nodes_total{direction=\"download\"}")).isEqualTo(5);
            assertThat(after.since(before, "multiuser_snapshot_bytes_total{direction=\"download\"}")).isEqualTo(5000);
            // counted as the nodes go out, not only at the end: a long join moves the throughput panel
            assertThat(after.since(before, "multiuser_snapshot_download_sent_nodes_total")).isEqualTo(5);
            assertThat(after.since(before, "multiuser_snapshot_download_sent_bytes_total")).isEqualTo(5000);
            assertThat(after.get("multiuser_snapshot_downloads_active")).isEqualTo(0);
            assertThat(after.since(before, "multiuser_datablocks_received_total")).isEqualTo(1);
            assertThat(after.since(before, "multiuser_datablocks_received_bytes_total")).isEqualTo(100);
            assertThat(after.since(before, "multiuser_datablocks_forwarded_total")).isEqualTo(1);
            assertThat(after.since(before, "multiuser_datablocks_forwarded_bytes_total")).isEqualTo(100);
            // Gauges come from the engine's stats, published a few times a second.
            eventually(s -> s.get("multiuser_session_nodes") == 5
                    && s.get("multiuser_session_payload_bytes") == 4100); // 4 x 1000 + the 100-byte edit
            assertThat(after.get("multiuser_session_state{state=\"active\"}")).isEqualTo(1);
            assertThat(after.get("multiuser_engine_running")).isEqualTo(1);
            assertThat(after.get("multiuser_engine_loop_age_seconds")).isLessThan(1);
        }
    }

    @Test
    void bigPayloadsOfAnUploadAreCountedInTheSpillFile() {
        assertThat(Scrape.now().get("multiuser_session_spill_file_bytes")).isZero(); // a fresh session
        List<Node> scene = Nodes.scene(3, 40_000, 61); // over the default threshold of 32 KiB
        try (TestClient admin = new TestClient(port, "s-admin")) {
            assertThat(admin.loginAsAdmin(PASSWORD)).isEqualTo("LOBBY");
            admin.upload(scene);
            eventually(s -> s.get("multiuser_session_spill_file_bytes") == 120_000
                    && s.get("multiuser_session_payload_bytes") == 120_000);
        }
    }

    @Test
    void heartbeatsKicksAndTimeoutsAreCounted() {
        Scrape before = Scrape.now();
        try (TestClient admin = new TestClient(port, "h-admin"); TestClient bob = new TestClient(port, "h-bob");
                TestClient carol = new TestClient(port, "h-carol")) {
            admin.loginAsAdmin(PASSWORD);
            bob.loginAsClient();
            carol.loginAsClient();
            eventually(s -> s.since(before, "multiuser_heartbeat_pongs_received_total") >= 3
                    && s.since(before, "multiuser_heartbeat_rtt_seconds_count") >= 3
                    && s.get("multiuser_users{status=\"lobby\"}") == 3);

            admin.send("h-admin", "RepKickCommand", TestClient.map("user", "h-bob"));
            bob.await("RepDisconnectCommand");
            carol.answerPings(false); // test profile timeout: 3 s
            eventually(s -> s.since(before, "multiuser_departures_total{reason=\"kicked\"}") == 1
                    && s.since(before, "multiuser_departures_total{reason=\"heartbeat_timeout\"}") == 1
                    && s.get("multiuser_users{status=\"lobby\"}") == 1);
            assertThat(Scrape.now().since(before, "multiuser_heartbeat_pings_sent_total")).isGreaterThanOrEqualTo(3);
        }
    }

    @Test
    void droppedMessagesAreCountedByReason() {
        Scrape before = Scrape.now();
        try (ZContext ctx = new ZContext(1); TestClient stranger = new TestClient(port, "d-stranger")) {
            ZMQ.Socket raw = ClientSockets.create(ctx, SocketType.DEALER);
            raw.connect("tcp://127.0.0.1:" + port);
            raw.send("just one frame");
            raw.sendMore("x");
            raw.sendMore("RepAuthCommand");
            raw.send("not a pickle");
            stranger.send("d-stranger", "RepDeleteCommand", "some-uuid"); // not logged in
            eventually(s -> s.since(before, "multiuser_messages_dropped_total{reason=\"malformed\"}") == 2
                    && s.since(before, "multiuser_messages_dropped_total{reason=\"unauthenticated\"}") == 1);
        }
    }
}
