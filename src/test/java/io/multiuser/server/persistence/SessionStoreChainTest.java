package io.multiuser.server.persistence;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.multiuser.server.protocol.Delta;
import io.multiuser.server.protocol.Node;
import io.multiuser.server.session.Scene;
import io.multiuser.server.session.SessionState;
import io.multiuser.server.wire.Pickles;

/**
 * Three-port delta chains in the store: journaled deltas come back after a restart, in order and
 * byte for byte; a put drops a node's chain, a delete and a clear remove it; a compaction and an
 * export keep it; and a log without chains stays in format version 1.
 */
class SessionStoreChainTest {

    @TempDir
    Path dir;
    private final List<SessionStore> open = new ArrayList<>();
    private final Random random = new Random(7);

    @AfterEach
    void closeAll() {
        open.forEach(SessionStore::close);
    }

    private SessionStore open(long flushMillis, long compactionMin, StoreListener listener) {
        SessionStore store = SessionStore.open(new StoreSettings(dir, flushMillis, compactionMin), listener);
        open.add(store);
        return store;
    }

    private SessionStore open() {
        return open(0, Long.MAX_VALUE, StoreListener.NONE);
    }

    private void close(SessionStore store) {
        open.remove(store);
        store.close();
    }

    /** A delta as comparable values (both blobs by content). */
    record FlatDelta(List<String> deps, String pickle, String blob) {
        static FlatDelta of(Delta d) {
            return new FlatDelta(d.dependencies(), Base64.getEncoder().encodeToString(d.dependenciesPickle()),
                    Base64.getEncoder().encodeToString(d.blob()));
        }
    }

    static Map<String, List<FlatDelta>> flat(Map<String, List<Delta>> chains) {
        Map<String, List<FlatDelta>> flat = new LinkedHashMap<>();
        chains.forEach((uuid, deltas) -> flat.put(uuid, deltas.stream().map(FlatDelta::of).toList()));
        return flat;
    }

    private Delta delta(List<String> deps, int bytes) {
        byte[] blob = new byte[bytes];
        random.nextBytes(blob);
        return new Delta(deps, Pickles.dumps(new ArrayList<>(deps)), blob);
    }

    private Node node(String uuid, List<String> deps, int bytes) {
        byte[] payload = new byte[bytes];
        random.nextBytes(payload);
        return new Node(uuid, Node.COMMON, "", deps, payload);
    }

    private static Node withDeps(Node node, List<String> deps) {
        return new Node(node.uuid(), node.owner(), node.type(), deps, node.payload());
    }

    // ---------------------------------------------------------------- the reference model

    /** The scene as the session sees it, by the plain rules of NodeGraph (without merging). */
    static final class Model {
        final LinkedHashMap<String, Node> nodes = new LinkedHashMap<>();
        final Map<String, List<Delta>> chains = new LinkedHashMap<>();
        SessionState state = SessionState.WAITING;

        Scene scene() {
            Map<String, List<Delta>> ordered = new LinkedHashMap<>();
            for (String uuid : nodes.keySet()) {
                if (chains.containsKey(uuid)) {
                    ordered.put(uuid, chains.get(uuid));
                }
            }
            return new Scene(List.copyOf(nodes.values()), ordered);
        }
    }

    /** Random changes of every kind, applied to the model and journaled to the store, as the session would. */
    final class Driver {
        final Model model = new Model();
        final SessionStore store;
        int created;

        Driver(SessionStore store) {
            this.store = store;
        }

        void state(SessionState s) {
            model.state = s;
            store.stateChanged(s);
        }

        void put(Node node) {
            Node before = model.nodes.put(node.uuid(), node);
            if (before != null && before.payload() != node.payload()) {
                model.chains.remove(node.uuid());
            }
            store.put(node);
        }

        void append(String uuid, Delta delta) {
            model.nodes.put(uuid, withDeps(model.nodes.get(uuid), delta.dependencies()));
            model.chains.computeIfAbsent(uuid, u -> new ArrayList<>()).add(delta);
            store.deltaAppended(uuid, delta);
        }

        void step() {
            List<String> uuids = new ArrayList<>(model.nodes.keySet());
            int dice = random.nextInt(100);
            if (uuids.isEmpty() || dice < 10) {
                put(node("n" + created++, randomDeps(uuids), random.nextInt(2000)));
                return;
            }
            Node existing = model.nodes.get(uuids.get(random.nextInt(uuids.size())));
            String uuid = existing.uuid();
            if (dice < 20) {
                put(new Node(uuid, existing.owner(), existing.type(), existing.dependencies(),
                        node(uuid, List.of(), random.nextInt(2000)).payload()));
            } else if (dice < 75) {
                append(uuid, delta(randomDeps(uuids), random.nextInt(300)));
            } else if (dice < 85) {
                Node owned = existing.withOwner(random.nextBoolean() ? "bob" : Node.COMMON);
                model.nodes.put(uuid, owned);
                store.ownerChanged(owned);
            } else if (dice < 93) {
                Node changed = withDeps(existing, randomDeps(uuids));
                model.nodes.put(uuid, changed);
                store.dependenciesChanged(changed);
            } else if (dice < 99) {
                model.nodes.remove(uuid);
                model.chains.remove(uuid);
                store.deleted(uuid);
            } else {
                model.nodes.clear();
                model.chains.clear();
                store.cleared();
            }
        }

        List<String> randomDeps(List<String> uuids) {
            List<String> deps = new ArrayList<>();
            for (int i = random.nextInt(3); i > 0 && !uuids.isEmpty(); i--) {
                deps.add(uuids.get(random.nextInt(uuids.size())));
            }
            return deps;
        }
    }

    private static void assertSameScene(Scene actual, Scene expected) {
        assertThat(SessionStoreTest.flat(actual.nodes())).isEqualTo(SessionStoreTest.flat(expected.nodes()));
        assertThat(flat(actual.chains())).isEqualTo(flat(expected.chains()));
    }

    // ---------------------------------------------------------------- tests

    @Test
    void chainsSurviveARestartInOrderByteForByte() throws Exception {
        SessionStore store = open();
        Driver driver = new Driver(store);
        driver.state(SessionState.ACTIVE);
        Node a = node("a", List.of(), 500);
        Node b = node("b", List.of("a"), 300);
        driver.put(a);
        driver.put(b);
        driver.append("a", delta(List.of(), 40));
        driver.append("b", delta(List.of("a"), 0)); // an empty blob is kept as one
        driver.append("a", delta(List.of("b"), 70_000)); // larger than any buffer on the way
        driver.append("a", delta(List.of("b", "a"), 12));
        close(store);

        Scene restored = open().restored();
        assertSameScene(restored, driver.model.scene());
        assertThat(restored.chain("a")).hasSize(3);
        assertThat(restored.nodes().get(0).dependencies()).as("a's deps: its last delta's").containsExactly("b", "a");
    }

    @Test
    void aPutAfterDeltasDropsThemInTheReplayWhetherInOneBatchOrNot() throws Exception {
        for (long flush : new long[] {0, 60_000}) { // a write per change, or everything in the close's batch
            Path sub = Files.createDirectories(dir.resolve("flush-" + flush));
            SessionStore store = SessionStore.open(new StoreSettings(sub, flush, Long.MAX_VALUE), StoreListener.NONE);
            Node a = node("a", List.of(), 100);
            store.put(a);
            store.deltaAppended("a", delta(List.of(), 10));
            store.deltaAppended("a", delta(List.of(), 11));
            Node replaced = node("a", List.of("x"), 120);
            store.put(replaced);
            Delta after = delta(List.of("y"), 13);
            store.deltaAppended("a", after);
            store.close();

            try (SessionStore reopened = SessionStore.open(new StoreSettings(sub, 0, Long.MAX_VALUE),
                    StoreListener.NONE)) {
                Scene restored = reopened.restored();
                assertThat(restored.nodes()).singleElement()
                        .satisfies(n -> assertThat(n.payload()).isEqualTo(replaced.payload()))
                        .satisfies(n -> assertThat(n.dependencies()).containsExactly("y"));
                assertThat(flat(restored.chains())).as("flush %d", flush)
                        .isEqualTo(Map.of("a", List.of(FlatDelta.of(after))));
            }
        }
    }

    @Test
    void aDeleteRemovesTheChainAndANodeCreatedAgainStartsWithout() {
        SessionStore store = open();
        Driver driver = new Driver(store);
        driver.put(node("a", List.of(), 10));
        driver.put(node("b", List.of(), 10));
        driver.append("a", delta(List.of(), 5));
        driver.append("b", delta(List.of(), 5));
        store.deleted("a");
        driver.model.nodes.remove("a");
        driver.model.chains.remove("a");
        driver.put(node("a", List.of(), 20));
        store.cleared(); // and a clear removes every chain
        driver.model.nodes.clear();
        driver.model.chains.clear();
        driver.put(node("c", List.of(), 20));
        driver.append("c", delta(List.of(), 7));
        close(store);

        Scene restored = open().restored();
        assertSameScene(restored, driver.model.scene());
        assertThat(restored.chains()).containsOnlyKeys("c");
    }

    @Test
    void onlyTheDependenciesChangingAfterDeltasKeepsTheChainAndCompactionKeepsBoth() throws Exception {
        AtomicInteger compactions = new AtomicInteger();
        StoreListener counting = new StoreListener() {
            @Override
            public void compacted(long nanos, long bytesBefore, long bytesAfter) {
                compactions.incrementAndGet();
            }
        };
        SessionStore store = open(0, 32 * 1024, counting);
        Driver driver = new Driver(store);
        driver.state(SessionState.ACTIVE);
        driver.put(node("kept", List.of(), 1000));
        driver.put(node("gone", List.of(), 1000));
        driver.append("kept", delta(List.of("gone"), 200));
        driver.append("kept", delta(List.of("gone"), 300));
        // A three-port Delete: the node goes, and the others lose it from their dependencies.
        driver.model.nodes.remove("gone");
        store.deleted("gone");
        Node lost = withDeps(driver.model.nodes.get("kept"), List.of());
        driver.model.nodes.put("kept", lost);
        store.dependenciesChanged(lost);
        // Then enough edits of another node for compactions.
        driver.put(node("busy", List.of(), 4000));
        for (int i = 0; i < 60 && compactions.get() < 2; i++) {
            driver.put(node("busy", List.of(), 4000));
            awaitDurable(store);
        }
        assertThat(compactions.get()).as("compactions").isGreaterThanOrEqualTo(1);
        // Read the compacted log while the store is open, as after a crash, then after a clean close.
        try (InputStream in = Files.newInputStream(dir.resolve(SessionStore.LOG_FILE))) {
            assertSameScene(StoreReader.read(in).scene(), driver.model.scene());
        }
        close(store);
        Scene restored = open().restored();
        assertSameScene(restored, driver.model.scene());
        assertThat(restored.nodes().get(0).dependencies()).isEmpty();
        assertThat(restored.chain("kept")).hasSize(2);
    }

    @Test
    void randomChangesOfEveryKindComeBackAfterCompactionsAndACloseAsTheModelSays() throws Exception {
        AtomicInteger compactions = new AtomicInteger();
        StoreListener counting = new StoreListener() {
            @Override
            public void compacted(long nanos, long bytesBefore, long bytesAfter) {
                compactions.incrementAndGet();
            }
        };
        // A flush interval: changes of one node collapse in a batch (puts, deltas, owners, deps mixed).
        SessionStore store = open(5, 48 * 1024, counting);
        Driver driver = new Driver(store);
        driver.state(SessionState.ACTIVE);
        for (int i = 0; i < 4000; i++) {
            driver.step();
            if (i % 500 == 499) {
                awaitDurable(store);
                try (InputStream in = Files.newInputStream(dir.resolve(SessionStore.LOG_FILE))) {
                    assertSameScene(StoreReader.read(in).scene(), driver.model.scene());
                }
            }
        }
        close(store);
        assertThat(compactions.get()).as("compactions").isGreaterThanOrEqualTo(1);
        assertSameScene(open().restored(), driver.model.scene());
    }

    @Test
    void aLogWithoutChainRecordsStaysVersionOneAndTheFirstDeltaRaisesIt() throws Exception {
        SessionStore store = open();
        store.stateChanged(SessionState.ACTIVE);
        store.put(node("a", List.of(), 100));
        store.ownerChanged(node("a", List.of(), 1).withOwner("alice"));
        awaitDurable(store);
        assertThat(headerVersion()).as("a four-port log: what older servers read").isEqualTo(1);

        store.deltaAppended("a", delta(List.of(), 10));
        awaitDurable(store);
        assertThat(headerVersion()).isEqualTo(2);
        close(store);
        assertThat(open().restored().chain("a")).hasSize(1);
    }

    @Test
    void anExportWithChainsReadsBackAsTheSameSceneAndOneWithoutIsVersionOne() throws Exception {
        Node a = node("a", List.of(), 300);
        Node b = node("b", List.of("a"), 0);
        Delta d1 = delta(List.of("b"), 50);
        Delta d2 = delta(List.of(), 60);
        // b's deps changed after its last delta: the export must say so after the chain.
        Scene scene = new Scene(List.of(withDeps(a, List.of()), b.withOwner("carol")),
                Map.of("a", List.of(d1, d2), "b", List.of(delta(List.of("a", "x"), 5))));
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        StoreFormat.export(scene, bytes);
        byte[] file = bytes.toByteArray();
        assertThat(file[11]).isEqualTo((byte) 2);
        StoreReader.Replay replay = StoreReader.read(new ByteArrayInputStream(file));
        assertThat(replay.damage()).isNull();
        assertThat(replay.stateRecorded()).isTrue();
        assertThat(replay.state()).isEqualTo(SessionState.ACTIVE);
        assertSameScene(replay.scene(), scene);

        ByteArrayOutputStream plain = new ByteArrayOutputStream();
        StoreFormat.export(Scene.of(scene.nodes()), plain);
        assertThat(plain.toByteArray()[11]).as("no chains: an export older servers import").isEqualTo((byte) 1);
        assertSameScene(StoreReader.read(new ByteArrayInputStream(plain.toByteArray())).scene(),
                Scene.of(scene.nodes()));
    }

    // ---------------------------------------------------------------- helpers

    private int headerVersion() throws IOException {
        byte[] header = new byte[StoreFormat.HEADER_BYTES];
        try (InputStream in = Files.newInputStream(dir.resolve(SessionStore.LOG_FILE))) {
            assertThat(in.readNBytes(header, 0, header.length)).isEqualTo(header.length);
        }
        return header[11];
    }

    private static void awaitDurable(SessionStore store) throws InterruptedException {
        for (int i = 0; i < 2000 && store.stats().pendingChanges() > 0; i++) {
            Thread.sleep(5);
        }
        assertThat(store.stats().pendingChanges()).as("changes pending").isZero();
    }

    @Test
    void theStoreFoldsChainsWithTheSessionsMerger() {
        // keep-the-last stands in for DeltaCompaction: what matters is that the store folds at all
        io.multiuser.server.protocol.DeltaMerger keepLast = (earlier, later) -> java.util.Optional.of(later);
        SessionStore store = SessionStore.open(new StoreSettings(dir, 0, Long.MAX_VALUE), StoreListener.NONE, keepLast);
        open.add(store);
        store.put(new Node("n", Node.COMMON, "", List.of(), new byte[64]));
        for (int i = 0; i < 200; i++) {
            store.deltaAppended("n", delta(List.of(), 10_000));
        }
        store.stateChanged(SessionState.ACTIVE);
        close(store);
        long live = store.stats().liveBytes();
        assertThat(live).as("live size after 200 × 10 kB deltas folded into one").isLessThan(2 * 10_000 + 1_000);
        SessionStore again = SessionStore.open(new StoreSettings(dir, 0, Long.MAX_VALUE), StoreListener.NONE, keepLast);
        open.add(again);
        assertThat(again.restored().chain("n")).hasSize(1);
    }
}
