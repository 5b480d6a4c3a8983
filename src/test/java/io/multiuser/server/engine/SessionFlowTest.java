package io.multiuser.server.engine;

import static io.multiuser.server.testclient.TestClient.map;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;

import org.junit.jupiter.api.Test;

import io.multiuser.server.protocol.Node;
import io.multiuser.server.session.SessionState;
import io.multiuser.server.testclient.Nodes;
import io.multiuser.server.testclient.TestClient;
import io.multiuser.server.testclient.TestClient.Block;
import io.multiuser.server.testclient.TestClient.Received;

/** Host, join, sync and edit over real sockets, one behaviour per test. */
class SessionFlowTest extends EngineTestBase {

    @Test
    void adminUploadMakesTheSessionActive() {
        assertThat(state()).isEqualTo(SessionState.WAITING);
        List<Node> scene = Nodes.scene(20, 2048, 1);
        host("alice", scene);

        assertThat(state()).isEqualTo(SessionState.ACTIVE);
        assertThat(nodeCount()).isEqualTo(20);
        assertThat(totalBytes()).isEqualTo(20 * 2048L);
        assertThat(client("bob").loginAsClient()).isEqualTo("RUNNING");
    }

    @Test
    void loginBroadcastsTheUserListBeforeTheReply() {
        TestClient alice = client("alice");
        assertThat(alice.loginAsAdmin(PASSWORD)).isEqualTo("LOBBY");

        List<Received> log = alice.receivedLog();
        assertThat(log).extracting(Received::type).startsWith("RepUpdateClientsState", "RepAuthCommand");
        assertThat(log.get(0).owner()).isEqualTo("server");
        assertThat(log.get(0).data()).isEqualTo(Map.of("alice",
                Map.of("id", "alice", "admin", true, "latency", 999, "status", 10, "metadata", Map.of())));
    }

    @Test
    void joinerReceivesEveryNodeByteIdenticalWithDependencies() {
        List<Node> scene = Nodes.scene(50, 4096, 2);
        host("alice", scene);
        TestClient bob = client("bob");
        assertThat(bob.loginAsClient()).isEqualTo("RUNNING");

        Map<String, Block> received = bob.join();

        assertThat(received).hasSize(scene.size());
        for (Node node : scene) {
            Block block = received.get(node.uuid());
            assertThat(block.payload()).as(node.uuid()).isEqualTo(node.payload().toArray());
            assertThat(block.dependencies()).isEqualTo(node.dependencies());
            assertThat(block.owner()).isEqualTo(Node.COMMON);
            assertThat(block.type()).isEqualTo("SynthNode");
            assertThat(block.sender()).isEqualTo("SERVER_PUSH");
        }
        bob.await("RepUpdateClientsState", r -> status(r, "bob") == 2, WAIT);
    }

    @Test
    void lobbyUsersGetTheCatalogWhenTheUploadCompletes() {
        TestClient bob = client("bob");
        assertThat(bob.loginAsClient()).isEqualTo("LOBBY");
        List<Node> scene = Nodes.scene(10, 512, 3);
        host("alice", scene);

        List<String> catalog = TestClient.catalog(bob.await("RepSnapshotCommand"));
        assertThat(catalog).containsExactlyInAnyOrderElementsOf(scene.stream().map(Node::uuid).toList());
        assertThat(bob.download(catalog)).hasSize(10);
        bob.await("RepUpdateClientsState", r -> status(r, "bob") == 2, WAIT);
    }

    @Test
    void updatesFanOutBothWaysAndAreNotEchoed() throws InterruptedException {
        List<Node> scene = Nodes.scene(5, 256, 4);
        TestClient alice = host("alice", scene);
        TestClient bob = joiner("bob");
        Random random = new Random(5);

        Node fromAlice = Nodes.edited(scene.get(0), Nodes.payload(random, 1000));
        alice.push(fromAlice);
        Block atBob = bob.awaitBlock(b -> b.uuid().equals(fromAlice.uuid()), WAIT);
        assertThat(atBob.payload()).isEqualTo(fromAlice.payload().toArray());

        Node fromBob = Nodes.edited(scene.get(1), Nodes.payload(random, 3000));
        bob.push(fromBob);
        Block atAlice = alice.awaitBlock(b -> b.uuid().equals(fromBob.uuid()), WAIT);
        assertThat(atAlice.payload()).isEqualTo(fromBob.payload().toArray());

        assertThat(alice.pollBlock(Duration.ofMillis(300))).as("alice's own update echoed").isNull();
        assertThat(bob.pollBlock(Duration.ofMillis(100))).as("bob's own update echoed").isNull();
        assertThat(node(fromBob.uuid()).payload()).isEqualTo(fromBob.payload());
    }

    @Test
    void newNodesPropagateWithTheirOwner() {
        TestClient alice = host("alice", Nodes.scene(3, 128, 6));
        TestClient bob = joiner("bob");
        Node created = new Node("5a1e4d3c-0000-4000-8000-000000000001", "bob", "Object", List.of(),
                new byte[] {1, 2, 3});
        bob.push(created);

        Block atAlice = alice.awaitBlock(b -> b.uuid().equals(created.uuid()), WAIT);
        assertThat(atAlice.owner()).isEqualTo("bob");
        assertThat(atAlice.payload()).containsExactly(1, 2, 3);
        assertThat(node(created.uuid()).owner()).isEqualTo("bob");
    }

    @Test
    void ownerChangePropagatesAndLocksOthersOut() throws InterruptedException {
        List<Node> scene = Nodes.scene(3, 128, 7);
        TestClient alice = host("alice", scene);
        TestClient bob = joiner("bob");
        String uuid = scene.get(0).uuid();

        bob.send("bob", "RepRightCommand", map("uuid", uuid, "owner", "bob"));
        Received right = alice.await("RepRightCommand");
        assertThat(right.owner()).isEqualTo("bob");
        assertThat(right.data()).isEqualTo(Map.of("uuid", uuid, "owner", "bob"));
        assertThat(node(uuid).owner()).isEqualTo("bob");

        // alice (not the owner, node not COMMON) may not overwrite bob's node.
        alice.push(Nodes.edited(scene.get(0), new byte[] {9}));
        assertThat(bob.pollBlock(Duration.ofMillis(400))).isNull();
        assertThat(node(uuid).payload()).isEqualTo(scene.get(0).payload());
    }

    @Test
    void deletePropagatesAndLateDatablocksCannotResurrectTheNode() throws InterruptedException {
        List<Node> scene = Nodes.scene(3, 128, 8);
        TestClient alice = host("alice", scene);
        TestClient bob = joiner("bob");
        String uuid = scene.get(1).uuid();

        bob.send("client", "RepDeleteCommand", uuid);
        Received delete = alice.await("RepDeleteCommand");
        assertThat(delete.owner()).isEqualTo("client");
        assertThat(delete.data()).isEqualTo(uuid);
        await().atMost(WAIT).until(() -> node(uuid) == null);

        bob.push(scene.get(1)); // a last edit that travelled on the data stream after the delete
        assertThat(alice.pollBlock(Duration.ofMillis(400))).isNull();
        assertThat(node(uuid)).isNull();
    }

    @Test
    void deletingEveryNodeSendsTheSessionBackToWaiting() {
        List<Node> scene = Nodes.scene(2, 64, 9);
        TestClient alice = host("alice", scene);
        for (Node node : scene) {
            alice.send("client", "RepDeleteCommand", node.uuid());
        }
        await().atMost(WAIT).until(() -> state() == SessionState.WAITING);
        // A RUNNING reply with an empty catalog would crash the real client: LOBBY instead.
        assertThat(client("bob").loginAsClient()).isEqualTo("LOBBY");
    }

    @Test
    void metadataAndLatencyAppearInTheClientsStateBroadcast() {
        TestClient alice = client("alice");
        alice.loginAsAdmin(PASSWORD);
        TestClient bob = client("bob");
        bob.loginAsClient();
        alice.send("alice", "RepUpdateUserMetadata", map("frame_current", 42, "scene_current", "Scene",
                "color", new Object[] {1.0, 0.5, 0.25, 1}, "selected_objects", List.of("Cube")));

        Received state = bob.await("RepUpdateClientsState", r -> {
            Map<String, Object> a = entry(r, "alice");
            return a != null && ((Map<?, ?>) a.get("metadata")).containsKey("frame_current")
                    && (int) a.get("latency") < 999;
        }, WAIT);
        Map<String, Object> a = entry(state, "alice");
        Map<?, ?> metadata = (Map<?, ?>) a.get("metadata");
        assertThat(metadata.get("frame_current")).isEqualTo(42);
        assertThat(metadata.get("scene_current")).isEqualTo("Scene");
        assertThat((Object[]) metadata.get("color")).containsExactly(1.0, 0.5, 0.25, 1);
        assertThat((int) a.get("latency")).isBetween(0, 500);
    }

    @Test
    void lateJoinerSeesTheLatestState() {
        List<Node> scene = Nodes.scene(30, 512, 10);
        TestClient alice = host("alice", scene);
        TestClient bob = joiner("bob");
        Random random = new Random(11);
        Node edited = Nodes.edited(scene.get(3), Nodes.payload(random, 700));
        bob.push(edited);
        bob.send("bob", "RepRightCommand", map("uuid", scene.get(4).uuid(), "owner", "bob"));
        bob.send("client", "RepDeleteCommand", scene.get(5).uuid());
        alice.awaitBlock(b -> b.uuid().equals(edited.uuid()), WAIT);
        alice.await("RepDeleteCommand");

        TestClient late = client("carol");
        assertThat(late.loginAsClient()).isEqualTo("RUNNING");
        Map<String, Block> got = late.join();
        assertThat(got).hasSize(29).doesNotContainKey(scene.get(5).uuid());
        assertThat(got.get(edited.uuid()).payload()).isEqualTo(edited.payload().toArray());
        assertThat(got.get(scene.get(4).uuid()).owner()).isEqualTo("bob");
    }

    @Test
    void aStreamedJoinDeliversEveryNodeOnceWhileOthersKeepEditing() throws InterruptedException {
        List<Node> scene = Nodes.scene(400, 2048, 12);
        TestClient alice = host("alice", scene);
        TestClient bob = client("bob");
        assertThat(bob.loginAsClient()).isEqualTo("RUNNING");
        bob.send("bob", "RepSnapshotCommand", map("STATE", "REQUEST_INIT"));
        List<String> catalog = TestClient.catalog(bob.await("RepSnapshotCommand"));
        Random random = new Random(13);
        Node edited = Nodes.edited(scene.get(0), Nodes.payload(random, 300));
        alice.push(edited); // an edit of a node the joiner has not received yet
        alice.send("client", "RepDeleteCommand", scene.get(1).uuid()); // and a delete

        Map<String, Block> got = bob.download(catalog);

        assertThat(got.keySet()).containsExactlyInAnyOrderElementsOf(catalog);
        assertThat(got.get(scene.get(1).uuid()).payload()).isEqualTo(scene.get(1).payload().toArray());
        // Whatever else came: the live update of node 0 (maybe twice: forwarded and streamed), never more.
        int extra = 0;
        Block more;
        while ((more = bob.pollBlock(Duration.ofMillis(300))) != null) {
            assertThat(more.uuid()).isEqualTo(edited.uuid());
            assertThat(more.payload()).isEqualTo(edited.payload().toArray());
            extra++;
        }
        assertThat(extra).isLessThanOrEqualTo(1);
        assertThat(bob.await("RepDeleteCommand").data()).isEqualTo(scene.get(1).uuid()); // after DONE
    }

    static Map<String, Object> entry(Received clientsState, String user) {
        @SuppressWarnings("unchecked")
        Map<String, Object> all = (Map<String, Object>) clientsState.data();
        @SuppressWarnings("unchecked")
        Map<String, Object> one = (Map<String, Object>) all.get(user);
        return one;
    }

    static int status(Received clientsState, String user) {
        Map<String, Object> e = entry(clientsState, user);
        return e == null ? -1 : (int) e.get("status");
    }
}
