package io.multiuser.server.persistence;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;

import io.multiuser.server.persistence.EditStream.Version;
import io.multiuser.server.protocol.Node;
import io.multiuser.server.testclient.AdminHttp;
import io.multiuser.server.testclient.Nodes;
import io.multiuser.server.testclient.ServerProcess;
import io.multiuser.server.testclient.TestClient;

/**
 * The packaged server, killed with SIGKILL while clients stream edits, comes back on the same
 * data directory with every change older than the documented window (the flush interval, plus
 * a margin for the write itself); a clean stop loses nothing.
 */
class CrashRecoveryIT {

    private static final String PASSWORD = "crash-it-pw";
    /** multiuser.store.flush-interval: the documented window of changes a crash may lose. */
    private static final Duration FLUSH = Duration.ofMillis(200);
    /** Write and fsync time, and how far the server may lag behind the senders on a shared 2-core box. */
    private static final Duration MARGIN = Duration.ofSeconds(2);
    private static final int EDITORS = 3;
    private static final Pattern RESTORED = Pattern.compile("Restored the session from (\\S+): (\\d+) nodes, (\\d+)"
            + " bytes in ([0-9.]+) s \\((\\d+) records\\); owners reset to COMMON");

    @TempDir
    Path temp;

    private static ServerProcess start(Path dir, String flushInterval, String... more) throws Exception {
        List<String> options = new ArrayList<>(List.of("-Dmultiuser.store.directory=" + dir,
                "-Dmultiuser.store.flush-interval=" + flushInterval));
        options.addAll(List.of(more));
        ServerProcess server = ServerProcess.start(PASSWORD, options.toArray(String[]::new));
        server.awaitOutput("Listening on: http", Duration.ofSeconds(90));
        return server;
    }

    private static List<Node> upload(ServerProcess server, List<Node> scene) {
        try (TestClient admin = new TestClient(server.basePort, "host")) {
            assertThat(admin.loginAsAdmin(PASSWORD)).isEqualTo("LOBBY");
            admin.upload(scene);
        }
        return scene;
    }

    @Test
    void aKilledServerComesBackWithEveryChangeOlderThanTheFlushWindow() throws Exception {
        Path dir = Files.createDirectories(temp.resolve("data"));
        List<Node> scene = Nodes.scene(60, 2048, 11);
        EditStream stream;
        long killNanos;
        // A small compaction threshold: the log is rewritten several times while the edits stream,
        // so the kill may land during or just after a compaction too.
        try (ServerProcess server = start(dir, FLUSH.toMillis() + "ms",
                "-Dmultiuser.store.compaction-min-size=" + (512 * 1024))) {
            upload(server, scene);
            stream = EditStream.start(server.basePort, scene, EDITORS);
            long started = System.nanoTime();
            server.awaitOutput("Compacted the session log", Duration.ofSeconds(90));
            sleepUntil(started + TimeUnit.SECONDS.toNanos(3));
            stream.hotOnly(); // the other nodes stop changing: their last version must survive exactly
            Thread.sleep(3000);
            stream.checkFailures();
            killNanos = System.nanoTime();
            server.kill();
            stream.close();
            assertThat(server.isAlive()).isFalse();
        }
        long cutoff = killNanos - FLUSH.toNanos() - MARGIN.toNanos();

        try (ServerProcess again = start(dir, FLUSH.toMillis() + "ms")) {
            List<Node> restored = checkRestored(again, dir);
            Map<String, Node> byUuid = byUuid(restored);
            int exact = 0;
            int later = 0;
            int deletedBefore = 0;
            for (Map.Entry<String, List<Version>> e : stream.history().entrySet()) {
                String uuid = e.getKey();
                List<Version> versions = e.getValue();
                int k = -1; // the last version sent before the cutoff
                for (int i = 0; i < versions.size(); i++) {
                    if (versions.get(i).nanos() < cutoff) {
                        k = i;
                    }
                }
                Node got = byUuid.get(uuid);
                List<Version> allowed = versions.subList(Math.max(k, 0), versions.size());
                boolean absentAllowed = k < 0 || allowed.stream().anyMatch(v -> v.node() == null);
                int match = indexOf(allowed, got);
                assertThat(got == null ? absentAllowed : match >= 0)
                        .as("node %s: restored %s; it had %d versions, %d of them before the cutoff; allowed: %s",
                                uuid, got, versions.size(), k + 1, allowed.stream().map(v -> v.node() == null
                                        ? "deleted" : AdminHttp.fingerprint(v.node())).toList())
                        .isTrue();
                if (k == versions.size() - 1 && k > 0) {
                    if (versions.get(k).node() == null) {
                        deletedBefore++;
                    } else {
                        exact++;
                    }
                } else if (k >= 0 && k < versions.size() - 1) {
                    later++;
                }
            }
            assertThat(byUuid.keySet()).as("restored nodes nobody sent").isSubsetOf(stream.history().keySet());
            // The run checked what it is meant to: nodes that stopped changing well before the kill
            // (compared exactly), deletes, and nodes still changing when the kill came.
            assertThat(exact).as("nodes whose last edit was before the cutoff").isGreaterThanOrEqualTo(10);
            assertThat(deletedBefore).as("nodes deleted before the cutoff").isPositive();
            assertThat(later).as("nodes edited after the cutoff").isPositive();
            checkOrder(restored, scene, stream.created());
            System.out.printf("CrashRecoveryIT: %d nodes restored; %d exact, %d deleted, %d edited after the"
                    + " cutoff (%d ms before the kill)%n", restored.size(), exact, deletedBefore, later,
                    TimeUnit.NANOSECONDS.toMillis(killNanos - cutoff));
        }
    }

    @Test
    void aCleanStopWritesEveryChangeEvenWithinTheFlushInterval() throws Exception {
        Path dir = Files.createDirectories(temp.resolve("data"));
        List<Node> scene = Nodes.scene(45, 1024, 12);
        EditStream stream;
        // The longest interval allowed, far longer than these steps take: only the stop can write the changes.
        try (ServerProcess server = start(dir, "60s")) {
            upload(server, scene);
            try (TestClient observer = new TestClient(server.basePort, "observer")) {
                assertThat(observer.loginAsClient()).isEqualTo("RUNNING");
                assertThat(observer.join()).hasSize(scene.size()); // forwards come once it has the scene
                stream = EditStream.start(server.basePort, scene, EDITORS);
                Thread.sleep(2000);
                stream.hotOnly();
                Thread.sleep(500);
                stream.close();
                // The server has handled everything once the observer got each editor's last
                // datablock (one editor's datablocks arrive in order) and every delete.
                for (Node last : stream.lastPushes()) {
                    observer.awaitBlock(b -> b.uuid().equals(last.uuid()) && Arrays.equals(b.payload(),
                            last.payload().toArray()), Duration.ofSeconds(60));
                }
                for (String uuid : stream.deleted()) {
                    observer.await("RepDeleteCommand", r -> uuid.equals(r.data()), Duration.ofSeconds(60));
                }
            }
            AdminHttp admin = new AdminHttp(server.httpPort, PASSWORD);
            JsonNode store = admin.json("session").get("store");
            assertThat(store.get("pendingChanges").asInt()).as("changes waiting for the writer").isPositive();
            assertThat(Files.size(dir.resolve(SessionStore.LOG_FILE))).as("log before the stop: its header only")
                    .isEqualTo(StoreFormat.HEADER_BYTES);
            server.close(); // SIGTERM
            assertThat(server.waitForExit(Duration.ofSeconds(30))).isTrue();
            assertThat(server.log()).contains("Session store closed: every change is on disk");
        }

        try (ServerProcess again = start(dir, "60s")) {
            List<Node> restored = checkRestored(again, dir);
            List<String> expected = new ArrayList<>();
            stream.history().forEach((uuid, versions) -> {
                Node last = versions.get(versions.size() - 1).node();
                if (last != null) {
                    expected.add(AdminHttp.fingerprint(last.withOwner(Node.COMMON)));
                }
            });
            assertThat(restored.stream().map(AdminHttp::fingerprint).toList())
                    .containsExactlyInAnyOrderElementsOf(expected);
            assertThat(stream.deleted()).isNotEmpty().doesNotContainAnyElementsOf(byUuid(restored).keySet());
            checkOrder(restored, scene, stream.created());
        }
    }

    /**
     * What every restart must show: the log line with the right figures, an ACTIVE session with
     * owners COMMON, and a joiner that gets RUNNING and downloads exactly the restored scene.
     * Returns the restored scene (the server's export), in catalog order.
     */
    private static List<Node> checkRestored(ServerProcess server, Path dir) throws Exception {
        server.awaitOutput(RESTORED, Duration.ofSeconds(30));
        AdminHttp admin = new AdminHttp(server.httpPort, PASSWORD);
        List<Node> restored = AdminHttp.scene(admin.export());
        long bytes = restored.stream().mapToLong(n -> n.payload().length()).sum();

        Matcher line = RESTORED.matcher(server.log());
        assertThat(line.find()).isTrue();
        assertThat(Path.of(line.group(1))).isEqualTo(dir.toAbsolutePath().normalize().resolve(SessionStore.LOG_FILE));
        assertThat(Integer.parseInt(line.group(2))).as("nodes in the log line").isEqualTo(restored.size());
        assertThat(Long.parseLong(line.group(3))).as("bytes in the log line").isEqualTo(bytes);
        assertThat(Long.parseLong(line.group(5))).as("records").isGreaterThanOrEqualTo(restored.size());

        JsonNode session = admin.json("session");
        assertThat(session.get("state").asText()).isEqualTo("active");
        assertThat(session.get("nodes").asInt()).isEqualTo(restored.size());
        assertThat(session.get("payloadBytes").asLong()).isEqualTo(bytes);
        assertThat(restored).extracting(Node::owner).containsOnly(Node.COMMON);

        try (TestClient joiner = new TestClient(server.basePort, "joiner")) {
            assertThat(joiner.loginAsClient()).isEqualTo("RUNNING");
            joiner.send(joiner.name, "RepSnapshotCommand", TestClient.map("STATE", "REQUEST_INIT"));
            List<String> catalog = TestClient.catalog(joiner.await("RepSnapshotCommand"));
            assertThat(catalog).isEqualTo(restored.stream().map(Node::uuid).toList());
            Map<String, TestClient.Block> got = joiner.download(catalog);
            List<String> downloaded = new ArrayList<>();
            for (String uuid : catalog) {
                TestClient.Block b = got.get(uuid);
                downloaded.add(AdminHttp.fingerprint(new Node(b.uuid(), b.owner(), b.type(), b.dependencies(),
                        b.payload())));
            }
            assertThat(downloaded).isEqualTo(restored.stream().map(AdminHttp::fingerprint).toList());
        }
        return restored;
    }

    /** Uploaded nodes keep the upload's order; nodes created later follow, each editor's in creation order. */
    private static void checkOrder(List<Node> restored, List<Node> scene, List<List<String>> created) {
        List<String> uuids = restored.stream().map(Node::uuid).toList();
        List<String> uploaded = scene.stream().map(Node::uuid).filter(uuids::contains).toList();
        assertThat(uuids.subList(0, uploaded.size())).as("uploaded nodes first, in upload order")
                .isEqualTo(uploaded);
        for (List<String> mine : created) {
            assertThat(uuids.subList(uploaded.size(), uuids.size()).stream().filter(mine::contains).toList())
                    .as("created nodes in creation order").isEqualTo(mine.stream().filter(uuids::contains).toList());
        }
    }

    /** The index in {@code versions} of the one {@code node} is, by content; -1 for none. */
    private static int indexOf(List<Version> versions, Node node) {
        for (int i = 0; node != null && i < versions.size(); i++) {
            Node v = versions.get(i).node();
            if (v != null && Arrays.equals(v.payload().toArray(), node.payload().toArray()) && v.type().equals(node.type())
                    && v.dependencies().equals(node.dependencies())) {
                return i;
            }
        }
        return -1;
    }

    private static Map<String, Node> byUuid(List<Node> nodes) {
        Map<String, Node> map = new LinkedHashMap<>();
        nodes.forEach(n -> map.put(n.uuid(), n));
        return map;
    }

    private static void sleepUntil(long nanos) throws InterruptedException {
        long left = nanos - System.nanoTime();
        if (left > 0) {
            TimeUnit.NANOSECONDS.sleep(left);
        }
    }
}
