package io.multiuser.server.persistence;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.multiuser.server.memory.HeapPacer;
import io.multiuser.server.memory.PayloadStash;
import io.multiuser.server.memory.SpillSettings;
import io.multiuser.server.protocol.DeltaMerger;
import io.multiuser.server.protocol.Node;
import io.multiuser.server.session.Scene;
import io.multiuser.server.session.SessionState;

/** The store on a real directory: what goes in comes back after a close, a crash or a damaged tail. */
class SessionStoreTest {

    @TempDir
    Path dir;
    private final List<SessionStore> open = new ArrayList<>();

    @AfterEach
    void closeAll() {
        open.forEach(SessionStore::close);
    }

    private SessionStore open(Path directory, long flushMillis, long compactionMin) {
        SessionStore store = SessionStore.open(new StoreSettings(directory, flushMillis, compactionMin),
                StoreListener.NONE);
        open.add(store);
        return store;
    }

    private SessionStore open(Path directory) {
        return open(directory, 0, Long.MAX_VALUE);
    }

    private void close(SessionStore store) {
        open.remove(store);
        store.close();
    }

    /** A node as comparable values (payload by content). */
    record Flat(String uuid, String owner, String type, List<String> deps, String payload) {
        static Flat of(Node n) {
            return new Flat(n.uuid(), n.owner(), n.type(), n.dependencies(),
                    Base64.getEncoder().encodeToString(n.payload().toArray()));
        }
    }

    static List<Flat> flat(java.util.Collection<Node> nodes) {
        return nodes.stream().map(Flat::of).toList();
    }

    /** The reference: the scene and state as the session sees them, by the plain rules. */
    static final class Model {
        final LinkedHashMap<String, Node> nodes = new LinkedHashMap<>();
        SessionState state = SessionState.WAITING;

        /** What a restore must give: the scene as logged (Session.restore resets owners), nothing from a half-done upload. */
        List<Flat> expectedRestore() {
            if (state == SessionState.SRV_SYNC) {
                return List.of();
            }
            return flat(nodes.values());
        }
    }

    /** Random changes, applied to the model and journaled to the store, as the session would. */
    static final class Driver {
        final Random random;
        final Model model = new Model();
        final SessionStore store;
        int created;

        Driver(SessionStore store, long seed) {
            this.store = store;
            this.random = new Random(seed);
        }

        void state(SessionState s) {
            model.state = s;
            store.stateChanged(s);
        }

        void step() {
            List<String> uuids = new ArrayList<>(model.nodes.keySet());
            int dice = random.nextInt(100);
            if (uuids.isEmpty() || dice < 35) {
                Node node = new Node("n" + created++, random.nextBoolean() ? Node.COMMON : "alice", "Mesh",
                        uuids.isEmpty() ? List.of() : List.of(uuids.get(random.nextInt(uuids.size()))),
                        bytes(random.nextInt(3000)));
                put(node);
            } else {
                Node existing = model.nodes.get(uuids.get(random.nextInt(uuids.size())));
                if (dice < 75) {
                    put(new Node(existing.uuid(), existing.owner(), existing.type(), existing.dependencies(),
                            bytes(random.nextInt(3000))));
                } else if (dice < 90) {
                    Node owned = existing.withOwner(random.nextBoolean() ? "bob" : Node.COMMON);
                    model.nodes.put(owned.uuid(), owned);
                    store.ownerChanged(owned);
                } else if (dice < 99) {
                    model.nodes.remove(existing.uuid());
                    store.deleted(existing.uuid());
                } else {
                    model.nodes.clear();
                    store.cleared();
                }
            }
        }

        void put(Node node) {
            model.nodes.put(node.uuid(), node);
            store.put(node);
        }

        byte[] bytes(int n) {
            byte[] b = new byte[n];
            random.nextBytes(b);
            return b;
        }
    }

    @Test
    void everyChangeIsThereAfterACleanCloseOwnersIncluded() {
        SessionStore store = open(dir, 50, Long.MAX_VALUE);
        Driver driver = new Driver(store, 1);
        driver.state(SessionState.ACTIVE);
        for (int i = 0; i < 3000; i++) {
            driver.step();
        }
        close(store); // no wait: close itself must write what is pending

        SessionStore reopened = open(dir);
        assertThat(flat(reopened.restored().nodes())).isEqualTo(driver.model.expectedRestore());
        assertThat(reopened.restored().nodes()).isNotEmpty().extracting(Node::owner).contains("alice", Node.COMMON);
    }

    @Test
    void payloadsKeptInASpillFileAreStoredAsTheirBytes(@TempDir Path spillDirectory) {
        io.multiuser.server.memory.PayloadSpill spill = new io.multiuser.server.memory.PayloadSpill(
                new io.multiuser.server.memory.SpillSettings(1024, spillDirectory),
                io.multiuser.server.memory.HeapPacer.shared(), () -> 0);
        spill.uploading(true); // written to the spill file as they are offered
        List<Node> scene = Nodes.scene(20, 100_000);
        List<Flat> expected = flat(scene);
        SessionStore store = open(dir, 60_000, Long.MAX_VALUE);
        for (Node node : scene) {
            spill.offer(node);
            assertThat(node.payload().inMemory()).isFalse();
            store.put(node); // the store's writer reads them back from the spill file
        }
        close(store);

        assertThat(flat(open(dir).restored().nodes())).isEqualTo(expected);
    }

    private SessionStore openStashing(Path directory, PayloadStash stash) {
        SessionStore store = SessionStore.open(new StoreSettings(directory, 0, Long.MAX_VALUE), StoreListener.NONE,
                DeltaMerger.NONE, stash);
        open.add(store);
        return store;
    }

    private static PayloadStash stash(Path spillDirectory) {
        return new PayloadStash(new SpillSettings(1024, spillDirectory), HeapPacer.shared());
    }

    /** 20 big nodes and 10 under the stash's threshold, interleaved. */
    private static List<Node> mixedScene() {
        List<Node> big = Nodes.scene(20, 100_000);
        List<Node> small = Nodes.scene(10, 500);
        List<Node> scene = new ArrayList<>();
        for (int i = 0; i < big.size(); i++) {
            scene.add(big.get(i));
            if (i % 2 == 0) {
                scene.add(small.get(i / 2));
            }
        }
        return scene;
    }

    /** Logs {@code scene} in {@link #dir} and closes the store; returns the scene. */
    private List<Node> logged(List<Node> scene) {
        SessionStore store = open(dir);
        scene.forEach(store::put);
        close(store);
        return scene;
    }

    @Test
    void theBigPayloadsOfARestoreGoToASpillFileNotTheHeap(@TempDir Path spillDirectory) throws IOException {
        List<Node> scene = logged(mixedScene());

        PayloadStash stash = stash(spillDirectory);
        SessionStore reopened = openStashing(dir, stash);

        assertThat(flat(reopened.restored().nodes())).isEqualTo(flat(scene));
        for (Node node : reopened.restored().nodes()) {
            assertThat(node.payload().inMemory()).as(node.uuid()).isEqualTo(node.payload().length() < 1024);
        }
        assertThat(stash.stashedBytes()).isEqualTo(20 * 100_000L);
        try (Stream<Path> files = Files.list(spillDirectory)) {
            assertThat(files).as("the spill file is unlinked once open").isEmpty();
        }
    }

    @Test
    void aBigPayloadDamagedOnDiskIsCutAsOneOnTheHeapWouldBe(@TempDir Path spillDirectory) throws Exception {
        List<Node> scene = Nodes.scene(10, 5000);
        long sizeAfterFive = logWithABitFlippedInTheSixthRecord(scene, 3000); // in its payload, which goes to the stash
        Path log = dir.resolve(SessionStore.LOG_FILE);

        SessionStore reopened = openStashing(dir, stash(spillDirectory));

        assertThat(flat(reopened.restored().nodes())).isEqualTo(flat(scene.subList(0, 5)));
        assertThat(Files.size(log)).isEqualTo(sizeAfterFive);
        assertThat(reopened.restored().nodes()).allSatisfy(n -> assertThat(n.payload().inMemory()).isFalse());
    }

    @Test
    void aStashThatCannotWriteLeavesTheRestoreOnTheHeap(@TempDir Path elsewhere) throws IOException {
        List<Node> scene = logged(mixedScene());
        Path notADirectory = Files.writeString(elsewhere.resolve("file"), "x");

        PayloadStash stash = stash(notADirectory.resolve("sub"));
        SessionStore reopened = openStashing(dir, stash);

        assertThat(flat(reopened.restored().nodes())).isEqualTo(flat(scene));
        assertThat(reopened.restored().nodes()).allSatisfy(n -> assertThat(n.payload().inMemory()).isTrue());
        assertThat(stash.stashedBytes()).isZero();
    }

    @Test
    void changesAreDurableWithinTheFlushIntervalWithoutAClose() throws Exception {
        SessionStore store = open(dir, 100, Long.MAX_VALUE);
        Driver driver = new Driver(store, 2);
        driver.state(SessionState.ACTIVE);
        for (int i = 0; i < 200; i++) {
            driver.step();
        }
        awaitDurable(store);
        // Read the file while the store is still open, as a restart after a crash would.
        try (var in = Files.newInputStream(dir.resolve(SessionStore.LOG_FILE))) {
            StoreReader.Replay replay = StoreReader.read(in);
            assertThat(replay.damage()).isNull();
            assertThat(flat(replay.nodes().values())).isEqualTo(flat(driver.model.nodes.values()));
        }
    }

    @Test
    void manyEditsOfOneNodeWithinAnIntervalAreWrittenOnce() {
        SessionStore store = open(dir, 60_000, Long.MAX_VALUE); // nothing is due before the close
        Node node = new Node("busy", Node.COMMON, "Object", List.of(), new byte[1000]);
        for (int i = 0; i < 1000; i++) {
            byte[] payload = new byte[1000];
            payload[0] = (byte) i;
            store.put(Nodes.edit(node, payload));
        }
        close(store);
        long size = fileSize();
        assertThat(size).isLessThan(StoreFormat.HEADER_BYTES + 2 * StoreFormat.putSize(node));
        assertThat(open(dir).restored().nodes()).singleElement()
                .satisfies(n -> assertThat(n.payload().toArray()[0]).isEqualTo((byte) 999));
    }

    @Test
    void aTailCutAtAnyByteKeepsEveryCompleteRecordBeforeTheCut() throws Exception {
        // One record per change, so the model after k changes is the scene of the first k records.
        SessionStore store = open(dir);
        Driver driver = new Driver(store, 3);
        List<Long> ends = new ArrayList<>();
        List<List<Flat>> scenes = new ArrayList<>();
        long size = StoreFormat.HEADER_BYTES;
        ends.add(size);
        scenes.add(List.of());
        driver.state(SessionState.ACTIVE);
        size = awaitGrowth(store, size);
        ends.add(size);
        scenes.add(driver.model.expectedRestore());
        for (int i = 0; i < 60; i++) {
            driver.step();
            size = awaitGrowth(store, size);
            ends.add(size);
            scenes.add(driver.model.expectedRestore());
        }
        close(store);
        byte[] whole = Files.readAllBytes(dir.resolve(SessionStore.LOG_FILE));
        assertThat((long) whole.length).isEqualTo(size);

        Random random = new Random(4);
        List<Integer> cuts = new ArrayList<>(List.of(0, 1, 7, 11, 12, 13, whole.length - 1));
        for (int i = 0; i < 40; i++) {
            cuts.add(random.nextInt(whole.length));
        }
        for (long end : ends.subList(0, 6)) {
            cuts.add((int) end); // exactly on a record boundary: nothing is damaged
        }
        for (int cut : cuts) {
            Path copy = Files.createDirectories(dir.resolve("cut-" + cut));
            Files.write(copy.resolve(SessionStore.LOG_FILE), java.util.Arrays.copyOf(whole, cut));
            int complete = (int) ends.stream().filter(e -> e <= cut).count() - 1;
            SessionStore cutStore = open(copy);
            assertThat(flat(cutStore.restored().nodes())).as("cut at %d", cut)
                    .isEqualTo(scenes.get(Math.max(complete, 0)));
            long kept = ends.get(Math.max(complete, 0));
            assertThat(Files.size(copy.resolve(SessionStore.LOG_FILE))).as("cut at %d", cut).isEqualTo(kept);
            boolean damaged = cut != kept && cut != 0;
            assertThat(damagedFiles(copy)).as("cut at %d", cut).hasSize(damaged ? 1 : 0);
            close(cutStore);
        }
    }

    @Test
    void aCorruptedRecordIsCutWithEverythingAfterItAndTheRestKept() throws Exception {
        List<Node> scene = Nodes.scene(10, 500);
        long sizeAfterFive = logWithABitFlippedInTheSixthRecord(scene, 100);
        Path log = dir.resolve(SessionStore.LOG_FILE);
        long logBytes = Files.size(log);

        SessionStore reopened = open(dir);
        assertThat(flat(reopened.restored().nodes())).isEqualTo(flat(scene.subList(0, 5)));
        assertThat(Files.size(log)).isEqualTo(sizeAfterFive);
        List<Path> saved = damagedFiles(dir);
        assertThat(saved).hasSize(1);
        assertThat(Files.size(saved.get(0))).isEqualTo(logBytes - sizeAfterFive);
    }

    @Test
    void aLogOfAnotherFormatVersionIsRefusedAndLeftUntouched() throws Exception {
        byte[] header = StoreFormat.header();
        header[11] = 3;
        byte[] file = ByteBuffer.allocate(header.length + 20).put(header).put(new byte[20]).array();
        Path log = dir.resolve(SessionStore.LOG_FILE);
        Files.write(log, file);

        assertThatThrownBy(() -> open(dir)).isInstanceOf(StoreException.class)
                .hasMessageContaining("format version 3").hasMessageContaining("reads versions 1 to 2")
                .hasMessageContaining(log.toString());
        assertThat(Files.readAllBytes(log)).isEqualTo(file);
        // The refusal released the directory: a fixed setup can start on it.
        Files.delete(log);
        assertThat(open(dir).restored().nodes()).isEmpty();
    }

    @Test
    void aFileThatIsNotASessionLogIsRefused() throws Exception {
        Path log = dir.resolve(SessionStore.LOG_FILE);
        Files.writeString(log, "{\"this\": \"is json\"}");
        assertThatThrownBy(() -> open(dir)).isInstanceOf(StoreException.class)
                .hasMessageContaining("not a multi-user-server session log");
        assertThat(Files.readString(log)).isEqualTo("{\"this\": \"is json\"}");
    }

    @Test
    void twoStoresCannotShareADirectory() {
        open(dir);
        assertThatThrownBy(() -> open(dir)).isInstanceOf(StoreException.class).hasMessageContaining("in use");
    }

    @Test
    void aGrowingLogIsCompactedAndStillRestoresTheLatestScene() throws Exception {
        SessionStore store = open(dir, 0, 64 * 1024);
        Driver driver = new Driver(store, 5);
        driver.state(SessionState.ACTIVE);
        for (int i = 0; i < 5; i++) {
            driver.put(new Node("n" + i, Node.COMMON, "Mesh", List.of(), driver.bytes(4000)));
        }
        awaitGrowth(store, StoreFormat.HEADER_BYTES);
        long largest = 0;
        for (int round = 0; round < 400; round++) {
            Node n = driver.model.nodes.get("n" + (round % 5));
            driver.put(Nodes.edit(n, driver.bytes(4000)));
            awaitDurable(store);
            largest = Math.max(largest, fileSize());
        }
        // 400 edits of 4 KB would be 1.6 MB uncompacted; the log stays near its compaction threshold.
        assertThat(largest).isLessThan(300 * 1024);
        close(store);
        assertThat(Files.exists(dir.resolve(SessionStore.COMPACT_FILE))).isFalse();
        assertThat(flat(open(dir).restored().nodes())).isEqualTo(driver.model.expectedRestore());
    }

    @Test
    void aHalfDoneUploadIsDroppedOnRestoreAndStaysDropped() {
        SessionStore store = open(dir);
        store.stateChanged(SessionState.SRV_SYNC);
        List<Node> partial = Nodes.scene(3, 100);
        partial.forEach(store::put);
        close(store);

        SessionStore second = open(dir);
        assertThat(second.restored().nodes()).isEmpty();
        // A new upload in the new run must not bring the old half back.
        List<Node> fresh = Nodes.scene(2, 100);
        second.stateChanged(SessionState.SRV_SYNC);
        fresh.forEach(second::put);
        second.stateChanged(SessionState.ACTIVE);
        close(second);

        assertThat(flat(open(dir).restored().nodes())).isEqualTo(flat(fresh));
    }

    @Test
    void aNodeDeletedAndCreatedAgainInOneBatchEndsLastAsInTheSession() {
        SessionStore store = open(dir, 60_000, Long.MAX_VALUE);
        List<Node> scene = Nodes.scene(3, 10);
        scene.forEach(store::put);
        close(store);
        SessionStore second = open(dir, 60_000, Long.MAX_VALUE);
        second.deleted(scene.get(0).uuid());
        second.put(scene.get(0));
        close(second);
        assertThat(open(dir).restored().nodes()).extracting(Node::uuid)
                .containsExactly(scene.get(1).uuid(), scene.get(2).uuid(), scene.get(0).uuid());
    }

    @Test
    void anExportReadsBackAsTheSameScene() throws Exception {
        List<Node> scene = new ArrayList<>(Nodes.scene(20, 700));
        scene.set(3, scene.get(3).withOwner("carol")); // an export keeps owners as they are
        var bytes = new java.io.ByteArrayOutputStream();
        StoreFormat.export(Scene.of(scene), bytes);
        StoreReader.Replay replay = StoreReader.read(new java.io.ByteArrayInputStream(bytes.toByteArray()));
        assertThat(replay.damage()).isNull();
        assertThat(replay.state()).isEqualTo(SessionState.ACTIVE);
        assertThat(flat(replay.nodes().values())).isEqualTo(flat(scene));
        assertThat(new String(bytes.toByteArray(), 0, 8, StandardCharsets.US_ASCII)).isEqualTo("MUSRVLOG");
    }

    // ---------------------------------------------------------------- helpers

    private long fileSize() {
        try {
            return Files.size(dir.resolve(SessionStore.LOG_FILE));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /**
     * Logs the ten nodes of {@code scene}, one record each, then flips one bit {@code offset} bytes into
     * the sixth record; returns the log's length after the fifth.
     */
    private long logWithABitFlippedInTheSixthRecord(List<Node> scene, int offset) throws Exception {
        SessionStore store = open(dir);
        long sizeAfterFive = 0;
        long size = StoreFormat.HEADER_BYTES;
        for (int i = 0; i < scene.size(); i++) {
            store.put(scene.get(i));
            size = awaitGrowth(store, size);
            if (i == 4) {
                sizeAfterFive = size;
            }
        }
        close(store);
        Path log = dir.resolve(SessionStore.LOG_FILE);
        byte[] bytes = Files.readAllBytes(log);
        bytes[(int) sizeAfterFive + offset] ^= 0x10;
        Files.write(log, bytes);
        return sizeAfterFive;
    }

    private static List<Path> damagedFiles(Path directory) throws IOException {
        try (Stream<Path> files = Files.list(directory)) {
            return files.filter(p -> p.getFileName().toString().startsWith(SessionStore.LOG_FILE + ".damaged-"))
                    .toList();
        }
    }

    /** Waits until the log on disk is longer than {@code size}; returns the new length. */
    private static long awaitGrowth(SessionStore store, long size) throws InterruptedException {
        for (int i = 0; i < 1000 && store.stats().fileBytes() <= size; i++) {
            Thread.sleep(5);
        }
        assertThat(store.stats().fileBytes()).as("the log grew").isGreaterThan(size);
        awaitDurable(store);
        return store.stats().fileBytes();
    }

    private static void awaitDurable(SessionStore store) throws InterruptedException {
        for (int i = 0; i < 1000 && store.stats().pendingChanges() > 0; i++) {
            Thread.sleep(5);
        }
        assertThat(store.stats().pendingChanges()).as("changes pending").isZero();
    }

    /** Small scenes for these tests. */
    static final class Nodes {
        static List<Node> scene(int count, int bytes) {
            return io.multiuser.server.testclient.Nodes.scene(count, bytes, count * 31L + bytes);
        }

        static Node edit(Node node, byte[] payload) {
            return io.multiuser.server.testclient.Nodes.edited(node, payload);
        }
    }
}
