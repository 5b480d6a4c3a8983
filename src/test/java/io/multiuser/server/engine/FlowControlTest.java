package io.multiuser.server.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;

import org.junit.jupiter.api.Test;

import io.multiuser.server.protocol.Node;
import io.multiuser.server.session.SessionSettings;
import io.multiuser.server.testclient.FreePorts;
import io.multiuser.server.testclient.Nodes;
import io.multiuser.server.testclient.TestClient;
import io.multiuser.server.testclient.TestClient.Block;

/** Heartbeats during big transfers, and what happens to a receiver that stops reading. */
class FlowControlTest extends EngineTestBase {

    @Test
    void pingsKeepFlowingWhileALargeSnapshotIsUploadedAndDownloaded() {
        TestClient watcher = client("watcher");
        watcher.loginAsClient();
        List<Node> scene = Nodes.scene(120, 1 << 20, 50); // 120 MiB
        host("alice", scene);
        TestClient bob = client("bob");
        assertThat(bob.loginAsClient()).isEqualTo("RUNNING");
        Map<String, TestClient.Block> got = bob.join();
        assertThat(got).hasSize(scene.size());
        // The payloads are views of their upload frames, and most wait in bob's backlog at some point.
        for (Node node : scene) {
            assertThat(java.util.Arrays.equals(got.get(node.uuid()).payload(), node.payload().toArray()))
                    .as("%s arrived intact", node.uuid()).isTrue();
        }
        assertThat(TestClient.catalog(watcher.await("RepSnapshotCommand"))).hasSize(scene.size());

        // About one PING a second, and never a gap near the timeout after which a client gives up.
        for (TestClient c : List.of(watcher, bob, clients.get(1))) {
            assertThat(c.maxPingGap()).as("%s: longest gap between pings", c.name)
                    .isLessThan(Duration.ofMillis(2500));
        }
        assertThat(online("watcher")).isTrue();
        assertThat(online("bob")).isTrue();
    }

    @Test
    void aReceiverThatStopsReadingIsDisconnectedWhileOthersGetEveryUpdate() throws Exception {
        engine.close();
        port = FreePorts.base();
        // Small pipes and a small backlog limit, so that the stalled client overflows quickly.
        engine = new ZmqEngine(EngineSettings.builder().basePort(port).maxMessageBytes(1 << 20)
                .sendHighWaterMark(50).maxQueuedBytesPerClient(4 << 20).unreachableTimeoutMillis(heartbeatTimeoutMillis())
                .build(),
                SessionSettings.builder().adminPassword(PASSWORD).acceptedVersions(List.of())
                        .heartbeatTimeoutMillis(10_000).presenceIntervalMillis(50).tombstoneCapacity(1000).build());
        engine.start();
        List<Node> scene = Nodes.scene(1, 64, 51);
        TestClient alice = host("alice", scene);
        TestClient stalled = joiner("stalled");
        TestClient carol = joiner("carol");
        stalled.pauseData(true);

        // Batches of 100 that carol reads before the next: her backlog stays far below the limit,
        // while the stalled client's grows with every batch.
        Random random = new Random(52);
        int batches = 30;
        int perBatch = 100;
        for (int batch = 0; batch < batches; batch++) {
            for (int i = 0; i < perBatch; i++) {
                byte[] payload = Nodes.payload(random, 16_384); // 48 MB in all: more than loopback buffers hold
                payload[0] = (byte) batch;
                payload[1] = (byte) i;
                alice.push(Nodes.edited(scene.get(0), payload));
            }
            for (int i = 0; i < perBatch; i++) {
                Block b = carol.awaitBlock(x -> true, WAIT);
                assertThat(new int[] {b.payload()[0], b.payload()[1]}).as("lost or reordered").containsExactly(batch, i);
            }
        }
        assertThat(stalled.await("RepDisconnectCommand").data())
                .isEqualTo(Map.of("reason", "connection too slow, please join again"));
        await().atMost(WAIT).until(() -> !online("stalled"));
        assertThat(online("carol")).isTrue();
    }
}
