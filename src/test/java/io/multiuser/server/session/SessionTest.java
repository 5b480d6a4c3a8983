package io.multiuser.server.session;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.multiuser.server.protocol.ClientCommand;
import io.multiuser.server.protocol.ClientId;
import io.multiuser.server.protocol.Datablock;
import io.multiuser.server.protocol.Node;
import io.multiuser.server.protocol.ServerCommand;
import io.multiuser.server.protocol.ServerCommand.AuthReply;
import io.multiuser.server.protocol.ServerCommand.UploadReply;

/** The session's rules without sockets: a recording outbox and a hand-driven clock. */
class SessionTest {

    private static final long TIMEOUT = 3000;
    /** Any client version; three tombstones, so that the oldest is forgotten soon. */
    private static final SessionSettings SETTINGS = SessionSettings.builder().adminPassword("pw")
            .acceptedVersions(List.of()).heartbeatTimeoutMillis(TIMEOUT).tombstoneCapacity(3).build();
    private final AtomicLong clock = new AtomicLong(1_000_000);
    private RecordingOutbox out;
    private Session session;
    private int nextId;

    @BeforeEach
    void setUp() {
        out = new RecordingOutbox(clock::get);
        session = new Session(SETTINGS, out, clock::get);
    }

    private ClientId id() {
        byte[] b = new byte[16];
        b[15] = (byte) ++nextId;
        return ClientId.of(b);
    }

    private ClientId login(String name, boolean admin) {
        ClientId id = id();
        session.onCommand(id, name, new ClientCommand.Auth(admin, name, admin ? "pw" : null, "0.1.25"), "test");
        return id;
    }

    private static Node node(String uuid, String owner, int... payload) {
        byte[] bytes = new byte[payload.length];
        for (int i = 0; i < payload.length; i++) {
            bytes[i] = (byte) payload[i];
        }
        return new Node(uuid, owner, "T", List.of(), bytes);
    }

    private ClientId hostWith(Node... nodes) {
        ClientId admin = login("admin", true);
        cmd(admin, new ClientCommand.UploadInit(nodes.length, java.util.Arrays.stream(nodes).map(Node::uuid).toList()));
        for (Node n : nodes) {
            cmd(admin, new ClientCommand.UploadSet(n));
        }
        cmd(admin, new ClientCommand.UploadEnd());
        return admin;
    }

    private void cmd(ClientId from, ClientCommand command) {
        session.onCommand(from, "owner", command, "test");
    }

    private ClientId joined(String name) {
        ClientId id = login(name, false);
        cmd(id, new ClientCommand.SnapshotRequestInit());
        for (String uuid : session.graph().uuids()) {
            cmd(id, new ClientCommand.SnapshotGet(uuid));
        }
        cmd(id, new ClientCommand.SnapshotDone());
        return id;
    }

    @Test
    void loginRegistersTheUserAndBroadcastsBeforeReplying() {
        ClientId alice = login("alice", true);
        List<ServerCommand> sent = out.commandsTo(alice);
        assertThat(sent).hasSize(2);
        assertThat(sent.get(0)).isInstanceOf(ServerCommand.ClientsState.class);
        assertThat(sent.get(1)).isEqualTo(AuthReply.LOBBY);
        assertThat(session.user("alice")).hasValueSatisfying(u -> {
            assertThat(u.admin()).isTrue();
            assertThat(u.latencyMillis()).isEqualTo(999);
            assertThat(u.status()).isEqualTo(User.Status.LOBBY);
        });
    }

    @Test
    void aClientLoginNeedsNoPasswordButAnAdminLoginDoes() {
        ClientId id = id();
        session.onCommand(id, "x", new ClientCommand.Auth(true, "x", null, "1"), "test");
        assertThat(out.commandsTo(id)).containsExactly(AuthReply.failed("wrong password"));
        assertThat(session.users()).isEmpty();
        assertThat(login("y", false)).satisfies(y -> assertThat(out.commandsTo(y)).contains(AuthReply.LOBBY));
    }

    @Test
    void uploadIsAcceptedAfterADelayAndOnlyForAdmins() {
        ClientId user = login("user", false);
        cmd(user, new ClientCommand.UploadInit(1, List.of("a")));
        assertThat(out.commandsTo(user, UploadReply.class)).containsExactly(UploadReply.REJECTED);
        assertThat(session.state()).isEqualTo(SessionState.WAITING);

        ClientId admin = login("admin", true);
        long now = clock.get();
        cmd(admin, new ClientCommand.UploadInit(1, List.of("a")));
        assertThat(session.state()).isEqualTo(SessionState.SRV_SYNC);
        RecordingOutbox.Command accepted = out.sent.stream()
                .filter(s -> s instanceof RecordingOutbox.Command c && c.command() == UploadReply.ACCEPTED)
                .map(RecordingOutbox.Command.class::cast).findFirst().orElseThrow();
        assertThat(accepted.at()).isGreaterThanOrEqualTo(now + 10); // the real client needs the delay
    }

    @Test
    void uploadCompletesWithTheLastAnnouncedNodeAndSendsTheCatalogToTheLobby() {
        ClientId waiting = login("early", false);
        ClientId admin = login("admin", true);
        cmd(admin, new ClientCommand.UploadInit(2, List.of("a", "b")));
        cmd(admin, new ClientCommand.UploadSet(node("a", "COMMON", 1)));
        cmd(admin, new ClientCommand.UploadSet(node("zzz", "COMMON", 1))); // not announced: ignored
        assertThat(session.graph().get("zzz")).isNull();
        assertThat(session.state()).isEqualTo(SessionState.SRV_SYNC);
        cmd(admin, new ClientCommand.UploadSet(node("b", "COMMON", 2)));

        assertThat(session.state()).isEqualTo(SessionState.ACTIVE);
        assertThat(out.commandsTo(admin, UploadReply.class)).contains(UploadReply.DONE);
        assertThat(out.commandsTo(waiting, ServerCommand.Catalog.class))
                .containsExactly(new ServerCommand.Catalog(List.of("a", "b")));
        assertThat(out.commandsTo(admin, ServerCommand.Catalog.class)).isEmpty();
    }

    @Test
    void aSecondUploadOnAnActiveSessionIsIgnored() {
        ClientId admin = hostWith(node("a", "COMMON", 1));
        out.clear();
        cmd(admin, new ClientCommand.UploadInit(1, List.of("b")));
        assertThat(session.state()).isEqualTo(SessionState.ACTIVE);
        assertThat(out.sent).isEmpty();
    }

    @Test
    void anUploadAbandonedByItsAdminLeavesTheSessionWaiting() {
        ClientId admin = login("admin", true);
        cmd(admin, new ClientCommand.UploadInit(2, List.of("a", "b")));
        cmd(admin, new ClientCommand.UploadSet(node("a", "COMMON", 1)));
        session.kick("admin", "console");
        assertThat(session.state()).isEqualTo(SessionState.WAITING);
        assertThat(session.graph().isEmpty()).isTrue();
        ClientId other = login("other", true);
        cmd(other, new ClientCommand.UploadInit(1, List.of("c")));
        assertThat(session.state()).isEqualTo(SessionState.SRV_SYNC);
    }

    @Test
    void commandsFromStrangersAndUnknownNodesAreIgnored() {
        hostWith(node("a", "COMMON", 1));
        ClientId stranger = id();
        out.clear();
        cmd(stranger, new ClientCommand.SnapshotDone());
        cmd(stranger, new ClientCommand.UploadSet(node("a", "COMMON", 9)));
        cmd(stranger, new ClientCommand.Delete("a"));
        ClientId bob = login("bob", false);
        out.clear();
        cmd(bob, new ClientCommand.SnapshotGet("no-such-node"));
        assertThat(out.sent).isEmpty();
        assertThat(session.graph().get("a").payload().toArray()).containsExactly(1);
    }

    @Test
    void aRequestInitWhileWaitingIsHeldNeverAnsweredWithAnEmptyCatalog() {
        ClientId bob = login("bob", false);
        cmd(bob, new ClientCommand.SnapshotRequestInit());
        assertThat(out.commandsTo(bob, ServerCommand.Catalog.class)).isEmpty();
        hostWith(node("a", "COMMON", 1));
        assertThat(out.commandsTo(bob, ServerCommand.Catalog.class)).hasSize(1);
    }

    @Test
    void rightsAndDeletesAreHeldBackForAJoinerUntilItsDone() {
        ClientId admin = hostWith(node("a", "COMMON", 1), node("b", "COMMON", 2));
        ClientId bob = login("bob", false);
        cmd(bob, new ClientCommand.SnapshotRequestInit());
        cmd(bob, new ClientCommand.SnapshotGet("b"));
        session.onCommand(admin, "admin", new ClientCommand.ChangeRights("b", "admin"), "test");
        session.onCommand(admin, "client", new ClientCommand.Delete("a"), "test");
        assertThat(out.commandsTo(bob, ServerCommand.RightChanged.class)).isEmpty();
        assertThat(out.commandsTo(bob, ServerCommand.Deleted.class)).isEmpty();

        // "a" was deleted after bob's catalog: bob still waits for it and gets its last payload.
        cmd(bob, new ClientCommand.SnapshotGet("a"));
        assertThat(out.pushesTo(bob)).extracting(Node::uuid).containsExactly("b", "a");
        cmd(bob, new ClientCommand.SnapshotDone());

        List<ServerCommand> after = out.commandsTo(bob);
        assertThat(after).containsSubsequence(new ServerCommand.RightChanged("admin", "b", "admin"),
                new ServerCommand.Deleted("client", "a"));
    }

    @Test
    void updatesForwardedBeforeTheFirstGetAreSentAgainAtTheFirstGet() {
        ClientId admin = hostWith(node("a", "COMMON", 1));
        ClientId bob = login("bob", false);
        cmd(bob, new ClientCommand.SnapshotRequestInit());
        session.onDatablock(new Datablock(admin, node("new", "admin", 7)));
        assertThat(out.pushesTo(bob)).extracting(Node::uuid).containsExactly("new");
        cmd(bob, new ClientCommand.SnapshotGet("a"));
        assertThat(out.pushesTo(bob)).extracting(Node::uuid).containsExactly("new", "a", "new");
    }

    @Test
    void onlyTheOwnerOrCommonNodesMayBeEditedAndAdminsMayOverrideOwnership() {
        ClientId admin = hostWith(node("a", "COMMON", 1));
        ClientId bob = joined("bob");
        ClientId carol = joined("carol");
        session.onCommand(bob, "bob", new ClientCommand.ChangeRights("a", "bob"), "test");
        assertThat(session.graph().get("a").owner()).isEqualTo("bob");

        out.clear();
        session.onCommand(carol, "carol", new ClientCommand.ChangeRights("a", "carol"), "test");
        assertThat(session.graph().get("a").owner()).isEqualTo("bob");
        // carol is told who really owns it, nobody else hears of it
        assertThat(out.commandsTo(carol)).containsExactly(new ServerCommand.RightChanged("server", "a", "bob"));
        session.onDatablock(new Datablock(carol, node("a", "carol", 9)));
        session.onCommand(carol, "client", new ClientCommand.Delete("a"), "test");
        assertThat(session.graph().get("a").payload().toArray()).containsExactly(1);
        assertThat(out.pushesTo(bob)).isEmpty();

        session.onCommand(admin, "admin", new ClientCommand.ChangeRights("a", "COMMON"), "test");
        assertThat(session.graph().get("a").owner()).isEqualTo("COMMON");
    }

    @Test
    void anExistingNodeKeepsItsOwnerWhenUpdated() {
        ClientId admin = hostWith(node("a", "admin", 1));
        session.onDatablock(new Datablock(admin, node("a", "somebody-else", 2)));
        assertThat(session.graph().get("a").owner()).isEqualTo("admin");
        assertThat(session.graph().get("a").payload().toArray()).containsExactly(2);
    }

    @Test
    void droppingAUserReleasesItsNodesToCommonForEveryone() {
        ClientId admin = hostWith(node("a", "COMMON", 1), node("b", "COMMON", 1));
        ClientId bob = joined("bob");
        session.onCommand(bob, "bob", new ClientCommand.ChangeRights("a", "bob"), "test");
        out.clear();
        assertThat(session.kick("bob", "console")).isTrue();
        assertThat(out.commandsTo(bob)).first().isEqualTo(ServerCommand.Disconnect.KICKED);
        assertThat(out.commandsTo(admin)).contains(new ServerCommand.RightChanged("server", "a", "COMMON"));
        assertThat(session.graph().get("a").owner()).isEqualTo("COMMON");
        assertThat(out.forgotten).containsExactly(bob);
        ServerCommand.ClientsState last = out.commandsTo(admin, ServerCommand.ClientsState.class).get(0);
        assertThat(last.users()).containsOnlyKeys("admin");
        assertThat(session.kick("nobody", "console")).isFalse();
    }

    @Test
    void heartbeatPingsIdleClientsMeasuresLatencyAndDropsSilentOnes() {
        ClientId alice = login("alice", true);
        session.onHeartbeat(alice, true);
        assertThat(out.sent).contains(new RecordingOutbox.Ping(alice));
        clock.addAndGet(42);
        session.onHeartbeat(alice, false);
        assertThat(session.user("alice").orElseThrow().latencyMillis()).isEqualTo(42);

        out.clear();
        clock.addAndGet(1000);
        session.tick();
        assertThat(out.sent).contains(new RecordingOutbox.Ping(alice)); // idle for 1 s: pinged

        clock.addAndGet(TIMEOUT - 1000);
        session.tick();
        assertThat(session.user("alice")).isPresent(); // silent for exactly the timeout: not yet
        clock.addAndGet(1);
        session.tick();
        assertThat(session.user("alice")).isEmpty();
    }

    @Test
    void aLoggedInClientThatNeverStartsItsHeartbeatIsDroppedToo() {
        login("alice", true);
        clock.addAndGet(TIMEOUT + 1);
        session.tick();
        assertThat(session.users()).isEmpty();
    }

    @Test
    void metadataIsMergedAndBroadcastAtTheNextTick() {
        ClientId alice = login("alice", true);
        cmd(alice, new ClientCommand.UpdateUserMetadata(Map.of("color", "red", "frame_current", 1)));
        cmd(alice, new ClientCommand.UpdateUserMetadata(Map.of("frame_current", 2)));
        out.clear();
        clock.addAndGet(100);
        session.tick();
        ServerCommand.ClientsState state = out.commandsTo(alice, ServerCommand.ClientsState.class).get(0);
        assertThat(state.users().get("alice").metadata()).containsEntry("color", "red").containsEntry("frame_current", 2);
    }

    @Test
    void deletedUuidsAreRememberedUpToTheConfiguredCapacity() {
        ClientId admin = hostWith(node("a", "COMMON", 1), node("b", "COMMON", 1), node("c", "COMMON", 1),
                node("d", "COMMON", 1), node("e", "COMMON", 1));
        for (String uuid : List.of("a", "b", "c", "d")) {
            session.onCommand(admin, "client", new ClientCommand.Delete(uuid), "test");
        }
        assertThat(session.graph().isDeleted("a")).isFalse(); // capacity 3: the oldest is forgotten
        assertThat(session.graph().isDeleted("d")).isTrue();
        session.onDatablock(new Datablock(admin, node("d", "COMMON", 5)));
        assertThat(session.graph().get("d")).isNull();
    }

    @Test
    void aSlowClientIsDisconnectedWithAReason() {
        hostWith(node("a", "COMMON", 1));
        ClientId bob = joined("bob");
        out.clear();
        session.tooSlow(bob, 1 << 30);
        assertThat(out.commandsTo(bob).get(0)).isInstanceOf(ServerCommand.Disconnect.class);
        assertThat(session.user("bob")).isEmpty();
    }

    // ---------------------------------------------------------------- streamed snapshot (§6a)

    private void window(int nodes, long bytes) {
        session = new Session(SETTINGS
                .withSnapshotWindow(nodes, bytes), out, clock::get);
    }

    private ClientId joinerWithCatalog(String name) {
        ClientId id = login(name, false);
        cmd(id, new ClientCommand.SnapshotRequestInit());
        return id;
    }

    @Test
    void theSnapshotStreamsFromTheFirstGetInTheClientsOrderWithinTheWindow() {
        window(3, 1 << 20);
        hostWith(node("a", "COMMON", 1), node("b", "COMMON", 2), node("c", "COMMON", 3), node("d", "COMMON", 4),
                node("e", "COMMON", 5));
        ClientId bob = joinerWithCatalog("bob");
        assertThat(out.pushesTo(bob)).as("nothing before the first GET").isEmpty();

        cmd(bob, new ClientCommand.SnapshotGet("e")); // the client starts with the last catalog entry
        assertThat(out.pushesTo(bob)).extracting(Node::uuid).containsExactly("e", "d", "c");
        cmd(bob, new ClientCommand.SnapshotGet("d")); // e is stored: one more may go
        assertThat(out.pushesTo(bob)).extracting(Node::uuid).containsExactly("e", "d", "c", "b");
        for (String uuid : List.of("c", "b", "a")) {
            cmd(bob, new ClientCommand.SnapshotGet(uuid));
        }
        // Every node exactly once: a GET for a node already pushed is only an acknowledgement.
        assertThat(out.pushesTo(bob)).extracting(Node::uuid).containsExactly("e", "d", "c", "b", "a");
        cmd(bob, new ClientCommand.SnapshotDone());
        assertThat(session.user("bob").orElseThrow().status()).isEqualTo(User.Status.ACTIVE);
    }

    @Test
    void theWindowAlsoStopsAtItsByteLimitButTheAwaitedNodeAlwaysGoesOut() {
        window(100, 5);
        hostWith(node("a", "COMMON", 1, 1, 1, 1), node("b", "COMMON", 2, 2, 2, 2), node("c", "COMMON", 3, 3, 3, 3));
        ClientId bob = joinerWithCatalog("bob");
        cmd(bob, new ClientCommand.SnapshotGet("c"));
        assertThat(out.pushesTo(bob)).extracting(Node::uuid).containsExactly("c", "b"); // 8 bytes >= 5: stop
        cmd(bob, new ClientCommand.SnapshotGet("a")); // a client may ask beyond the stream: it gets its node
        assertThat(out.pushesTo(bob)).extracting(Node::uuid).containsExactly("c", "b", "a");
    }

    @Test
    void windowZeroAnswersOneGetAtATimeLikeTheOriginal() {
        window(0, 1 << 20);
        hostWith(node("a", "COMMON", 1), node("b", "COMMON", 2), node("c", "COMMON", 3));
        ClientId bob = joinerWithCatalog("bob");
        cmd(bob, new ClientCommand.SnapshotGet("c"));
        assertThat(out.pushesTo(bob)).extracting(Node::uuid).containsExactly("c");
        cmd(bob, new ClientCommand.SnapshotGet("b"));
        assertThat(out.pushesTo(bob)).extracting(Node::uuid).containsExactly("c", "b");
    }

    @Test
    void streamedNodesCarryTheirPayloadAsOfThePushEvenIfDeletedSinceTheCatalog() {
        window(1, 1 << 20);
        ClientId admin = hostWith(node("a", "COMMON", 1), node("b", "COMMON", 2), node("c", "COMMON", 3));
        ClientId bob = joinerWithCatalog("bob");
        session.onDatablock(new Datablock(admin, node("b", "COMMON", 20))); // edited after the catalog
        session.onCommand(admin, "client", new ClientCommand.Delete("a"), "test"); // deleted after the catalog
        for (String uuid : List.of("c", "b", "a")) {
            cmd(bob, new ClientCommand.SnapshotGet(uuid));
        }
        List<Node> pushed = out.pushesTo(bob);
        assertThat(pushed).extracting(Node::uuid).containsExactly("b", "c", "b", "a");
        assertThat(pushed.get(2).payload().toArray()).containsExactly(20); // the stream reads the current payload
        assertThat(pushed.get(3).payload().toArray()).containsExactly(1); // the deleted node's last payload
        cmd(bob, new ClientCommand.SnapshotDone());
        assertThat(out.commandsTo(bob, ServerCommand.Deleted.class)).containsExactly(
                new ServerCommand.Deleted("client", "a")); // held back until DONE
    }

    /** Journals every call as a line, as the store would see them. */
    static final class RecordingJournal implements SessionJournal {
        final List<String> calls = new java.util.ArrayList<>();

        @Override
        public void put(Node node) {
            calls.add("put " + node.uuid() + " " + node.owner() + " " + node.payload().length());
        }

        @Override
        public void ownerChanged(Node node) {
            calls.add("owner " + node.uuid() + " " + node.owner());
        }

        @Override
        public void deleted(String uuid) {
            calls.add("delete " + uuid);
        }

        @Override
        public void cleared() {
            calls.add("clear");
        }

        @Override
        public void stateChanged(SessionState state) {
            calls.add("state " + state);
        }
    }

    @Test
    void everyChangeOfSceneAndStateIsJournaledAndAnOwnerChangeCarriesNoPayload() {
        RecordingJournal journal = new RecordingJournal();
        session = new Session(SETTINGS, out, clock::get,
                SessionListener.NONE, journal);
        ClientId admin = hostWith(node("a", "COMMON", 1, 2), node("b", "COMMON", 3));
        ClientId bob = joined("bob");
        session.onCommand(bob, "bob", new ClientCommand.ChangeRights("a", "bob"), "test");
        session.onDatablock(new Datablock(bob, node("a", "bob", 9, 9, 9)));
        session.kick("bob", "test");
        cmd(admin, new ClientCommand.Delete("b"));
        cmd(admin, new ClientCommand.Delete("a"));

        assertThat(journal.calls).containsExactly("state SRV_SYNC", "put a COMMON 2", "put b COMMON 1",
                "state ACTIVE", "owner a bob", "put a bob 3", "owner a COMMON", "delete b", "delete a",
                "state WAITING");
    }

    @Test
    void aRestoredSceneIsActiveAtOnceWithOwnersCommonAndIsNotJournaledAgain() {
        RecordingJournal journal = new RecordingJournal();
        session = new Session(SETTINGS, out, clock::get,
                SessionListener.NONE, journal);
        session.restore(List.of(node("a", "alice", 1), node("b", "COMMON", 2)));

        assertThat(session.state()).isEqualTo(SessionState.ACTIVE);
        assertThat(session.graph().nodes()).extracting(Node::owner).containsOnly(Node.COMMON);
        assertThat(journal.calls).isEmpty();
        assertThat(login("late", false)).isNotNull();
        assertThat(out.commandsTo(session.user("late").orElseThrow().id())).contains(AuthReply.RUNNING);
    }

    @Test
    void replacingTheSceneDisconnectsEveryUserWithTheReason() {
        hostWith(node("a", "COMMON", 1));
        ClientId bob = joined("bob");
        session.replaceScene(List.of(node("x", "zed", 5), node("y", "COMMON", 6)), "session replaced by test");

        assertThat(out.commandsTo(bob)).contains(new ServerCommand.Disconnect("session replaced by test"));
        assertThat(session.users()).isEmpty();
        assertThat(session.state()).isEqualTo(SessionState.ACTIVE);
        assertThat(session.graph().uuids()).containsExactly("x", "y");
        assertThat(session.graph().get("x").owner()).isEqualTo(Node.COMMON);

        session.replaceScene(List.of(), "reset by test");
        assertThat(session.state()).isEqualTo(SessionState.WAITING);
        assertThat(session.graph().isEmpty()).isTrue();
    }

    @Test
    void aFullSessionRefusesTheNextLoginWithAReasonAndMakesRoomWhenSomeoneLeaves() {
        session = new Session(SETTINGS.toBuilder().maxUsers(2).build(), out, clock::get);
        ClientId alice = login("alice", true);
        login("bob", false);
        ClientId carol = login("carol", false);
        assertThat(out.commandsTo(carol)).containsExactly(AuthReply.failed("session is full (2 users)"));
        assertThat(session.users()).extracting(User::name).containsExactly("alice", "bob");
        session.kick("alice", "test");
        ClientId dave = login("dave", false);
        assertThat(out.commandsTo(dave)).contains(AuthReply.LOBBY);
        assertThat(out.commandsTo(alice)).isNotEmpty();
    }

    @Test
    void changesThatWouldGrowTheScenePastItsLimitAreRefusedAndShrinkingOnesPass() {
        session = new Session(SETTINGS.toBuilder().maxSceneBytes(10).build(), out, clock::get);
        ClientId admin = hostWith(node("a", "COMMON", 1, 2, 3, 4), node("b", "COMMON", 5, 6, 7, 8));
        assertThat(session.graph().totalBytes()).isEqualTo(8);
        ClientId bob = joined("bob");
        out.clear();
        session.onDatablock(new Datablock(admin, node("c", "COMMON", 1, 2, 3))); // 11 bytes: refused
        assertThat(session.graph().get("c")).isNull();
        assertThat(out.pushesTo(bob)).isEmpty();
        session.onDatablock(new Datablock(admin, node("a", "COMMON", 1, 2, 3, 4, 5, 6))); // 10 bytes: allowed
        assertThat(session.graph().totalBytes()).isEqualTo(10);
        session.onDatablock(new Datablock(admin, node("b", "COMMON", 1))); // shrinks: always allowed
        assertThat(session.graph().totalBytes()).isEqualTo(7);
        session.onDatablock(new Datablock(admin, node("c", "COMMON", 1, 2, 3))); // fits now
        assertThat(session.graph().get("c")).isNotNull();
        assertThat(out.pushesTo(bob)).hasSize(3);
    }

    @Test
    void aBannedLoginIsRefusedWithItsReasonAndItsHeartbeatGetsNoPing() {
        session.guard(new LoginGuard() {
            @Override
            public Refused refuse(String name, boolean admin, String address) {
                return name.equals("mallory") ? new Refused(SessionListener.LoginRefusal.BANNED,
                        "banned from this server: spam") : null;
            }
        });
        ClientId mallory = id();
        session.onHeartbeat(mallory, true); // the heartbeat process may start before the login
        session.onCommand(mallory, "mallory", new ClientCommand.Auth(false, "mallory", null, "0.1.25"), "test");
        assertThat(out.commandsTo(mallory)).contains(AuthReply.failed("banned from this server: spam"));
        assertThat(session.users()).isEmpty();
        out.clear();
        session.onHeartbeat(mallory, true);
        clock.addAndGet(2000);
        session.tick();
        assertThat(out.sent).doesNotContain(new RecordingOutbox.Ping(mallory));
        assertThat(login("alice", false)).satisfies(a -> assertThat(out.commandsTo(a)).contains(AuthReply.LOBBY));
    }
}
