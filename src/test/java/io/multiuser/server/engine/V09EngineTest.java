package io.multiuser.server.engine;

import static io.multiuser.server.testclient.TestClient09.COMMIT;
import static io.multiuser.server.testclient.TestClient09.DELETE;
import static io.multiuser.server.testclient.TestClient09.DISCONNECT;
import static io.multiuser.server.testclient.TestClient09.RIGHT;
import static io.multiuser.server.testclient.TestClient09.SNAPSHOT;
import static io.multiuser.server.testclient.TestClient09.USER_METADATA;
import static io.multiuser.server.testclient.TestClient09.VERSION;
import static io.multiuser.server.testclient.TestClient09.map;
import static io.multiuser.server.testclient.TestClient09.normalize;
import static io.multiuser.server.testclient.TestClient09.utf8;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.zeromq.SocketType;
import org.zeromq.ZContext;
import org.zeromq.ZMQ;

import io.multiuser.server.protocol.Generation;
import io.multiuser.server.session.SessionSettings;
import io.multiuser.server.testclient.ClientPickler;
import io.multiuser.server.testclient.ClientSockets;
import io.multiuser.server.testclient.FreePorts;
import io.multiuser.server.testclient.TestClient09;
import io.multiuser.server.testclient.TestClient09.NodeData;
import io.multiuser.server.testclient.TestClient09.Received;
import io.multiuser.server.testclient.TestClient09.ServerInfo;
import io.multiuser.server.testclient.TestClient09.State;

/**
 * The three-port protocol of replication 0.9.x (docs/protocol/PROTOCOL-0.9.md) over real
 * sockets: a V09 engine and {@link TestClient09}s that behave like the 0.9.10 client library.
 * Section numbers refer to that page.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class V09EngineTest {

    static final String ADMIN_PASSWORD = "admin-s3cret";
    static final String SESSION_PASSWORD = "session-s3cret";
    static final long TIMEOUT_MILLIS = 5000;
    static final Duration WAIT = Duration.ofSeconds(10);
    /** How long one server-info request waits in these tests: a bound, not the add-on's 500 ms (the bench's). */
    static final long ANSWER_MILLIS = 3000;

    private final List<ZmqEngine> engines = new ArrayList<>();
    private final List<TestClient09> clients = new ArrayList<>();
    private ZmqEngine engine;
    private int port;
    private String sessionPassword;

    // ------------------------------------------------------------------ set-up

    /** A V09 engine on three free loopback ports; becomes the one {@link #client} connects to. */
    ZmqEngine start(String sessionPw, long heartbeatTimeoutMillis) {
        EngineStartException last = null;
        for (int attempt = 0; attempt < 10; attempt++) {
            int base = FreePorts.base();
            ZmqEngine e = new ZmqEngine(
                    EngineSettings.builder().basePort(base).unreachableTimeoutMillis(heartbeatTimeoutMillis).build(),
                    // accepted versions: by default the ones known to speak 0.9
                    SessionSettings.builder().generation(Generation.V09).adminPassword(ADMIN_PASSWORD)
                            .sessionPassword(sessionPw).heartbeatTimeoutMillis(heartbeatTimeoutMillis).build());
            try {
                e.start();
            } catch (EngineStartException failed) {
                last = failed;
                continue;
            }
            engines.add(e);
            engine = e;
            port = base;
            sessionPassword = sessionPw;
            return e;
        }
        throw new IllegalStateException("no free ports for a V09 engine", last);
    }

    void startPrivate() {
        start(SESSION_PASSWORD, TIMEOUT_MILLIS);
    }

    @AfterEach
    void stopAll() {
        clients.forEach(TestClient09::close);
        clients.clear();
        engines.forEach(ZmqEngine::close);
        engines.clear();
    }

    TestClient09 client(String name) {
        TestClient09 c = new TestClient09(port, name);
        clients.add(c);
        return c;
    }

    TestClient09 loggedIn(String name, boolean admin, String expectedReply) {
        TestClient09 c = client(name);
        assertThat(c.login(admin, admin ? ADMIN_PASSWORD : null, sessionPassword, VERSION)).as(name + " login")
                .isEqualTo(expectedReply);
        return c;
    }

    /** An admin who uploaded {@code scene} (section 5) and is ACTIVE. */
    TestClient09 host(String name, List<NodeData> scene) {
        TestClient09 c = loggedIn(name, true, "LOBBY");
        assertThat(c.upload(scene)).as("upload result").isEqualTo("DONE");
        assertThat(c.state()).isEqualTo(State.ACTIVE);
        return c;
    }

    /** A CLIENT who got RUNNING and finished the join (section 6). */
    TestClient09 joiner(String name) {
        TestClient09 c = loggedIn(name, false, "RUNNING");
        c.join();
        return c;
    }

    static NodeData node(String owner, List<String> deps) {
        String uuid = TestClient09.uuid();
        return new NodeData(uuid, owner, deps, TestClient09.nodeData(uuid, "SynthObj", "obj-" + uuid, 700));
    }

    /** {@code count} COMMON nodes, each depending on the one before. */
    static List<NodeData> scene(int count) {
        List<NodeData> out = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            out.add(node("COMMON", i == 0 ? List.of() : List.of(out.get(i - 1).uuid())));
        }
        return out;
    }

    /** A real deepdiff delta blob from the 0.9.10 client (contains STACK_GLOBAL): opaque to the server. */
    static byte[] realDelta() {
        Path p = Paths.get(System.getProperty("user.dir"), "src/test/resources/vectors-0.9/data_c2s_Commit/frame3.bin");
        try {
            return Files.readAllBytes(p);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    static void assertHealthy(TestClient09... cs) {
        for (TestClient09 c : cs) {
            assertThat(c.errors()).as("%s: what would have ended the real client's session", c.name).isEmpty();
        }
    }

    static int commits(TestClient09 c, String uuid) {
        TestClient09.Replica r = c.replica().get(uuid);
        return r == null ? -1 : r.applied().size();
    }

    /** The user names of an UpdateClientsState table. */
    static List<String> names(Object table) {
        return ((Map<?, ?>) table).keySet().stream().map(String::valueOf).toList();
    }

    @SuppressWarnings("unchecked")
    static List<String> uuidsOf(Received right) {
        return (List<String>) ((Map<String, Object>) right.data()).get("uuid");
    }

    // ------------------------------------------------------------------ section 4: login

    @Test
    void loginRefusalsCarryTheExactReasonsInTheReferenceOrder() {
        startPrivate();
        TestClient09 alice = loggedIn("alice", true, "LOBBY");

        // 1. name taken comes before every other check
        assertThat(client("alice").login(false, null, SESSION_PASSWORD, VERSION))
                .isEqualTo("FAILED: client already logged in");
        assertThat(client("alice").login(true, "wrong", "wrong", "0.0.1-forged"))
                .isEqualTo("FAILED: client already logged in");
        // 2. admin password before the session password and the version
        assertThat(client("bob").login(true, "wrong", SESSION_PASSWORD, VERSION))
                .isEqualTo("FAILED: wrong admin password");
        assertThat(client("bob").login(true, "wrong", "wrong", "0.0.1-forged"))
                .isEqualTo("FAILED: wrong admin password");
        // 3. session password, for admins too, before the version
        assertThat(client("carol").login(false, null, "wrong", VERSION)).isEqualTo("FAILED: wrong server password");
        assertThat(client("carol").login(true, ADMIN_PASSWORD, "wrong", VERSION))
                .isEqualTo("FAILED: wrong server password");
        assertThat(client("carol").login(false, null, "", VERSION)).isEqualTo("FAILED: wrong server password");
        assertThat(client("carol").login(false, null, "wrong", "0.0.1-forged"))
                .isEqualTo("FAILED: wrong server password");
        // 4. version, with the server's primary version
        assertThat(client("dave").login(false, null, SESSION_PASSWORD, "0.0.1-forged"))
                .isEqualTo("FAILED: wrong client version (0.0.1-forged != 0.9.10)");
        assertThat(client("dave").login(false, null, SESSION_PASSWORD, "0.1.25"))
                .isEqualTo("FAILED: wrong client version (0.1.25 != 0.9.10)");

        for (TestClient09 refused : List.copyOf(clients.subList(1, clients.size()))) {
            assertThat(refused.state()).as(refused.name).isEqualTo(State.QUIT);
            assertThat(refused.received(TestClient09.AUTH)).as("%s: one Auth reply", refused.name).hasSize(1);
        }
        // Refused identities were not registered: "bob" is free, and a CLIENT's A_PWD is not looked at.
        TestClient09 bob = client("bob");
        assertThat(bob.login(false, "not-looked-at", SESSION_PASSWORD, VERSION)).isEqualTo("LOBBY");
        // 0.9.9 (add-on 0.6.8) is wire-identical and accepted too.
        assertThat(client("erin").login(false, null, SESSION_PASSWORD, "0.9.9")).isEqualTo("LOBBY");
        alice.waitUntil(() -> alice.users().keySet().equals(Set.of("alice", "bob", "erin")), WAIT,
                "a user table of exactly alice, bob and erin");
        assertHealthy(clients.toArray(new TestClient09[0]));
    }

    @Test
    void theClientsStateComesBeforeTheAuthReplyAndListsTheNewUser() {
        startPrivate();
        TestClient09 alice = loggedIn("alice", true, "LOBBY");
        TestClient09 bob = loggedIn("bob", false, "LOBBY");

        for (TestClient09 c : List.of(alice, bob)) {
            List<Received> log = c.receivedLog();
            int auth = -1;
            for (int i = 0; i < log.size(); i++) {
                if (log.get(i).type() == TestClient09.AUTH) {
                    auth = i;
                    break;
                }
            }
            assertThat(auth).as("%s: Auth reply index in %s", c.name, log).isPositive();
            Received before = log.get(auth - 1);
            assertThat(before.type()).as("%s: command just before the Auth reply", c.name)
                    .isEqualTo(TestClient09.CLIENTS_STATE);
            assertThat(before.owner()).isEqualTo("server");
            assertThat(log.get(auth).owner()).isEqualTo("server");
            Map<?, ?> table = (Map<?, ?>) before.data();
            assertThat(normalize(table.get(c.name))).as("%s: own record", c.name).isEqualTo(normalize(map("id", c.name,
                    "admin", c == alice, "latency", 999, "status", 10, "metadata", Map.of())));
        }
        Map<?, ?> atBobsLogin = (Map<?, ?>) bob.receivedLog().stream()
                .filter(r -> r.type() == TestClient09.CLIENTS_STATE).findFirst().orElseThrow().data();
        assertThat(names(atBobsLogin)).containsExactlyInAnyOrder("alice", "bob");
        alice.await(TestClient09.CLIENTS_STATE, r -> ((Map<?, ?>) r.data()).containsKey("bob"));
        assertHealthy(alice, bob);
    }

    @Test
    void aPublicSessionAcceptsAnEmptyOrNoneSessionPasswordAndSaysItIsNotPrivate() {
        start("", TIMEOUT_MILLIS);
        assertThat(client("alice").login(true, ADMIN_PASSWORD, "", VERSION)).isEqualTo("LOBBY");
        assertThat(client("bob").login(false, null, null, VERSION)).isEqualTo("LOBBY");
        assertThat(client("carol").login(false, null, "", VERSION)).isEqualTo("LOBBY");

        ServerInfo info = serverInfo();
        assertThat(info).as("server info answer").isNotNull();
        assertThat(normalize(info.data())).isEqualTo(normalize(map("private", false, "version", "0.9.10")));
        assertHealthy(clients.toArray(new TestClient09[0]));
    }

    // ------------------------------------------------------------------ section 10: server info

    /**
     * A server-info answer to a stranger's fresh connection, or null. A JeroMQ 0.6 client's new
     * connection sometimes waits about 30 s for its handshake, against any ROUTER (docs/performance.md,
     * "Fuzz"); the add-on's libzmq does not. Such a stalled connection is replaced by a fresh one, as
     * the fuzz harness does, so that this test measures the server, not the test client.
     */
    private ServerInfo serverInfo() {
        for (int attempt = 0; attempt < 3; attempt++) {
            ServerInfo info = TestClient09.requestServerInfo("127.0.0.1", port, ANSWER_MILLIS);
            if (info != null) {
                return info;
            }
        }
        return null;
    }

    /**
     * The add-on gives up on an answer after 500 ms; how fast the server answers is the bench's
     * (Bench09, "server-info requests"). Here: that strangers are answered, and never become users.
     */
    @Test
    void serverInfoIsAnsweredToAStranger() {
        startPrivate();
        ServerInfo first = serverInfo(); // nobody logged in yet
        assertThat(first).as("answer to the first request").isNotNull();
        TestClient09 alice = loggedIn("alice", true, "LOBBY");
        for (int i = 0; i < 3; i++) {
            ServerInfo info = serverInfo();
            assertThat(info).as("answer %d", i).isNotNull();
            assertThat(info.type()).isEqualTo(TestClient09.SERVER_INFO);
            assertThat(info.owner()).isEqualTo("server");
            assertThat(normalize(info.data())).isEqualTo(normalize(map("private", true, "version", "0.9.10")));
        }
        assertThat(normalize(first.data())).isEqualTo(normalize(map("private", true, "version", "0.9.10")));
        // The strangers never logged in: the next periodic table still lists alice alone.
        Received next = alice.awaitNext(TestClient09.CLIENTS_STATE, r -> true, WAIT);
        assertThat(names(next.data())).containsExactly("alice");
        assertHealthy(alice);
    }

    // ------------------------------------------------------------------ sections 5-7: upload, join, deltas

    @Test
    void bigUploadedNodesKeptAsViewsOfTheirFramesReachALateJoinerIntact() {
        startPrivate();
        List<NodeData> scene = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            String uuid = TestClient09.uuid();
            // 5 to 80 KB: every payload is a view of its SET frame on the server, not a copy.
            scene.add(new NodeData(uuid, "COMMON", List.of(), TestClient09.nodeData(uuid, "SynthObj", "big-" + i,
                    5_000 + i * 25_000)));
        }
        TestClient09 alice = host("alice", scene);
        TestClient09 bob = joiner("bob");

        assertThat(bob.replica()).hasSize(4);
        assertThat(bob.replicaDigest()).as("joiner's replica = uploader's").isEqualTo(alice.replicaDigest());
        assertHealthy(alice, bob);
    }

    @Test
    void aLateJoinerWithCommitsInFlightGetsBasePlusChainExactlyOnce() {
        startPrivate();
        List<NodeData> scene = scene(5);
        TestClient09 alice = host("alice", scene);
        TestClient09 carol = joiner("carol"); // a witness: when carol has an edit, the server has it
        String n0 = scene.get(0).uuid();
        List<String> deps0 = scene.get(0).deps();

        alice.pushCommit(n0, deps0, realDelta());
        alice.pushCommit(n0, deps0, TestClient09.appendDelta(3, 103));
        carol.waitUntil(() -> commits(carol, n0) == 2, WAIT, "carol to apply two commits");

        TestClient09 bob = client("bob");
        bob.holdGetsAfter(0);
        assertThat(bob.login(false, null, SESSION_PASSWORD, VERSION)).isEqualTo("RUNNING");
        bob.awaitHeld(); // the catalog arrived; bob is in LOBBY and drops datablocks

        String n4 = scene.get(4).uuid();
        alice.pushCommit(n0, deps0, TestClient09.appendDelta(4, 104));
        alice.pushCommit(n4, scene.get(4).deps(), TestClient09.appendDelta(3, 7));
        carol.waitUntil(() -> commits(carol, n0) == 3 && commits(carol, n4) == 1, WAIT, "carol to apply them");

        bob.holdGetsAfter(2);
        bob.awaitHeld(); // SYNCING after two SETs: datablocks are queued from now on

        String n2 = scene.get(2).uuid();
        alice.pushCommit(n0, deps0, TestClient09.appendDelta(5, 105));
        alice.pushCommit(n2, scene.get(2).deps(), TestClient09.appendDelta(3, 9));
        carol.waitUntil(() -> commits(carol, n0) == 4 && commits(carol, n2) == 1, WAIT, "carol to apply them");
        bob.awaitDatablock(d -> d.type() == COMMIT && d.uuid().equals(n2) && d.fate().equals("queued"), WAIT);

        bob.releaseGets();
        bob.awaitActive();
        String n1 = scene.get(1).uuid();
        alice.pushCommit(n1, scene.get(1).deps(), TestClient09.appendDelta(3, 11));
        bob.waitUntil(() -> commits(bob, n1) == 1, WAIT, "bob to apply a live commit");
        carol.waitUntil(() -> commits(carol, n1) == 1, WAIT, "carol to apply a live commit");

        assertThat(commits(bob, n0)).as("commits on n0 applied by the joiner (exactly once)").isEqualTo(4);
        assertThat(bob.replicaDigest()).as("joiner's replica = author's").isEqualTo(alice.replicaDigest());
        assertThat(carol.replicaDigest()).as("witness's replica = author's").isEqualTo(alice.replicaDigest());
        assertThat(bob.datablocks()).as("nothing forwarded to the joiner while it was in LOBBY")
                .noneMatch(d -> d.fate().equals("dropped"));
        assertThat(bob.replica().values()).allMatch(TestClient09.Replica::loaded);
        assertHealthy(alice, bob, carol);
    }

    @Test
    void nodesCreatedDuringAJoinReachTheJoinerAndAreLoaded() {
        startPrivate();
        List<NodeData> scene = scene(3);
        TestClient09 alice = host("alice", scene);
        TestClient09 carol = joiner("carol");

        TestClient09 bob = client("bob");
        bob.holdGetsAfter(0);
        assertThat(bob.login(false, null, SESSION_PASSWORD, VERSION)).isEqualTo("RUNNING");
        bob.awaitHeld(); // LOBBY with the catalog: the new node is not in it

        NodeData inLobby = node("alice", List.of(scene.get(0).uuid()));
        alice.pushNode(inLobby);
        alice.pushCommit(inLobby.uuid(), inLobby.deps(), TestClient09.appendDelta(3, 1));
        carol.waitUntil(() -> commits(carol, inLobby.uuid()) == 1, WAIT, "carol to get the node created in LOBBY");

        bob.holdGetsAfter(1);
        bob.awaitHeld(); // SYNCING

        NodeData whileSyncing = node("alice", List.of());
        alice.pushNode(whileSyncing);
        alice.pushCommit(whileSyncing.uuid(), List.of(inLobby.uuid()), TestClient09.appendDelta(3, 2));
        carol.waitUntil(() -> commits(carol, whileSyncing.uuid()) == 1, WAIT, "carol to get the node created while syncing");

        bob.releaseGets();
        bob.awaitActive();
        bob.waitUntil(() -> {
            Map<String, TestClient09.Replica> r = bob.replica();
            return r.containsKey(inLobby.uuid()) && r.get(inLobby.uuid()).loaded()
                    && r.containsKey(whileSyncing.uuid()) && r.get(whileSyncing.uuid()).loaded()
                    && commits(bob, inLobby.uuid()) == 1 && commits(bob, whileSyncing.uuid()) == 1;
        }, WAIT, "both new nodes, with their commit, stored and loaded (received while ACTIVE)");

        assertThat(bob.replicaDigest()).isEqualTo(alice.replicaDigest());
        assertThat(bob.replica().get(inLobby.uuid()).owner()).isEqualTo("alice");
        assertHealthy(alice, bob, carol);
    }

    @Test
    void aNodeDeletedDuringAJoinIsAnsweredRemovedAndItsDeleteComesAfterDone() {
        startPrivate();
        List<NodeData> scene = scene(3);
        TestClient09 alice = host("alice", scene);

        TestClient09 bob = client("bob");
        bob.holdGetsAfter(0);
        assertThat(bob.login(false, null, SESSION_PASSWORD, VERSION)).isEqualTo("RUNNING");
        bob.awaitHeld();
        @SuppressWarnings("unchecked")
        List<String> catalog = (List<String>) ((Map<String, Object>) bob.received(SNAPSHOT).get(0).data())
                .get("CATALOG");
        assertThat(catalog).containsExactlyInAnyOrderElementsOf(scene.stream().map(NodeData::uuid).toList());
        String victim = catalog.get(0); // asked for last

        alice.delete(victim);
        alice.await(DELETE, r -> victim.equals(r.data()));

        bob.releaseGets();
        bob.awaitActive();
        assertThat(bob.received(SNAPSHOT)).as("one catalog, then one SET per GET")
                .hasSize(1 + catalog.size());
        Object last = ((Map<?, ?>) bob.received(SNAPSHOT).get(catalog.size()).data()).get("DATA");
        assertThat(last).as("SET for the deleted node").isInstanceOf(byte[].class);
        assertThat(utf8((byte[]) last)).isEqualTo("removed");
        Received delete = bob.await(DELETE, r -> victim.equals(r.data()));
        assertThat(delete.state()).as("the Delete is held back until the joiner's DONE").isEqualTo(State.ACTIVE);
        assertThat(bob.replicaDigest()).isEqualTo(alice.replicaDigest()).doesNotContainKey(victim);
        assertHealthy(alice, bob);
    }

    @Test
    void anUploadWhileActiveIsRejectedAndTheLobbyAdminGetsTheCatalog() {
        startPrivate();
        List<NodeData> scene = scene(2);
        TestClient09 alice = host("alice", scene);
        TestClient09 dave = client("dave");
        dave.autoRequestInit(false); // stays in LOBBY, like a user pressing Init again
        assertThat(dave.login(true, ADMIN_PASSWORD, SESSION_PASSWORD, VERSION)).isEqualTo("RUNNING");

        assertThat(dave.upload(scene(2))).isEqualTo("REJECTED");
        dave.awaitActive(); // the catalog came without REQUEST_INIT, and dave joined
        assertThat(dave.replicaDigest()).isEqualTo(alice.replicaDigest());
        assertHealthy(alice, dave);
    }

    @Test
    void uploadMessagesOutOfPlaceAreIgnoredAndTheServerKeepsAnswering() {
        startPrivate();
        TestClient09 alice = loggedIn("alice", true, "LOBBY");
        NodeData stray = node("COMMON", List.of());
        // A SET without an upload, an END without an upload (both killed the reference's command loop).
        alice.command(TestClient09.SERVER_SNAPSHOT, "server", map("STATE", "SET", "DATA", TestClient09.chunks(stray)));
        alice.command(TestClient09.SERVER_SNAPSHOT, "server", map("STATE", "END"));
        TestClient09 stranger = client("stranger"); // never logs in
        stranger.command(TestClient09.SERVER_SNAPSHOT, "server", map("STATE", "END"));

        List<NodeData> scene = scene(3);
        assertThat(alice.upload(scene)).isEqualTo("DONE");
        TestClient09 bob = joiner("bob");
        assertThat(bob.replica()).doesNotContainKey(stray.uuid()).hasSize(3);
        assertHealthy(alice, bob);
    }

    @Test
    void deletingEveryNodeSendsTheSessionBackToWaitingSoJoinersGetLobby() {
        startPrivate();
        List<NodeData> scene = scene(2);
        TestClient09 alice = host("alice", scene);
        for (NodeData n : scene) {
            alice.delete(n.uuid());
            alice.await(DELETE, r -> n.uuid().equals(r.data()));
        }
        // RUNNING would be followed by an empty catalog, which ends the joiner's session.
        TestClient09 bob = loggedIn("bob", false, "LOBBY");
        assertThat(bob.received(SNAPSHOT)).isEmpty();
        assertHealthy(alice, bob);
    }

    // ------------------------------------------------------------------ section 8: Right, Delete

    @Test
    void rightAndDeleteAreEchoedToTheSenderToo() {
        startPrivate();
        List<NodeData> scene = scene(3);
        TestClient09 alice = host("alice", scene);
        TestClient09 bob = joiner("bob");
        String n0 = scene.get(0).uuid();
        String n1 = scene.get(1).uuid();
        String n2 = scene.get(2).uuid();

        bob.right(List.of(n0, n1), "bob");
        for (TestClient09 c : List.of(bob, alice)) {
            Received right = c.await(RIGHT);
            assertThat(right.owner()).as("%s: Right owner frame", c.name).isEqualTo("bob");
            assertThat(normalize(right.data())).as("%s: Right data", c.name)
                    .isEqualTo(normalize(map("uuid", List.of(n0, n1), "owner", "bob")));
        }
        bob.waitUntil(() -> "bob".equals(bob.replica().get(n1).owner()), WAIT, "bob's own echo applied");

        alice.delete(n2);
        for (TestClient09 c : List.of(alice, bob)) {
            Received delete = c.await(DELETE);
            assertThat(delete.owner()).isEqualTo("client");
            assertThat(delete.data()).isEqualTo(n2);
        }
        alice.waitUntil(() -> !alice.replica().containsKey(n2), WAIT, "alice's own Delete echo applied");
        bob.waitUntil(() -> !bob.replica().containsKey(n2), WAIT, "bob to apply the Delete");
        assertThat(bob.replicaDigest()).isEqualTo(alice.replicaDigest());
        assertThat(bob.replica().get(n0).owner()).isEqualTo("bob");
        assertHealthy(alice, bob);
    }

    @Test
    void rightsDeletesAndPushesOnAnotherUsersNodeAreRefused() {
        startPrivate();
        List<NodeData> scene = scene(3);
        TestClient09 alice = host("alice", scene);
        TestClient09 bob = joiner("bob");
        TestClient09 carol = joiner("carol");
        String n0 = scene.get(0).uuid();
        String n1 = scene.get(1).uuid();
        String n2 = scene.get(2).uuid();
        bob.right(List.of(n0), "bob");
        carol.await(RIGHT, r -> "bob".equals(r.owner()));

        carol.right(List.of(n0, n1), "carol"); // n0 is bob's: dropped from the list
        Received echo = carol.await(RIGHT, r -> "carol".equals(r.owner()));
        assertThat(normalize(echo.data())).isEqualTo(normalize(map("uuid", List.of(n1), "owner", "carol")));

        carol.pushRaw(TestClient09.typeFrame(COMMIT), utf8(n0), ClientPickler.dumps(List.of()),
                TestClient09.appendDelta(3, 666)); // bob's node
        carol.pushCommit(n1, scene.get(1).deps(), TestClient09.appendDelta(3, 1)); // her own
        bob.awaitDatablock(d -> d.uuid().equals(n1), WAIT);
        assertThat(bob.datablocks()).as("the Commit on bob's node was not forwarded")
                .noneMatch(d -> d.uuid().equals(n0));

        carol.delete(n0); // bob's: refused
        carol.delete(n2); // COMMON: accepted
        carol.await(DELETE, r -> n2.equals(r.data()));
        assertThat(carol.received(DELETE)).extracting(Received::data).containsExactly(n2);
        assertThat(bob.replica()).containsKey(n0);
        assertHealthy(alice, bob, carol);
    }

    @Test
    void aCommitAfterTheDeleteIsNotForwardedAndCannotResurrectTheNode() {
        startPrivate();
        List<NodeData> scene = scene(3);
        TestClient09 alice = host("alice", scene);
        TestClient09 bob = joiner("bob");
        String n0 = scene.get(0).uuid();
        String n1 = scene.get(1).uuid();

        alice.delete(n1);
        alice.await(DELETE, r -> n1.equals(r.data()));
        bob.await(DELETE, r -> n1.equals(r.data()));
        // A last edit that travelled on P+1 behind the Delete (scenario n), and a full Node of it.
        alice.pushRaw(TestClient09.typeFrame(COMMIT), utf8(n1), ClientPickler.dumps(List.of()),
                TestClient09.appendDelta(3, 13));
        alice.pushRaw(TestClient09.typeFrame(TestClient09.NODE), utf8(n1), utf8("COMMON"),
                ClientPickler.dumps(List.of()), scene.get(1).data());
        alice.pushCommit(n0, scene.get(0).deps(), TestClient09.appendDelta(3, 14)); // one connection: after them
        bob.awaitDatablock(d -> d.uuid().equals(n0), WAIT);

        assertThat(bob.datablocks()).as("datablocks for the deleted node").noneMatch(d -> d.uuid().equals(n1));
        TestClient09 carol = joiner("carol");
        assertThat(carol.replicaDigest()).isEqualTo(alice.replicaDigest()).doesNotContainKey(n1);
        assertThat(bob.replicaDigest()).isEqualTo(alice.replicaDigest());
        assertHealthy(alice, bob, carol);
    }

    // ------------------------------------------------------------------ section 9: metadata

    @Test
    void metadataIsForwardedToOthersWithTheSendersNameAndKeepsSetsAndTuples() {
        startPrivate();
        TestClient09 alice = loggedIn("alice", true, "LOBBY");
        TestClient09 bob = loggedIn("bob", false, "LOBBY");
        alice.await(TestClient09.CLIENTS_STATE, r -> ((Map<?, ?>) r.data()).containsKey("bob"));

        List<Object> corners = new ArrayList<>();
        for (int i = 0; i < 7; i++) {
            corners.add(List.of(0.1 * i, 0.2 * i, 0.3));
        }
        Map<String, Object> full = map("view_corners", corners,
                "view_matrix", List.of(List.of(1.0, 0.0, 0.0, 0.0), List.of(0.0, 1.0, 0.0, 0.0),
                        List.of(0.0, 0.0, 1.0, -10.0), List.of(0.0, 0.0, 0.0, 1.0)),
                "color", new Object[] {0.25, 0.5, 0.75, 1}, "frame_current", 42, "scene_current", "Scene",
                "mode_current", "OBJECT");
        // A command pickle that names a global is dropped (section 2), and the loop goes on.
        alice.sendRaw(TestClient09.typeFrame(USER_METADATA), utf8("alice"),
                new byte[] {(byte) 0x80, 4, (byte) 0x8c, 8, 'b', 'u', 'i', 'l', 't', 'i', 'n', 's', (byte) 0x8c, 4, 'e',
                    'v', 'a', 'l', (byte) 0x93, '.'});
        alice.command(USER_METADATA, "mallory", full); // the owner frame is not trusted

        Received first = bob.await(USER_METADATA);
        assertThat(first.owner()).as("owner frame = the sender's registered name").isEqualTo("alice");
        assertThat(normalize(first.data())).isEqualTo(normalize(full));

        Map<String, Object> selection = new java.util.LinkedHashMap<>();
        selection.put("selected_objects", new LinkedHashSet<>(List.of(TestClient09.uuid(), TestClient09.uuid())));
        selection.put("view_matrix", null);
        alice.metadata(selection);
        Received second = bob.await(USER_METADATA);
        assertThat(second.owner()).isEqualTo("alice");
        assertThat(normalize(second.data())).as("a set stays a set, None stays None")
                .isEqualTo(normalize(selection));
        assertThat(((Map<?, ?>) second.data()).containsKey("view_matrix")).as("None kept as a value").isTrue();
        assertThat(((Map<?, ?>) second.data()).get("selected_objects")).isInstanceOf(Set.class);

        // Not echoed to the sender: bob's answer comes after anything the server sent alice for hers.
        bob.metadata(map("frame_current", 7));
        alice.await(USER_METADATA, r -> "bob".equals(r.owner()));
        assertThat(alice.received(USER_METADATA)).extracting(Received::owner).containsExactly("bob");

        // The merged dict reaches everybody's table with the types kept.
        Map<String, Object> merged = new java.util.LinkedHashMap<>(full);
        merged.putAll(selection);
        Received table = bob.await(TestClient09.CLIENTS_STATE, r -> {
            Map<?, ?> a = (Map<?, ?>) ((Map<?, ?>) r.data()).get("alice");
            return a != null && ((Map<?, ?>) a.get("metadata")).containsKey("selected_objects");
        });
        Map<?, ?> a = (Map<?, ?>) ((Map<?, ?>) table.data()).get("alice");
        assertThat(normalize(a.get("metadata"))).isEqualTo(normalize(merged));
        assertThat(bob.received(USER_METADATA)).hasSize(2);
        assertHealthy(alice, bob);
    }

    // ------------------------------------------------------------------ section 12: kick, leaving

    @Test
    void kickByANonAdminIsIgnoredAndByAnAdminDisconnectsAndFreesTheNodes() {
        startPrivate();
        List<NodeData> scene = scene(2);
        TestClient09 alice = host("alice", scene);
        TestClient09 bob = joiner("bob");
        TestClient09 carol = joiner("carol");
        String n0 = scene.get(0).uuid();
        String n1 = scene.get(1).uuid();
        carol.right(List.of(n0), "carol");
        alice.await(RIGHT, r -> "carol".equals(r.owner()));
        bob.await(RIGHT, r -> "carol".equals(r.owner()));

        bob.kick("carol");
        bob.right(List.of(n1), "COMMON"); // echoed to all: a barrier behind the kick on carol's stream
        carol.await(RIGHT, r -> "bob".equals(r.owner()));
        assertThat(carol.received(DISCONNECT)).as("kick by a CLIENT").isEmpty();
        assertThat(carol.state()).isEqualTo(State.ACTIVE);

        alice.kick("carol");
        Received disconnect = carol.await(DISCONNECT);
        assertThat(disconnect.owner()).isEqualTo("server");
        assertThat(normalize(disconnect.data())).isEqualTo(normalize(map("reason", "kicked by admin")));
        // the client logs a message before it reacts to it: wait for the reaction
        carol.waitUntil(() -> carol.state() == State.QUIT, WAIT, "carol to end her session");
        for (TestClient09 c : List.of(alice, bob)) {
            Received freed = c.await(RIGHT, r -> "server".equals(r.owner()));
            assertThat(normalize(freed.data())).isEqualTo(normalize(map("uuid", List.of(n0), "owner", "COMMON")));
            c.waitUntil(() -> !c.users().containsKey("carol"), WAIT, "carol to leave the user table");
        }
        assertThat(alice.replica().get(n0).owner()).isEqualTo("COMMON");
        assertHealthy(alice, bob, carol);
    }

    @Test
    void anAdminKickingHerselfOrAnUnknownNameIsIgnored() {
        startPrivate();
        List<NodeData> scene = scene(1);
        TestClient09 alice = host("alice", scene);
        TestClient09 bob = joiner("bob");

        String n0 = scene.get(0).uuid();
        for (String target : List.of("nobody", "alice")) {
            int echoes = alice.received(RIGHT).size();
            alice.kick(target);
            alice.right(List.of(n0), "COMMON"); // the echo comes behind any Disconnect on alice's stream
            alice.waitUntil(() -> alice.received(RIGHT).size() > echoes || !alice.received(DISCONNECT).isEmpty(),
                    WAIT, "the echo of the Right after kicking " + target);
            assertThat(alice.received(DISCONNECT)).as("Disconnect to an admin who kicked '%s' (section 12: "
                    + "ignore kicking oneself and unknown names)", target).isEmpty();
        }
        bob.await(RIGHT, r -> "alice".equals(r.owner()));
        assertThat(alice.state()).isEqualTo(State.ACTIVE);
        assertThat(bob.received(RIGHT)).as("no departure Right from the server")
                .noneMatch(r -> "server".equals(r.owner()));
        assertHealthy(alice, bob);
    }

    // ------------------------------------------------------------------ section 11: heartbeat

    @Test
    void aSilentClientIsDroppedAfterTheTimeoutAndItsNodesBecomeCommonInOneRight() {
        long timeout = 1500;
        start(SESSION_PASSWORD, timeout);
        List<NodeData> scene = scene(3);
        TestClient09 alice = host("alice", scene);
        TestClient09 bob = joiner("bob");
        String n0 = scene.get(0).uuid();
        String n1 = scene.get(1).uuid();
        bob.right(List.of(n0, n1), "bob");
        alice.await(RIGHT, r -> "bob".equals(r.owner()));
        bob.await(RIGHT, r -> "bob".equals(r.owner()));

        long stopped = System.nanoTime();
        bob.stopHeartbeat(); // the heartbeat process dies; nothing says goodbye

        Received freed = alice.await(RIGHT, r -> "server".equals(r.owner()), Duration.ofMillis(timeout + 8000));
        long afterMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - stopped);
        assertThat(afterMillis).as("dropped after the timeout (less the ≤1 s since the last PONG)")
                .isGreaterThanOrEqualTo(timeout - 1000);
        assertThat(new HashSet<>(uuidsOf(freed))).containsExactlyInAnyOrder(n0, n1);
        assertThat(((Map<?, ?>) freed.data()).get("owner")).isEqualTo("COMMON");
        alice.waitUntil(() -> alice.users().keySet().equals(Set.of("alice")), WAIT, "bob to leave the table");
        assertThat(alice.received(RIGHT).stream().filter(r -> "server".equals(r.owner())))
                .as("one Right from the server for the departure").hasSize(1);
        assertThat(alice.replica().get(n0).owner()).isEqualTo("COMMON");
        assertThat(alice.replica().get(n1).owner()).isEqualTo("COMMON");
        assertThat(alice.state()).isEqualTo(State.ACTIVE);
        assertHealthy(alice);
    }

    @Test
    void aUserWhoseHeartbeatNeverStartsIsDropped() {
        long timeout = 1500;
        start(SESSION_PASSWORD, timeout);
        TestClient09 alice = loggedIn("alice", true, "LOBBY");
        TestClient09 ghost = client("ghost");
        ghost.startHeartbeatAtLogin(false);
        assertThat(ghost.login(false, null, SESSION_PASSWORD, VERSION)).isEqualTo("LOBBY");
        alice.waitUntil(() -> alice.users().containsKey("ghost"), WAIT, "ghost in the table");
        alice.waitUntil(() -> !alice.users().containsKey("ghost"), Duration.ofMillis(timeout + 2000 + 5000),
                "the ghost to be dropped (timeout + 2 s)");
        assertThat(client("ghost").login(false, null, SESSION_PASSWORD, VERSION)).as("its name is free again")
                .isEqualTo("LOBBY");
        assertHealthy(alice);
    }

    @Test
    void aHeartbeatThatStartsBeforeTheLoginKeepsBeingPinged() throws InterruptedException {
        long timeout = 1500;
        start(SESSION_PASSWORD, timeout);
        TestClient09 early = client("early");
        early.startHeartbeatAtLogin(false);
        early.startHeartbeat();
        Thread.sleep(1300); // a server tick passes between INIT and the login (ttl_before_auth)
        assertThat(early.login(false, null, SESSION_PASSWORD, VERSION)).isEqualTo("LOBBY");
        int pings = early.pings();
        early.waitUntil(() -> early.pings() >= pings + 3, WAIT, "three more PINGs after the login");
        TestClient09 alice = loggedIn("alice", true, "LOBBY");
        alice.awaitNext(TestClient09.CLIENTS_STATE, r -> ((Map<?, ?>) r.data()).containsKey("early"), WAIT);
        assertThat(early.state()).isEqualTo(State.LOBBY);
        assertHealthy(early, alice);
    }

    @Test
    void malformedHeartbeatMessagesDoNotStopThePingsForAnybody() {
        startPrivate();
        TestClient09 alice = loggedIn("alice", true, "LOBBY");
        TestClient09 bob = loggedIn("bob", false, "LOBBY");
        alice.waitUntil(() -> alice.pings() >= 1 && bob.pings() >= 1, WAIT, "first PINGs");

        alice.sendHeartbeatRaw(utf8("PONG"), utf8("extra"), utf8("frames"));
        alice.sendHeartbeatRaw(new byte[0]);
        try (ZContext ctx = new ZContext(1)) {
            ZMQ.Socket stranger = ClientSockets.create(ctx, SocketType.DEALER);
            stranger.setIdentity(TestClient09.randomIdentity());
            stranger.setLinger(1000);
            stranger.connect("tcp://127.0.0.1:" + (port + 2));
            stranger.sendMore("INIT");
            stranger.send("garbage");
            stranger.send(new byte[0]);
            stranger.send(new byte[70_000]);
            stranger.send("PONG"); // never said INIT alone
        }
        int a = alice.pings();
        int b = bob.pings();
        alice.waitUntil(() -> alice.pings() >= a + 3 && bob.pings() >= b + 3, WAIT, "three more PINGs to each client");
        Received table = alice.awaitNext(TestClient09.CLIENTS_STATE, r -> true, WAIT);
        assertThat(names(table.data())).containsExactlyInAnyOrder("alice", "bob");
        assertHealthy(alice, bob);
    }
}
