package io.multiuser.server.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.multiuser.server.memory.HeapPacer;
import io.multiuser.server.memory.PayloadSpill;
import io.multiuser.server.memory.PayloadStash;
import io.multiuser.server.memory.SpillSettings;
import io.multiuser.server.persistence.SessionStore;
import io.multiuser.server.persistence.StoreListener;
import io.multiuser.server.persistence.StoreSettings;
import io.multiuser.server.protocol.DeltaMerger;
import io.multiuser.server.protocol.Node;
import io.multiuser.server.session.Scene;
import io.multiuser.server.session.SessionJournal;
import io.multiuser.server.session.SessionListener;
import io.multiuser.server.session.SessionSettings;
import io.multiuser.server.session.SessionState;
import io.multiuser.server.testclient.FreePorts;
import io.multiuser.server.testclient.Nodes;
import io.multiuser.server.testclient.TestClient;
import io.multiuser.server.testclient.TestClient.Block;

/** An engine whose big payloads leave the heap: uploads, joins and edits over real sockets are byte for byte the same. */
class PayloadSpillFlowTest extends EngineTestBase {

    private static final int THRESHOLD = 4096;

    @TempDir
    Path spillDirectory;

    @Override
    ZmqEngine startEngine(List<String> acceptedVersions) {
        port = FreePorts.base();
        ZmqEngine e = new ZmqEngine(
                EngineSettings.builder().basePort(port).unreachableTimeoutMillis(heartbeatTimeoutMillis())
                        .spill(new SpillSettings(THRESHOLD, spillDirectory)).build(),
                SessionSettings.builder().adminPassword(PASSWORD).heartbeatTimeoutMillis(heartbeatTimeoutMillis())
                        .presenceIntervalMillis(50).build());
        e.start();
        return e;
    }

    private static List<Node> mixedScene() {
        List<Node> scene = new ArrayList<>(Nodes.scene(30, 3 * THRESHOLD, 5));
        scene.addAll(Nodes.scene(10, 100, 6)); // under the threshold: they stay on the heap
        return scene;
    }

    @Test
    void anUploadedSceneIsKeptInAFileAndJoinsByteIdentical() throws IOException {
        List<Node> scene = mixedScene();
        host("alice", scene);

        for (Node node : scene) {
            boolean big = node.payload().length() >= THRESHOLD;
            assertThat(node(node.uuid()).payload().inMemory()).as(node.uuid()).isEqualTo(!big);
        }
        try (Stream<Path> files = Files.list(spillDirectory)) {
            assertThat(files).as("spill files are unlinked once open").isEmpty();
        }
        joinsByteIdentical("bob", scene);
    }

    /** A client that logs in and joins gets every node of {@code scene} byte for byte. */
    private void joinsByteIdentical(String name, List<Node> scene) {
        TestClient joiner = client(name);
        assertThat(joiner.loginAsClient()).isEqualTo("RUNNING");
        Map<String, Block> received = joiner.join();
        assertThat(received).hasSize(scene.size());
        for (Node node : scene) {
            assertThat(received.get(node.uuid()).payload()).as(node.uuid()).isEqualTo(node.payload().toArray());
        }
    }

    @Test
    void aLiveEditFansOutAtOnceAndLeavesTheHeapOnceItHasSettled() {
        List<Node> scene = mixedScene();
        TestClient alice = host("alice", scene);
        TestClient bob = joiner("bob");
        Node edited = Nodes.edited(scene.get(0), Nodes.payload(new Random(8), 5 * THRESHOLD));

        long pushed = System.nanoTime();
        bob.push(edited);
        Block got = alice.awaitBlock(b -> b.uuid().equals(edited.uuid()), WAIT);
        assertThat(got.payload()).isEqualTo(edited.payload().toArray());
        boolean onHeap = node(edited.uuid()).payload().inMemory();
        // a slow host may have let it settle already; written before that, it went too early
        assertThat(onHeap || TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - pushed) >= PayloadSpill.SETTLE_MILLIS)
                .as("a fresh edit stays on the heap until it has settled").isTrue();

        Awaitility.await().atMost(WAIT).until(() -> !node(edited.uuid()).payload().inMemory());
        TestClient late = client("carol");
        assertThat(late.loginAsClient()).isEqualTo("RUNNING");
        assertThat(late.join().get(edited.uuid()).payload()).isEqualTo(edited.payload().toArray());
    }

    @Test
    void aRestoredSceneLeavesTheHeapOnceItHasSettled() {
        List<Node> scene = mixedScene();
        ZmqEngine restored = new ZmqEngine(
                EngineSettings.builder().basePort(FreePorts.base()).spill(new SpillSettings(THRESHOLD, spillDirectory))
                        .build(),
                SessionSettings.builder().adminPassword(PASSWORD).build(), SessionListener.NONE, SessionJournal.NONE,
                Scene.of(scene));
        restored.start();
        try {
            Awaitility.await().atMost(WAIT).until(() -> restored.call(s -> s.graph().nodes().stream()
                    .filter(n -> !n.payload().inMemory()).count()).get() == 30);
            assertThat(restored.call(s -> s.graph().get(scene.get(0).uuid()).payload().toArray()).join())
                    .isEqualTo(Nodes.scene(30, 3 * THRESHOLD, 5).get(0).payload().toArray());
        } finally {
            restored.close();
        }
    }

    @Test
    void aSceneRestoredFromTheStoreStaysInItsSpillFileAndJoinsByteIdentical(@TempDir Path storeDirectory) {
        List<Node> scene = mixedScene();
        StoreSettings storeSettings = new StoreSettings(storeDirectory, 0, Long.MAX_VALUE);
        SessionStore first = SessionStore.open(storeSettings, StoreListener.NONE);
        scene.forEach(first::put);
        first.stateChanged(SessionState.ACTIVE);
        first.close();
        engine.close();

        SessionStore store = SessionStore.open(storeSettings, StoreListener.NONE, DeltaMerger.NONE,
                new PayloadStash(new SpillSettings(THRESHOLD, spillDirectory), HeapPacer.shared()));
        try {
            assertThat(store.restored().nodes()).filteredOn(n -> n.payload().length() >= THRESHOLD).hasSize(30)
                    .allSatisfy(n -> assertThat(n.payload().inMemory()).as("never on the heap").isFalse());
            port = FreePorts.base();
            engine = new ZmqEngine(EngineSettings.builder().basePort(port).spill(new SpillSettings(THRESHOLD,
                    spillDirectory)).build(), SessionSettings.builder().adminPassword(PASSWORD).build(),
                    SessionListener.NONE, store, store.restored());
            engine.start();
            Awaitility.await().atMost(WAIT).until(() -> engine.stats().spillFileBytes() == 30L * 3 * THRESHOLD);
            joinsByteIdentical("bob", scene);
        } finally {
            engine.close();
            engine = null;
            store.close();
        }
    }
}
