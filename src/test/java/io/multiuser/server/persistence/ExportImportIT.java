package io.multiuser.server.persistence;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;

import io.multiuser.server.protocol.Delta;
import io.multiuser.server.protocol.Node;
import io.multiuser.server.testclient.AdminHttp;
import io.multiuser.server.testclient.Nodes;
import io.multiuser.server.testclient.ServerProcess;
import io.multiuser.server.testclient.TestClient;
import io.multiuser.server.testclient.TestClient09;

/**
 * A scene exported over the admin API from one packaged server and imported into a fresh one
 * is the same graph (owners COMMON), survives a crash there, and a damaged file changes nothing;
 * with protocol 0.9, the nodes' delta chains too.
 */
class ExportImportIT {

    private static final String PASSWORD = "export-it-pw";
    private static final Duration WAIT = Duration.ofSeconds(60);

    @TempDir
    Path temp;

    private static ServerProcess start(String... options) throws Exception {
        ServerProcess server = ServerProcess.start(PASSWORD, options);
        server.awaitOutput("Listening on: http", Duration.ofSeconds(90));
        return server;
    }

    /** Payload sizes from empty to 60 KiB, three node types (one not ASCII), up to two dependencies. */
    private static List<Node> scene() {
        Random random = new Random(21);
        List<Node> base = Nodes.scene(30, 0, 21);
        List<Node> scene = new ArrayList<>();
        String[] types = {"T_Object", "T_Matériau", "T_Mesh"};
        for (int i = 0; i < base.size(); i++) {
            List<String> deps = new ArrayList<>(base.get(i).dependencies());
            if (i > 5) {
                deps.add(base.get(i / 2).uuid());
            }
            scene.add(new Node(base.get(i).uuid(), Node.COMMON, types[i % 3], deps,
                    Nodes.payload(random, (i * 2039) % (60 * 1024))));
        }
        return scene;
    }

    @Test
    void anExportImportedIntoAFreshServerIsTheSameGraphWithOwnersCommon() throws Exception {
        List<Node> scene = scene();
        Random random = new Random(22);
        List<Node> expected = new ArrayList<>(scene);
        byte[] file;
        try (ServerProcess a = start("-Dmultiuser.store.directory=" + temp.resolve("a"));
                TestClient host = new TestClient(a.basePort, "host");
                TestClient editor = new TestClient(a.basePort, "editor")) {
            assertThat(host.loginAsAdmin(PASSWORD)).isEqualTo("LOBBY");
            host.upload(scene);
            assertThat(editor.loginAsClient()).isEqualTo("RUNNING");
            for (int i : new int[] {3, 7, 11, 29}) { // edits: new payloads, one with other dependencies
                Node edited = Nodes.edited(scene.get(i), Nodes.payload(random, 100 + i * 300));
                if (i == 11) {
                    edited = new Node(edited.uuid(), edited.owner(), edited.type(), List.of(scene.get(0).uuid()),
                            edited.payload());
                }
                editor.push(edited);
                expected.set(i, edited);
            }
            for (int i = 0; i < 2; i++) { // new nodes, owned by their creator
                Node fresh = new Node("created-" + i + "-" + random.nextInt(1000), "editor", "T_Light",
                        List.of(scene.get(4).uuid()), Nodes.payload(random, 5000));
                editor.push(fresh);
                expected.add(fresh);
            }
            editor.send("editor", "RepRightCommand", TestClient.map("uuid", scene.get(9).uuid(), "owner", "editor"));
            expected.set(9, scene.get(9).withOwner("editor"));
            for (int i : new int[] {20, 5}) {
                editor.send("editor", "RepDeleteCommand", scene.get(i).uuid());
            }
            expected.remove(scene.get(20));
            expected.remove(scene.get(5));

            AdminHttp admin = new AdminHttp(a.httpPort, PASSWORD);
            List<String> want = expected.stream().map(AdminHttp::fingerprint).toList();
            file = awaitExport(admin, want); // the edits travel on other sockets: wait until all are in
            assertThat(AdminHttp.scene(file).stream().map(AdminHttp::fingerprint).toList()).isEqualTo(want);
        }
        Path saved = temp.resolve("scene.musession");
        Files.write(saved, file);
        List<String> imported = expected.stream().map(n -> AdminHttp.fingerprint(n.withOwner(Node.COMMON))).toList();

        Path dataB = temp.resolve("b");
        byte[] exportB;
        try (ServerProcess b = start("-Dmultiuser.store.directory=" + dataB);
                TestClient bob = new TestClient(b.basePort, "bob")) {
            AdminHttp admin = new AdminHttp(b.httpPort, PASSWORD);
            assertThat(bob.loginAsClient()).isEqualTo("LOBBY");

            HttpResponse<byte[]> refused = admin.post("session/import", Files.readAllBytes(saved));
            assertThat(refused.statusCode()).isEqualTo(409);
            assertThat(AdminHttp.text(refused)).contains("bob").contains("force=true");
            assertThat(admin.json("session").get("nodes").asInt()).isZero();
            assertThat(bob.receivesNo("RepDisconnectCommand", 300)).isTrue();

            HttpResponse<byte[]> forced = admin.post("session/import?force=true", Files.readAllBytes(saved));
            assertThat(forced.statusCode()).as(AdminHttp.text(forced)).isEqualTo(200);
            JsonNode answer = AdminHttp.json(forced);
            assertThat(answer.get("nodes").asInt()).isEqualTo(expected.size());
            assertThat(answer.get("payloadBytes").asLong())
                    .isEqualTo(expected.stream().mapToLong(n -> n.payload().length()).sum());
            assertThat(answer.get("disconnected").toString()).isEqualTo("[\"bob\"]");
            bob.await("RepDisconnectCommand");
            assertThat(admin.json("users").size()).isZero();
            assertThat(admin.json("session").get("state").asText()).isEqualTo("active");

            exportB = admin.export();
            assertThat(AdminHttp.scene(exportB).stream().map(AdminHttp::fingerprint).toList()).isEqualTo(imported);

            try (TestClient joiner = new TestClient(b.basePort, "joiner")) {
                assertThat(joiner.loginAsClient()).isEqualTo("RUNNING");
                joiner.send("joiner", "RepSnapshotCommand", TestClient.map("STATE", "REQUEST_INIT"));
                List<String> catalog = TestClient.catalog(joiner.await("RepSnapshotCommand"));
                assertThat(catalog).isEqualTo(expected.stream().map(Node::uuid).toList());
                Map<String, TestClient.Block> got = joiner.download(catalog);
                assertThat(catalog.stream().map(u -> got.get(u)).map(bl -> AdminHttp.fingerprint(new Node(bl.uuid(),
                        bl.owner(), bl.type(), bl.dependencies(), bl.payload()))).toList()).isEqualTo(imported);

                // Damaged files, even forced: 400, the scene and the users as they were.
                for (Map.Entry<String, byte[]> damaged : damaged(exportB).entrySet()) {
                    HttpResponse<byte[]> r = admin.post("session/import?force=true", damaged.getValue());
                    assertThat(r.statusCode()).as("%s: %s", damaged.getKey(), AdminHttp.text(r)).isEqualTo(400);
                    assertThat(AdminHttp.text(r)).as(damaged.getKey()).contains("nothing imported");
                    assertThat(admin.export()).as("scene after %s", damaged.getKey()).isEqualTo(exportB);
                }
                assertThat(joiner.receivesNo("RepDisconnectCommand", 300)).isTrue();
                assertThat(admin.json("users").size()).isEqualTo(1);
            }

            // The import is durable like any change: once written, a crash keeps it.
            awaitNothingPending(admin);
            b.kill();
        }
        try (ServerProcess again = start("-Dmultiuser.store.directory=" + dataB)) {
            again.awaitOutput("Restored the session from", WAIT);
            assertThat(new AdminHttp(again.httpPort, PASSWORD).export()).isEqualTo(exportB);
        }
    }

    /**
     * Protocol 0.9: each node's chain of deltas since its payload is in the store and in exports.
     * It survives a SIGKILL of the server (the restored session gives a joiner the same replica as
     * the author's) and an export imported into a fresh server.
     */
    @Test
    void aThreePortSceneKeepsItsChainsThroughACrashAndAnExportImport() throws Exception {
        Path dataA = temp.resolve("a09");
        List<TestClient09.NodeData> scene = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            String uuid = TestClient09.uuid();
            scene.add(new TestClient09.NodeData(uuid, Node.COMMON, i == 0 ? List.of() : List.of(scene.get(0).uuid()),
                    TestClient09.nodeData(uuid, "SynthObj", "obj-" + i, 3000)));
        }
        String n0 = scene.get(0).uuid();
        String n2 = scene.get(2).uuid();
        List<byte[]> chain0 = List.of(TestClient09.appendDelta(3, 101), TestClient09.appendDelta(4, 102));
        byte[] delta2 = TestClient09.appendDelta(3, 7);
        Map<String, String> replica;
        byte[] exportA;
        try (ServerProcess a = start("-Dmultiuser.store.directory=" + dataA, "-Dmultiuser.protocol=0.9");
                TestClient09 alice = new TestClient09(a.basePort, "alice");
                TestClient09 carol = new TestClient09(a.basePort, "carol")) {
            assertThat(alice.login(true, PASSWORD, null, TestClient09.VERSION)).isEqualTo("LOBBY");
            assertThat(alice.upload(scene)).isEqualTo("DONE");
            assertThat(carol.login(false, null, null, TestClient09.VERSION)).isEqualTo("RUNNING");
            carol.join(); // a witness: once carol has the commits, the server has them
            for (byte[] delta : chain0) {
                alice.pushCommit(n0, List.of(), delta);
            }
            alice.pushCommit(n2, List.of(), delta2); // dependencies changed by the commit
            carol.waitUntil(() -> applied(carol, n0) == 2 && applied(carol, n2) == 1, WAIT, "carol to apply them");
            replica = carol.replicaDigest();
            assertThat(replica).isEqualTo(alice.replicaDigest());

            AdminHttp admin = new AdminHttp(a.httpPort, PASSWORD);
            exportA = admin.export();
            StoreReader.Replay replay = StoreReader.read(new java.io.ByteArrayInputStream(exportA));
            assertThat(replay.damage()).isNull();
            assertThat(replay.chains()).containsOnlyKeys(n0, n2);
            assertThat(replay.chains().get(n0)).extracting(Delta::blob).containsExactlyElementsOf(chain0);
            assertThat(replay.chains().get(n2)).singleElement().satisfies(d -> {
                assertThat(d.blob()).isEqualTo(delta2);
                assertThat(d.dependencies()).isEmpty();
            });
            assertThat(replay.nodes().get(n2).dependencies()).isEmpty();
            awaitNothingPending(admin);
            a.kill();
        }
        try (ServerProcess again = start("-Dmultiuser.store.directory=" + dataA, "-Dmultiuser.protocol=0.9")) {
            again.awaitOutput("Restored the session from", WAIT);
            assertThat(new AdminHttp(again.httpPort, PASSWORD).export()).isEqualTo(exportA);
            assertThat(joinedReplica(again)).as("a joiner after the crash").isEqualTo(replica);
        }
        try (ServerProcess b = start("-Dmultiuser.store.directory=" + temp.resolve("b09"),
                "-Dmultiuser.protocol=0.9")) {
            AdminHttp admin = new AdminHttp(b.httpPort, PASSWORD);
            HttpResponse<byte[]> imported = admin.post("session/import", exportA);
            assertThat(imported.statusCode()).as(AdminHttp.text(imported)).isEqualTo(200);
            assertThat(admin.export()).isEqualTo(exportA);
            assertThat(joinedReplica(b)).as("a joiner after the import").isEqualTo(replica);
        }
    }

    private static int applied(TestClient09 client, String uuid) {
        TestClient09.Replica r = client.replica().get(uuid);
        return r == null ? -1 : r.applied().size();
    }

    /** The replica a new 0.9 client has once it joined. */
    private static Map<String, String> joinedReplica(ServerProcess server) {
        try (TestClient09 joiner = new TestClient09(server.basePort, "joiner")) {
            assertThat(joiner.login(false, null, null, TestClient09.VERSION)).isEqualTo("RUNNING");
            joiner.join();
            assertThat(joiner.errors()).isEmpty();
            return joiner.replicaDigest();
        }
    }

    /** Ways an export file arrives damaged, by name. */
    private static Map<String, byte[]> damaged(byte[] file) {
        List<Integer> starts = recordStarts(file);
        byte[] flipped = file.clone();
        flipped[starts.get(starts.size() / 2) + 40] ^= 0x10; // inside a node's record
        return Map.of(
                "cut inside a record", Arrays.copyOf(file, (starts.get(3) + starts.get(4)) / 2),
                "one bit flipped", flipped,
                // Cuts between records: every record left is whole, only the end is missing.
                "cut before its last record", Arrays.copyOf(file, starts.get(starts.size() - 1)),
                "cut after half the nodes", Arrays.copyOf(file, starts.get(starts.size() / 2)),
                "the header only", StoreFormat.header(),
                "an empty body", new byte[0]);
    }

    /** Offsets where the records of a log or export start ([int length][int crc][body]). */
    private static List<Integer> recordStarts(byte[] file) {
        List<Integer> starts = new ArrayList<>();
        int at = StoreFormat.HEADER_BYTES;
        for (int n = 0; at < file.length && n < 1_000_000; n++) {
            starts.add(at);
            at += StoreFormat.RECORD_OVERHEAD + ByteBuffer.wrap(file, at, 4).getInt();
        }
        assertThat(at).as("records end at the end of the file").isEqualTo(file.length);
        return starts;
    }

    private static byte[] awaitExport(AdminHttp admin, List<String> want) throws Exception {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (true) {
            byte[] file = admin.export();
            if (AdminHttp.scene(file).stream().map(AdminHttp::fingerprint).toList().equals(want)
                    || System.nanoTime() > deadline) {
                return file;
            }
            Thread.sleep(100);
        }
    }

    private static void awaitNothingPending(AdminHttp admin) throws Exception {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (admin.json("session").get("store").get("pendingChanges").asInt() > 0) {
            assertThat(System.nanoTime()).as("store still has changes pending").isLessThan(deadline);
            Thread.sleep(50);
        }
    }
}
