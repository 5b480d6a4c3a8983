package io.multiuser.server.session;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.multiuser.server.protocol.ClientCommand;
import io.multiuser.server.protocol.ClientId;
import io.multiuser.server.protocol.Commit;
import io.multiuser.server.protocol.Datablock;
import io.multiuser.server.protocol.Delta;
import io.multiuser.server.protocol.DeltaMerger;
import io.multiuser.server.protocol.Generation;
import io.multiuser.server.protocol.Node;
import io.multiuser.server.protocol.ServerCommand;
import io.multiuser.server.protocol.ServerCommand.AuthReply;
import io.multiuser.server.session.RecordingOutbox.Command;
import io.multiuser.server.session.RecordingOutbox.Push;
import io.multiuser.server.session.RecordingOutbox.PushDelta;
import io.multiuser.server.session.RecordingOutbox.Sent;

/**
 * The three-port rules without sockets (PROTOCOL-0.9.md): the join races of section 7 played
 * against {@link ModelClient}, which reacts to what the session sends the way the real 0.9 client
 * does (drops datablocks in the lobby, queues them while syncing, ends its session on a delta for
 * a node it lacks). Deltas here are list appends: applied twice, they show.
 */
class SessionV09Test {

    private static final long TIMEOUT = 3000;
    private final AtomicLong clock = new AtomicLong(1_000_000);
    private RecordingOutbox out;
    private Session session;
    private int nextId;

    @BeforeEach
    void setUp() {
        out = new RecordingOutbox(clock::get);
        session = session(SessionSettings.builder().generation(Generation.V09).adminPassword("apw")
                .acceptedVersions(Generation.V09.knownVersions()).heartbeatTimeoutMillis(TIMEOUT).build());
    }

    private Session session(SessionSettings settings) {
        return new Session(settings, out, clock::get, SessionListener.NONE, SessionJournal.NONE, DeltaMerger.NONE);
    }

    // ---------------------------------------------------------------- login

    @Test
    void refusalsUseTheThreePortTextsInTheReferenceOrder() {
        session = session(SessionSettings.builder().generation(Generation.V09).adminPassword("apw")
                .sessionPassword("spw").acceptedVersions(Generation.V09.knownVersions()).build());
        ClientId alice = auth("alice", "apw", "spw", "0.9.10");
        assertThat(lastReply(alice)).isEqualTo("LOBBY");
        assertThat(lastReply(auth("alice", "apw", "spw", "0.9.10"))).isEqualTo("FAILED: client already logged in");
        assertThat(lastReply(auth("bob", "nope", "spw", "0.9.10"))).isEqualTo("FAILED: wrong admin password");
        assertThat(lastReply(auth("bob", "apw", "", "0.9.10"))).isEqualTo("FAILED: wrong server password");
        assertThat(lastReply(auth("bob", null, null, "0.9.10"))).isEqualTo("FAILED: wrong server password");
        assertThat(lastReply(auth("bob", null, "spw", "0.0.1-forged")))
                .isEqualTo("FAILED: wrong client version (0.0.1-forged != 0.9.10)");
        assertThat(lastReply(auth("carol", null, "spw", "0.9.9"))).isEqualTo("LOBBY");
        assertThat(lastReply(auth("COMMON", null, "spw", "0.9.10"))).startsWith("FAILED: ");
        assertThat(session.users()).extracting(User::name).containsExactly("alice", "carol");
    }

    @Test
    void aPublicSessionIgnoresWhateverSessionPasswordTheClientSends() {
        assertThat(lastReply(auth("ray", null, "", "0.9.10"))).isEqualTo("LOBBY");
        assertThat(lastReply(auth("sue", null, null, "0.9.10"))).isEqualTo("LOBBY");
        assertThat(lastReply(auth("tim", null, "stale", "0.9.10"))).isEqualTo("LOBBY");
    }

    @Test
    void theUserTableReachesTheNewUserBeforeItsReply() {
        ClientId alice = auth("alice", "apw", "", "0.9.10");
        List<ServerCommand> got = out.commandsTo(alice);
        assertThat(got.get(0)).isInstanceOf(ServerCommand.ClientsState.class);
        assertThat(((ServerCommand.ClientsState) got.get(0)).users()).containsKey("alice");
        assertThat(got.get(1)).isEqualTo(AuthReply.LOBBY);
    }

    @Test
    void serverInfoIsAnsweredToStrangers() {
        ClientId stranger = id();
        session.onCommand(stranger, "guest", new ClientCommand.ServerInfoRequest(), "test");
        assertThat(out.commandsTo(stranger)).containsExactly(new ServerCommand.ServerInfo(false, "0.9.10"));
        assertThat(session.users()).isEmpty();
    }

    // ---------------------------------------------------------------- joins

    @Test
    void aJoinDuringListAppendsGetsEveryAppendExactlyOnce() {
        ModelClient host = host(node("a", "base-a"), node("b", "base-b"));
        for (int i = 0; i < 3; i++) {
            host.commit("a", "a" + i);
        }
        ModelClient joiner = new ModelClient("joiner");
        joiner.login();
        joiner.step(); // catalog: sends GET for the last uuid
        host.commit("a", "a3"); // after the catalog, before the first GET is answered
        joiner.step();
        host.commit("b", "b0"); // while syncing
        host.commit("a", "a4");
        joiner.runToActive();
        host.commit("a", "a5"); // after its DONE
        joiner.drain();
        assertThat(joiner.errors).isEmpty();
        assertThat(joiner.replica()).isEqualTo(host.replica());
        assertThat(joiner.replica().get("a")).isEqualTo("base-a+a0+a1+a2+a3+a4+a5");
    }

    @Test
    void nodesCreatedDuringAJoinReachTheJoinerAndAreLoaded() {
        ModelClient host = host(node("a", "base-a"));
        ModelClient joiner = new ModelClient("joiner");
        joiner.login();
        while (out.commandsTo(joiner.id, ServerCommand.Catalog.class).isEmpty()) {
            assertThat(joiner.step()).as("the joiner asks for the catalog").isTrue();
        }
        host.create(node("early", "x")); // after its catalog, before its first GET: it would drop it
        while (!joiner.syncing) {
            assertThat(joiner.step()).as("the joiner reaches its first GET").isTrue();
        }
        host.create(node("late", "y")); // while it syncs: it would only queue it
        host.commit("late", "y1");
        joiner.runToActive();
        joiner.drain();
        assertThat(joiner.errors).isEmpty();
        assertThat(joiner.replica()).isEqualTo(host.replica());
        assertThat(joiner.loaded).contains("early", "late");
    }

    @Test
    void rightsAndDeletesOfAJoinAreHeldBackUntilItsDone() {
        ModelClient host = host(node("a", "base-a"), node("b", "base-b"));
        ModelClient joiner = new ModelClient("joiner");
        joiner.login();
        joiner.step();
        joiner.step();
        host.delete("b");
        assertThat(out.commandsTo(joiner.id, ServerCommand.Deleted.class)).isEmpty();
        joiner.runToActive();
        joiner.drain();
        assertThat(out.commandsTo(joiner.id, ServerCommand.Deleted.class)).hasSize(1);
        assertThat(joiner.replica()).isEqualTo(host.replica()).doesNotContainKey("b");
    }

    @Test
    void aDeltaAfterADeleteIsDroppedAndNobodysSessionEnds() {
        ModelClient host = host(node("a", "base-a"), node("b", "base-b"));
        ModelClient other = new ModelClient("other");
        other.login();
        other.runToActive();
        host.delete("b");
        session.onData(new Commit(host.id, "b", delta("late-edit")));
        session.onData(new Commit(host.id, "never-existed", delta("x")));
        other.drain();
        assertThat(other.errors).isEmpty();
        assertThat(other.replica()).isEqualTo(host.replica());
    }

    @Test
    void rightAndDeleteAreEchoedToTheSenderToo() {
        ModelClient host = host(node("a", "base-a"), node("b", "base-b"));
        ClientId hostId = host.id;
        out.clear();
        session.onCommand(hostId, "admin", new ClientCommand.ChangeRights(List.of("a", "b"), "admin"), "test");
        assertThat(out.commandsTo(hostId)).contains(new ServerCommand.RightChanged("admin", List.of("a", "b"), "admin"));
        session.onCommand(hostId, "client", new ClientCommand.Delete("a"), "test");
        assertThat(out.commandsTo(hostId)).contains(new ServerCommand.Deleted("client", "a"));
    }

    @Test
    void theLastUserLeavingLeavesItsNodesCommonForTheNextJoiner() {
        ModelClient host = host(node("a", "base-a"));
        session.onCommand(host.id, "admin", new ClientCommand.ChangeRights(List.of("a"), "admin"), "test");
        assertThat(session.graph().get("a").owner()).isEqualTo("admin");
        clock.addAndGet(TIMEOUT + 5000);
        session.tick();
        assertThat(session.users()).isEmpty();
        assertThat(session.graph().get("a").owner()).isEqualTo(Node.COMMON);
        ModelClient next = new ModelClient("next");
        next.login();
        next.runToActive();
        assertThat(next.owners.get("a")).isEqualTo(Node.COMMON);
    }

    @Test
    void departuresReleaseEveryNodeInOneServerRight() {
        ModelClient host = host(node("a", "base-a"), node("b", "base-b"));
        ModelClient other = new ModelClient("other");
        other.login();
        other.runToActive();
        session.onCommand(host.id, "admin", new ClientCommand.ChangeRights(List.of("a", "b"), "admin"), "test");
        out.clear();
        session.kick("admin", "test");
        assertThat(out.commandsTo(other.id, ServerCommand.RightChanged.class))
                .containsExactly(new ServerCommand.RightChanged("server", List.of("a", "b"), Node.COMMON));
    }

    @Test
    void metadataIsForwardedToTheOthersUnderTheRegisteredName() {
        ClientId alice = auth("alice", "apw", "", "0.9.10");
        ClientId bob = auth("bob", null, "", "0.9.10");
        out.clear();
        session.onCommand(alice, "mallory", new ClientCommand.UpdateUserMetadata(Map.of("frame_current", 3)), "t");
        assertThat(out.commandsTo(bob)).contains(new ServerCommand.MetadataChanged("alice", Map.of("frame_current", 3)));
        assertThat(out.commandsTo(alice, ServerCommand.MetadataChanged.class)).isEmpty();
    }

    @Test
    void metadataBeyondTheKeyCapIsRefusedAndNotForwarded() {
        ClientId alice = auth("alice", "apw", "", "0.9.10");
        ClientId bob = auth("bob", null, "", "0.9.10");
        Map<String, Object> flood = new LinkedHashMap<>();
        for (int i = 0; i <= Session.MAX_METADATA_KEYS; i++) {
            flood.put("k" + i, i);
        }
        out.clear();
        session.onCommand(alice, "alice", new ClientCommand.UpdateUserMetadata(flood), "t");
        assertThat(out.commandsTo(bob, ServerCommand.MetadataChanged.class)).isEmpty();
        assertThat(session.user("alice").orElseThrow().metadata()).isEmpty();
        session.onCommand(alice, "alice", new ClientCommand.UpdateUserMetadata(Map.of("color", 1)), "t");
        assertThat(out.commandsTo(bob, ServerCommand.MetadataChanged.class)).hasSize(1);
    }

    @Test
    void anInitOnAnActiveSessionIsRejectedAndTheLobbyUserJoins() {
        host(node("a", "base-a"));
        ClientId late = auth("late-admin", "apw", "", "0.9.10");
        assertThat(lastReply(late)).isEqualTo("RUNNING");
        out.clear();
        session.onCommand(late, "late-admin", new ClientCommand.UploadInit(1, List.of("z")), "t");
        assertThat(out.commandsTo(late)).first().isEqualTo(ServerCommand.UploadReply.REJECTED);
        assertThat(out.commandsTo(late, ServerCommand.Catalog.class)).hasSize(1);
    }

    @Test
    void aDeltaReplacedByAFullNodeDropsTheChain() {
        ModelClient host = host(node("a", "base-a"));
        host.commit("a", "a0");
        host.commit("a", "a1");
        assertThat(session.graph().chain("a")).hasSize(2);
        host.create(node("a", "fresh"));
        assertThat(session.graph().chain("a")).isEmpty();
        assertThat(session.graph().chainBytes()).isZero();
    }

    @Test
    void aMergerFoldsConsecutiveDeltas() {
        DeltaMerger keepLast = (earlier, later) -> Optional.of(later);
        session = new Session(SessionSettings.builder().generation(Generation.V09).adminPassword("apw").build(), out,
                clock::get, SessionListener.NONE, SessionJournal.NONE, keepLast);
        ModelClient host = host(node("a", "base-a"));
        for (int i = 0; i < 100; i++) {
            host.commit("a", "v" + i);
        }
        assertThat(session.graph().chain("a")).hasSize(1);
        assertThat(session.graph().chainEntries()).isEqualTo(1);
        assertThat(session.graph().chainBytes()).isEqualTo(delta("v99").bytes());
    }

    // ---------------------------------------------------------------- helpers

    private ClientId id() {
        byte[] b = new byte[16];
        b[15] = (byte) ++nextId;
        return ClientId.of(b);
    }

    private ClientId auth(String name, String adminPassword, String sessionPassword, String version) {
        ClientId id = id();
        session.onCommand(id, name, new ClientCommand.Auth(adminPassword != null, name, adminPassword, version,
                sessionPassword), "test");
        return id;
    }

    private String lastReply(ClientId id) {
        List<AuthReply> replies = out.commandsTo(id, AuthReply.class);
        assertThat(replies).as("exactly one Auth reply").hasSize(1);
        return replies.get(0).text();
    }

    private static Node node(String uuid, String data) {
        return new Node(uuid, Node.COMMON, "", List.of(), data.getBytes(StandardCharsets.UTF_8));
    }

    private static Delta delta(String append) {
        return new Delta(List.of(), new byte[] {(byte) 0x80, 4, ']', '.'}, append.getBytes(StandardCharsets.UTF_8));
    }

    /** An admin who uploads {@code nodes} and keeps its own replica of its edits. */
    private ModelClient host(Node... nodes) {
        ModelClient host = new ModelClient("admin");
        host.id = auth("admin", "apw", "", "0.9.10");
        session.onCommand(host.id, "server", new ClientCommand.UploadInit(nodes.length,
                java.util.Arrays.stream(nodes).map(Node::uuid).toList()), "test");
        for (Node n : nodes) {
            session.onCommand(host.id, "server", new ClientCommand.UploadSet(n), "test");
            host.data.put(n.uuid(), new String(n.payload().toArray(), StandardCharsets.UTF_8));
            host.owners.put(n.uuid(), n.owner());
        }
        session.onCommand(host.id, "server", new ClientCommand.UploadEnd(), "test");
        host.active = true;
        host.cursor = out.sentTo(host.id).size();
        return host;
    }

    /**
     * A client that reacts to what the session sent it like replication 0.9.10 (PROTOCOL-0.9 §3,
     * §6, §7): its replica is base data plus applied appends, as text.
     */
    private final class ModelClient {
        final String name;
        ClientId id;
        final Map<String, String> data = new LinkedHashMap<>();
        final Map<String, String> owners = new LinkedHashMap<>();
        final List<String> loaded = new ArrayList<>();
        final List<String> errors = new ArrayList<>();
        final ArrayDeque<Sent> queued = new ArrayDeque<>();
        ArrayDeque<String> toGet;
        String awaiting;
        boolean syncing;
        boolean active;
        int cursor;

        ModelClient(String name) {
            this.name = name;
        }

        void login() {
            id = auth(name, null, "", "0.9.10");
        }

        /** Edits are applied locally by their sender and forwarded to the others by the server. */
        void commit(String uuid, String append) {
            data.computeIfPresent(uuid, (u, d) -> d + "+" + append);
            session.onData(new Commit(id, uuid, delta(append)));
        }

        void create(Node node) {
            data.put(node.uuid(), new String(node.payload().toArray(), StandardCharsets.UTF_8));
            owners.putIfAbsent(node.uuid(), node.owner());
            session.onData(new Datablock(id, node));
        }

        void delete(String uuid) {
            session.onCommand(id, "client", new ClientCommand.Delete(uuid), "test");
            drain(); // its own echo
        }

        Map<String, String> replica() {
            return data;
        }

        /** Handles the next message the session sent it; false when there is none. */
        boolean step() {
            List<Sent> sent = out.sentTo(id);
            if (cursor >= sent.size()) {
                return false;
            }
            handle(sent.get(cursor++));
            return true;
        }

        void drain() {
            while (step()) {
                // keep going
            }
        }

        void runToActive() {
            for (int i = 0; i < 10_000 && !active; i++) {
                if (!step()) {
                    throw new AssertionError(name + " stalled before its DONE");
                }
            }
        }

        private void handle(Sent message) {
            if (message instanceof Command c) {
                command(c.command());
            } else if (message instanceof Push p) {
                datablock(p);
            } else if (message instanceof PushDelta d) {
                datablock(d);
            }
        }

        private void command(ServerCommand command) {
            if (command instanceof AuthReply reply && reply.text().contains("RUNNING")) {
                session.onCommand(id, name, new ClientCommand.SnapshotRequestInit(), "test");
            } else if (command instanceof ServerCommand.Catalog catalog) {
                if (catalog.uuids().isEmpty()) {
                    errors.add("empty catalog");
                    return;
                }
                toGet = new ArrayDeque<>(catalog.uuids());
                getNext();
            } else if (command instanceof ServerCommand.SnapshotNode set) {
                Node node = set.node();
                if (!node.uuid().equals(awaiting)) {
                    errors.add("SET for " + node.uuid() + " while waiting for " + awaiting);
                    return;
                }
                data.put(node.uuid(), new String(node.payload().toArray(), StandardCharsets.UTF_8));
                owners.put(node.uuid(), node.owner());
                getNext();
            } else if (command instanceof ServerCommand.SnapshotRemoved) {
                getNext();
            } else if (command instanceof ServerCommand.RightChanged right) {
                right.uuids().forEach(u -> owners.computeIfPresent(u, (k, o) -> right.owner()));
            } else if (command instanceof ServerCommand.Deleted deleted) {
                data.remove(deleted.uuid());
                owners.remove(deleted.uuid());
            }
        }

        private void getNext() {
            if (!toGet.isEmpty()) {
                awaiting = toGet.pollLast();
                syncing = true;
                session.onCommand(id, name, new ClientCommand.SnapshotGet(awaiting), "test");
                return;
            }
            while (!queued.isEmpty()) {
                apply(queued.poll(), false);
            }
            syncing = false;
            active = true;
            session.onCommand(id, name, new ClientCommand.SnapshotDone(), "test");
        }

        private void datablock(Sent message) {
            if (active) {
                apply(message, true);
            } else if (syncing) {
                queued.add(message);
            } // else: lobby, dropped
        }

        private void apply(Sent message, boolean live) {
            if (message instanceof Push p) {
                Node node = p.node();
                data.put(node.uuid(), new String(node.payload().toArray(), StandardCharsets.UTF_8));
                owners.putIfAbsent(node.uuid(), node.owner());
                if (live) {
                    loaded.add(node.uuid());
                }
            } else if (message instanceof PushDelta d) {
                if (!data.containsKey(d.uuid())) {
                    if (live) {
                        errors.add("delta for unknown node " + d.uuid() + ": session ended");
                    }
                    return;
                }
                data.put(d.uuid(), data.get(d.uuid()) + "+" + new String(d.delta().blob(), StandardCharsets.UTF_8));
                if (live) {
                    loaded.add(d.uuid());
                }
            }
        }
    }
}
