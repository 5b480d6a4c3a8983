package io.multiuser.server.session;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

import org.jboss.logging.Logger;

import io.multiuser.server.logging.ThrottledLog;
import io.multiuser.server.protocol.ClientCommand;
import io.multiuser.server.protocol.ClientId;
import io.multiuser.server.protocol.Commit;
import io.multiuser.server.protocol.DataMessage;
import io.multiuser.server.protocol.Datablock;
import io.multiuser.server.protocol.Delta;
import io.multiuser.server.protocol.DeltaMerger;
import io.multiuser.server.protocol.Generation;
import io.multiuser.server.protocol.Node;
import io.multiuser.server.protocol.ServerCommand;
import io.multiuser.server.protocol.ServerCommand.AuthReply;
import io.multiuser.server.protocol.ServerCommand.UploadReply;
import io.multiuser.server.protocol.UserView;
import io.multiuser.server.session.SessionListener.Departure;
import io.multiuser.server.session.SessionListener.Drop;
import io.multiuser.server.session.SessionListener.LoginRefusal;
import io.multiuser.server.session.SessionListener.SnapshotDirection;

/**
 * The whole session: users, the node graph and the WAITING / SRV_SYNC / ACTIVE state machine,
 * with the protocol's rules (PROTOCOL-0.1.md §3 to §8, PROTOCOL-0.9.md §3 to §12). Both
 * generations share this model; where their rules differ, {@link #v09} says which applies.
 * Pure Java and single-threaded: the engine thread feeds it decoded input and a millisecond
 * clock, and it answers through an {@link Outbox}. No socket in here, so every rule is testable
 * without a network.
 */
public final class Session {

    private static final Logger LOG = Logger.getLogger(Session.class);

    private final SessionSettings settings;
    private final Outbox out;
    private final LongSupplier clock;
    private final SessionListener listener;
    private final SessionJournal journal;
    private final DeltaMerger merger;
    /** The three-port rules (echoes, deltas, SET on P, metadata forwarding) instead of the four-port ones. */
    private final boolean v09;
    private final ThrottledLog chainWarnings = new ThrottledLog(LOG, 5, 60_000);
    private final ThrottledLog ignored = new ThrottledLog(LOG, 20, 10_000);
    private final NodeGraph graph;
    private final Heartbeats heartbeats;
    private final Map<ClientId, User> users = new LinkedHashMap<>();
    private final Map<String, User> usersByName = new LinkedHashMap<>();
    private final Activity activity = new Activity();
    private LoginGuard guard = LoginGuard.OPEN;
    /** Identities whose login was refused as banned: their heartbeats are not answered either (bounded, oldest out). */
    private final Set<ClientId> banned = new LinkedHashSet<>();
    /** Metadata keys a user may have; the add-on uses about eight. */
    static final int MAX_METADATA_KEYS = 256;
    /** The engine thread: the only one that may call in (checked with -ea, as in the tests). */
    private final Thread owner = Thread.currentThread();
    private SessionState state = SessionState.WAITING;
    private Upload upload;
    private boolean clientsStateDirty;
    private long lastBroadcast = Long.MIN_VALUE / 2;

    public Session(SessionSettings settings, Outbox out, LongSupplier clockMillis) {
        this(settings, out, clockMillis, SessionListener.NONE);
    }

    public Session(SessionSettings settings, Outbox out, LongSupplier clockMillis, SessionListener listener) {
        this(settings, out, clockMillis, listener, SessionJournal.NONE);
    }

    /** A session whose every change of scene and state is reported to {@code journal} (the durable store). */
    public Session(SessionSettings settings, Outbox out, LongSupplier clockMillis, SessionListener listener,
            SessionJournal journal) {
        this(settings, out, clockMillis, listener, journal, DeltaMerger.NONE);
    }

    /** A session whose delta chains (three-port) are compacted by {@code merger}. */
    public Session(SessionSettings settings, Outbox out, LongSupplier clockMillis, SessionListener listener,
            SessionJournal journal, DeltaMerger merger) {
        this.settings = settings;
        this.merger = merger;
        this.v09 = settings.generation() == Generation.V09;
        this.out = out;
        this.clock = clockMillis;
        this.listener = listener;
        this.journal = journal;
        this.graph = new NodeGraph(settings.tombstoneCapacity(), journal);
        this.heartbeats = new Heartbeats(settings.pingIntervalMillis(), settings.heartbeatTimeoutMillis());
    }

    // ---------------------------------------------------------------- inputs

    /** A decoded command from port P. {@code address} is the peer's address, for logs. */
    public void onCommand(ClientId from, String ownerFrame, ClientCommand command, String address) {
        assert onEngineThread();
        command.accept(new Dispatch(from, ownerFrame, address));
    }

    /** One command's handling: strangers may only log in and ask for server info. */
    private final class Dispatch implements ClientCommand.Handler<Void> {
        private final ClientId from;
        private final String ownerFrame;
        private final String address;

        Dispatch(ClientId from, String ownerFrame, String address) {
            this.from = from;
            this.ownerFrame = ownerFrame;
            this.address = address;
        }

        /** Runs {@code action} with the sender; from an identity that has not logged in, logs and counts a drop. */
        private Void asUser(ClientCommand command, Consumer<User> action) {
            User user = users.get(from);
            if (user == null) {
                reject(Drop.UNAUTHENTICATED, "Dropped " + commandName(command) + " from identity " + from + " ("
                        + address + "): not logged in");
            } else {
                action.accept(user);
            }
            return null;
        }

        @Override
        public Void auth(ClientCommand.Auth command) {
            login(from, command, address);
            return null;
        }

        @Override
        public Void serverInfo(ClientCommand.ServerInfoRequest command) {
            // MUST: any identity, at once (the add-on's server list waits 500 ms); no login.
            out.send(from, new ServerCommand.ServerInfo(settings.privateSession(), serverVersion()));
            return null;
        }

        @Override
        public Void metadata(ClientCommand.UpdateUserMetadata command) {
            return asUser(command, user -> {
                if (!user.mergeMetadata(command.metadata(), MAX_METADATA_KEYS)) {
                    reject(Drop.BAD_STATE, "Refused metadata of " + user + ": more than " + MAX_METADATA_KEYS + " keys");
                    return;
                }
                clientsStateDirty = true;
                if (v09) {
                    // Under the registered name: receivers look the owner frame up in their user table.
                    sendToOthers(user, new ServerCommand.MetadataChanged(user.name(), command.metadata()));
                }
            });
        }

        @Override
        public Void requestInit(ClientCommand.SnapshotRequestInit command) {
            return asUser(command, user -> Session.this.requestInit(user));
        }

        @Override
        public Void get(ClientCommand.SnapshotGet command) {
            return asUser(command, user -> Session.this.get(user, command.uuid()));
        }

        @Override
        public Void done(ClientCommand.SnapshotDone command) {
            return asUser(command, user -> joinDone(user));
        }

        @Override
        public Void uploadInit(ClientCommand.UploadInit command) {
            return asUser(command, user -> Session.this.uploadInit(user, command));
        }

        @Override
        public Void uploadSet(ClientCommand.UploadSet command) {
            return asUser(command, user -> Session.this.uploadSet(user, command.node()));
        }

        @Override
        public Void uploadEnd(ClientCommand.UploadEnd command) {
            return asUser(command, user -> Session.this.uploadEnd(user));
        }

        @Override
        public Void rights(ClientCommand.ChangeRights command) {
            return asUser(command, user -> changeRights(user, ownerFrame, command));
        }

        @Override
        public Void delete(ClientCommand.Delete command) {
            return asUser(command, user -> Session.this.delete(user, ownerFrame, command.uuid()));
        }

        @Override
        public Void kick(ClientCommand.Kick command) {
            return asUser(command, user -> kickRequest(user, command.user()));
        }
    }

    /** A datablock from a data port: a whole node, or (three-port) a delta of one. */
    public void onData(DataMessage data) {
        assert onEngineThread();
        if (data instanceof Datablock block) {
            onDatablock(block);
        } else if (data instanceof Commit commit) {
            onCommit(commit);
        }
    }

    /** A Commit (three-port): appended to the node's chain and forwarded byte for byte (§7, strategy B). */
    public void onCommit(Commit commit) {
        listener.datablockReceived(commit.delta().blob().length);
        User user = users.get(commit.sender());
        String uuid = commit.uuid();
        if (user == null) {
            reject(Drop.UNAUTHENTICATED, "Dropped delta of " + uuid + " from identity " + commit.sender()
                    + ": not logged in");
            return;
        }
        if (graph.isDeleted(uuid)) {
            // FIX: forwarded, a delta after the node's Delete ends every active receiver's session.
            reject(Drop.DELETED_NODE, "Dropped delta of " + uuid + " from " + user + ": node was deleted");
            return;
        }
        Node existing = graph.get(uuid);
        if (existing == null) {
            reject(Drop.UNKNOWN_TARGET, "Dropped delta of unknown node " + uuid + " from " + user);
            return;
        }
        if (!mayEdit(user.name(), existing)) {
            reject(Drop.NO_RIGHTS, "Refused delta of " + uuid + " from " + user + ": node is owned by '"
                    + existing.owner() + "'");
            return;
        }
        if (overSceneLimit(commit.delta().bytes(), uuid, user)) {
            return;
        }
        graph.append(uuid, commit.delta(), merger);
        long chainBytes = graph.chainBytes(uuid);
        if (chainBytes > settings.chainWarningBytes()) {
            chainWarnings.warn(uuid, "Delta chain of node " + uuid + " holds " + chainBytes + " bytes in "
                    + graph.chain(uuid).size() + " deltas (multiuser.chain-warning-size is "
                    + settings.chainWarningBytes() + "); a 'Force server update' from its owner resets it");
        }
        List<ClientId> to = dataReceivers(user, uuid);
        if (!to.isEmpty()) {
            out.pushDelta(to, uuid, commit.delta());
            listener.datablockForwarded(to.size(), commit.delta().blob().length);
        }
    }

    /** A complete datablock from port P+2. */
    public void onDatablock(Datablock block) {
        listener.datablockReceived(block.node().payload().length());
        User user = users.get(block.sender());
        Node incoming = block.node();
        if (user == null) {
            reject(Drop.UNAUTHENTICATED, "Dropped datablock " + incoming.uuid() + " from identity "
                    + block.sender() + ": not logged in");
            return;
        }
        if (graph.isDeleted(incoming.uuid())) {
            reject(Drop.DELETED_NODE, "Dropped datablock " + incoming.uuid() + " from " + user + ": node was deleted");
            return;
        }
        Node existing = graph.get(incoming.uuid());
        Node stored = incoming;
        if (existing != null) {
            if (!mayEdit(user.name(), existing)) {
                reject(Drop.NO_RIGHTS, "Refused datablock " + incoming.uuid() + " from " + user
                        + ": node is owned by '" + existing.owner() + "'");
                return;
            }
            stored = new Node(incoming.uuid(), existing.owner(), incoming.type(), incoming.dependencies(),
                    incoming.payload());
        } else if (v09 && !incoming.owner().equals(Node.COMMON) && !incoming.owner().equals(user.name())) {
            reject(Drop.NO_RIGHTS, "Refused new node " + incoming.uuid() + " from " + user + ": owner '"
                    + incoming.owner() + "' is neither COMMON nor the sender");
            return;
        }
        if (overSceneLimit(stored.payload().length() - (existing == null ? 0L : existing.payload().length()),
                stored.uuid(), user)) {
            return;
        }
        graph.put(stored);
        forwardDatablock(user, stored);
        if (state == SessionState.WAITING) {
            LOG.infof("Session is active again: %s pushed node %s", user, stored.uuid());
            becomeActive();
        }
    }

    /** Any message on port P+3. */
    public void onHeartbeat(ClientId from, boolean init) {
        assert onEngineThread();
        long now = clock.getAsLong();
        if (banned.contains(from)) {
            return; // no PING, no sign of life: a banned client gets nothing from this session
        }
        if (init) {
            heartbeats.watch(from, now); // also when the login came first
            ping(from, now);
            return;
        }
        OptionalInt rtt = heartbeats.received(from, now);
        if (rtt.isPresent()) {
            listener.pongReceived(rtt.getAsInt());
            User user = users.get(from);
            if (user != null) {
                user.latencyMillis(rtt.getAsInt());
            }
        } else if (!heartbeats.isWatched(from)) {
            LOG.debugf("Heartbeat from unknown identity %s ignored", from);
        }
    }

    private void ping(ClientId id, long now) {
        out.ping(id);
        heartbeats.pinged(id, now);
        listener.pingSent();
    }

    /** Timers: PINGs due, heartbeat timeouts, the periodic clients-state broadcast. Call often. */
    public void tick() {
        assert onEngineThread();
        long now = clock.getAsLong();
        for (ClientId id : heartbeats.duePings(now)) {
            ping(id, now);
        }
        for (ClientId id : heartbeats.expire(now)) {
            User user = users.get(id);
            if (user != null) {
                LOG.warnf("Heartbeat timeout: %s sent nothing for more than %d ms", user,
                        settings.heartbeatTimeoutMillis());
                drop(user, Departure.HEARTBEAT_TIMEOUT, "heartbeat timeout");
            }
        }
        boolean periodic = now - lastBroadcast >= settings.broadcastIntervalMillis();
        boolean changed = clientsStateDirty && now - lastBroadcast >= settings.presenceIntervalMillis();
        if (periodic || changed) {
            broadcastClientsState();
        }
    }

    /**
     * A client's command or data connection is gone for longer than the timeout while its
     * heartbeat may still answer: the original kept such ghosts forever, we drop them.
     */
    public void connectionLost(ClientId id, String which) {
        User user = users.get(id);
        if (user != null) {
            LOG.warnf("%s lost its %s connection for more than %d ms", user, which,
                    settings.heartbeatTimeoutMillis());
            drop(user, Departure.CONNECTION_LOST, which + " connection lost");
        }
    }

    /** A client whose backlog outgrew its limit: it cannot keep up, so it leaves instead of desyncing. */
    public void tooSlow(ClientId id, long queuedBytes) {
        User user = users.get(id);
        if (user != null) {
            LOG.warnf("%s cannot keep up (%d bytes queued for it); disconnecting it", user, queuedBytes);
            out.send(id, new ServerCommand.Disconnect("connection too slow, please join again"));
            drop(user, Departure.TOO_SLOW, "too slow");
        }
    }

    /** Admin kick (console, REST or an admin's RepKickCommand). Returns false for an unknown name. */
    public boolean kick(String name, String by) {
        assert onEngineThread();
        User target = usersByName.get(name);
        if (target == null) {
            return false;
        }
        LOG.infof("Kick: %s kicked by %s", target, by);
        out.send(target.id(), ServerCommand.Disconnect.KICKED);
        drop(target, Departure.KICKED, "kicked by " + by);
        return true;
    }

    // ---------------------------------------------------------------- scene from outside (store, admin)

    /**
     * Loads the scene a store kept from an earlier run, before any client connects: the session
     * is ACTIVE at once. The nodes are already durable, so they are not journaled again; their
     * owners are reset to COMMON because the users of that run are gone.
     */
    public void restore(Collection<Node> nodes) {
        restore(Scene.of(List.copyOf(nodes)));
    }

    /** {@link #restore(Collection)} with the nodes' delta chains (three-port). */
    public void restore(Scene scene) {
        assert onEngineThread();
        if (!users.isEmpty() || !graph.isEmpty() || state != SessionState.WAITING) {
            throw new IllegalStateException("a scene can only be restored into a new session");
        }
        graph.restore(scene.nodes().stream().map(Session::commonOwned).toList(), scene.chains(), merger);
        if (!graph.isEmpty()) {
            state = SessionState.ACTIVE;
        }
    }

    /**
     * Replaces the whole scene (an admin import; an empty list is a reset): every user is
     * disconnected with {@code reason}, since their copy no longer matches, any upload is abandoned,
     * and the session becomes ACTIVE with the new nodes (owners COMMON) or WAITING without any.
     */
    public void replaceScene(List<Node> nodes, String reason) {
        replaceScene(Scene.of(nodes), reason);
    }

    /** {@link #replaceScene(List, String)} with the nodes' delta chains (three-port). */
    public void replaceScene(Scene scene, String reason) {
        assert onEngineThread();
        disconnectAll(reason);
        upload = null;
        graph.clear();
        for (Node node : scene.nodes()) {
            graph.putWithChain(commonOwned(node), scene.chain(node.uuid()), merger);
        }
        state(graph.isEmpty() ? SessionState.WAITING : SessionState.ACTIVE);
        activity.add(Activity.Kind.ADMIN, "", "scene replaced (" + reason + "): " + graph.size() + " nodes");
        LOG.infof("Scene replaced (%s): %d nodes, %d bytes; session is %s", reason, graph.size(),
                graph.totalBytes(), state);
    }

    /** A node brought in from outside the session: whoever owned it is not here. */
    private static Node commonOwned(Node node) {
        return node.owner().equals(Node.COMMON) ? node : node.withOwner(Node.COMMON);
    }

    private void disconnectAll(String reason) {
        for (User user : List.copyOf(users.values())) {
            out.send(user.id(), new ServerCommand.Disconnect(reason));
            listener.userLeft(Departure.SCENE_REPLACED);
            heartbeats.forget(user.id());
            out.forget(user.id());
            LOG.infof("Leave: %s (%s)", user, reason);
            activity.add(Activity.Kind.LEAVE, user.name(), reason);
        }
        users.clear();
        usersByName.clear();
    }

    private void state(SessionState next) {
        if (next != state) {
            state = next;
            journal.stateChanged(next);
        }
    }

    private boolean onEngineThread() {
        if (Thread.currentThread() != owner) {
            throw new IllegalStateException("session called from " + Thread.currentThread().getName()
                    + "; only its engine thread (" + owner.getName() + ") may");
        }
        return true;
    }

    // ---------------------------------------------------------------- views

    public SessionState state() {
        return state;
    }

    public NodeGraph graph() {
        return graph;
    }

    public Generation generation() {
        return settings.generation();
    }

    /** The scene as it is now (nodes and chains), safe to hand to another thread. */
    public Scene scene() {
        assert onEngineThread();
        Map<String, List<Delta>> chains = new LinkedHashMap<>();
        for (Node node : graph.nodes()) {
            List<Delta> chain = graph.chain(node.uuid());
            if (!chain.isEmpty()) {
                chains.put(node.uuid(), chain);
            }
        }
        return new Scene(List.copyOf(graph.nodes()), chains);
    }

    /** Bans and login throttling, asked before every login (set before the first one). */
    public void guard(LoginGuard loginGuard) {
        this.guard = loginGuard;
    }

    /** The last events of this session (joins, leaves, kicks, refusals, admin actions), newest first. */
    public List<Activity.Event> activity() {
        assert onEngineThread();
        return activity.newestFirst();
    }

    /** Records an admin action done outside the protocol (a session created, say) among the events. */
    public void recordAdminAction(String detail) {
        assert onEngineThread();
        activity.add(Activity.Kind.ADMIN, "", detail);
    }

    /** How far a user's snapshot download has got, or null when it has none in progress. */
    public DownloadProgress download(User user) {
        Join join = user.join();
        return join == null ? null : join.progress();
    }

    public Collection<User> users() {
        return List.copyOf(users.values());
    }

    public Optional<User> user(String name) {
        return Optional.ofNullable(usersByName.get(name));
    }

    /** A client for log lines: its user name when logged in, else its identity. */
    public String describe(ClientId id) {
        User user = users.get(id);
        return user != null ? user.toString() : "identity " + id;
    }

    /**
     * Null when a message from {@code peerAddress} may speak for {@code id}; otherwise the host the
     * user really logged in from. A client's four connections come from one machine: a connection
     * from another host that declares a logged-in user's identity is someone else.
     */
    public String foreignHost(ClientId id, String peerAddress) {
        User user = users.get(id);
        if (user == null || peerAddress == null || !peerAddress.contains(":")) {
            return null; // not logged in (refused anyway), or no address to compare
        }
        String host = PeerHost.of(user.address());
        return host.equals(PeerHost.of(peerAddress)) ? null : host;
    }

    public boolean isLoggedIn(ClientId id) {
        return users.containsKey(id);
    }

    // ---------------------------------------------------------------- login and leave

    private void login(ClientId from, ClientCommand.Auth auth, String address) {
        Refusal refusal = refusal(from, auth, address);
        if (refusal != null) {
            listener.loginRefused(refusal.reason());
            guard.refused(auth.name(), auth.admin(), address, refusal.reason());
            if (refusal.reason() == LoginRefusal.BANNED) {
                heartbeats.forget(from); // its heartbeat may have come first
                if (banned.size() >= 10_000) {
                    banned.remove(banned.iterator().next());
                }
                banned.add(from);
            }
            activity.add(Activity.Kind.REFUSED, auth.name(), (auth.admin() ? "admin" : "client") + " login from "
                    + address + ": " + refusal.text());
            LOG.warnf("Login refused for '%s' (%s) from %s: %s", auth.name(), auth.admin() ? "admin" : "client",
                    address, refusal.text());
            out.send(from, AuthReply.failed(refusal.text()));
            return;
        }
        long now = clock.getAsLong();
        User user = new User(from, auth.name(), auth.admin(), address, Instant.now());
        users.put(from, user);
        usersByName.put(user.name(), user);
        listener.loginAccepted(user.admin());
        guard.accepted(user.name(), user.admin(), address);
        if (!heartbeats.isWatched(from)) {
            heartbeats.watch(from, now); // a client that never starts its heartbeat is dropped too
        }
        boolean lobby = state != SessionState.ACTIVE;
        activity.add(Activity.Kind.JOIN, user.name(), (user.admin() ? "admin" : "client") + " from " + address
                + ", version " + auth.version() + (lobby ? ", waits in the lobby" : ", joins the running session"));
        LOG.infof("Login: %s from %s, version %s, %s (%d users online)", user, address, auth.version(),
                lobby ? "waits in the lobby" : "joins the running session", users.size());
        broadcastClientsState(); // MUST: the client sees the user list before its reply
        out.send(from, lobby ? AuthReply.LOBBY : AuthReply.RUNNING);
    }

    private record Refusal(LoginRefusal reason, String text) {
    }

    /** Why a login is refused (with the FAILED text), or null to accept it; checks in the original's order. */
    private Refusal refusal(ClientId from, ClientCommand.Auth auth, String address) {
        if (usersByName.containsKey(auth.name()) || users.containsKey(from)) {
            return new Refusal(LoginRefusal.DUPLICATE, "client already logged in");
        }
        LoginGuard.Refused guarded = guard.refuse(auth.name(), auth.admin(), address);
        if (guarded != null) { // banned, or an address with too many wrong passwords: no password is checked
            return new Refusal(guarded.reason(), guarded.text());
        }
        if (auth.admin() && !secretMatches(settings.adminPassword(), auth.password())) {
            return new Refusal(LoginRefusal.WRONG_PASSWORD, v09 ? "wrong admin password" : "wrong password");
        }
        // Public session: whatever the client sends is ignored (a stale password ticked in a preset).
        if (v09 && settings.privateSession()
                && !secretMatches(settings.sessionPassword(), String.valueOf(auth.sessionPassword()))) {
            return new Refusal(LoginRefusal.WRONG_SESSION_PASSWORD, "wrong server password");
        }
        if (settings.maxUsers() > 0 && users.size() >= settings.maxUsers()) {
            return new Refusal(LoginRefusal.SESSION_FULL, "session is full (" + settings.maxUsers() + " users)");
        }
        List<String> accepted = settings.acceptedVersions();
        if (!accepted.isEmpty() && !accepted.contains(auth.version())) {
            return new Refusal(LoginRefusal.VERSION,
                    "wrong client version (" + auth.version() + " != " + serverVersion() + ")");
        }
        if (v09 && (auth.name().equals(Node.COMMON) || auth.name().equals(ServerCommand.SERVER))) {
            // A user named COMMON would own every common node.
            return new Refusal(LoginRefusal.RESERVED_NAME, "'" + auth.name() + "' is a reserved user name");
        }
        return null;
    }

    /** The version this session says it speaks: the first accepted one, else its generation's. */
    private String serverVersion() {
        List<String> accepted = settings.acceptedVersions();
        return accepted.isEmpty() ? settings.generation().primaryVersion() : accepted.get(0);
    }

    private static boolean secretMatches(String secret, String given) {
        byte[] expected = secret.getBytes(StandardCharsets.UTF_8);
        byte[] actual = given == null ? new byte[0] : given.getBytes(StandardCharsets.UTF_8);
        return MessageDigest.isEqual(expected, actual); // constant time
    }

    /** Removes a user: its nodes become COMMON for everyone, its upload is abandoned. */
    private void drop(User user, Departure departure, String reason) {
        listener.userLeft(departure);
        users.remove(user.id());
        usersByName.remove(user.name());
        heartbeats.forget(user.id());
        out.forget(user.id());
        List<String> released = graph.reassign(user.name(), Node.COMMON);
        if (v09 && !released.isEmpty()) {
            forwardCommand(null, new ServerCommand.RightChanged(ServerCommand.SERVER, released, Node.COMMON));
        } else {
            for (String uuid : released) {
                forwardCommand(null, new ServerCommand.RightChanged(ServerCommand.SERVER, uuid, Node.COMMON));
            }
        }
        LOG.infof("Leave: %s (%s); %d node(s) now COMMON; %d user(s) online", user, reason, released.size(),
                users.size());
        activity.add(switch (departure) {
            case KICKED -> Activity.Kind.KICK;
            case HEARTBEAT_TIMEOUT -> Activity.Kind.TIMEOUT;
            default -> Activity.Kind.LEAVE;
        }, user.name(), reason);
        if (upload != null && upload.by(user.id()) && !upload.isComplete()) {
            LOG.warnf("Snapshot upload by %s abandoned after %d of %d nodes; session is waiting for a new upload",
                    user, upload.received(), upload.announced());
            upload = null;
            graph.clear();
            state(SessionState.WAITING);
        }
        broadcastClientsState();
    }

    private void kickRequest(User requester, String targetName) {
        if (!requester.admin()) {
            reject(Drop.NO_RIGHTS, "Refused kick of '" + targetName + "' by " + requester + ": not an admin");
            return;
        }
        if (targetName.equals(requester.name())) {
            reject(Drop.BAD_STATE, "Kick of " + requester + " by itself ignored");
            return;
        }
        if (!kick(targetName, requester.name())) {
            reject(Drop.UNKNOWN_TARGET, "Kick by " + requester + " ignored: no user named '" + targetName + "'");
        }
    }

    // ---------------------------------------------------------------- upload (SRV_SYNC)

    private void uploadInit(User user, ClientCommand.UploadInit init) {
        if (!user.admin()) {
            reject(Drop.NO_RIGHTS, "Refused snapshot upload from " + user + ": not an admin");
            out.send(user.id(), UploadReply.REJECTED);
        } else if (state == SessionState.SRV_SYNC) {
            reject(Drop.BAD_STATE, "Refused snapshot upload from " + user + ": another upload is in progress");
            out.send(user.id(), UploadReply.REJECTED);
        } else if (state == SessionState.ACTIVE) {
            reject(Drop.BAD_STATE, "Ignored snapshot upload from " + user + ": the session is already active");
            if (v09) {
                // FIX: the reference crashed here. REJECTED sends the client back to the lobby to join.
                out.send(user.id(), UploadReply.REJECTED);
                if (user.status() == User.Status.LOBBY && user.join() == null) {
                    startJoin(user);
                }
            }
        } else {
            upload = new Upload(user.id(), user.toString(), init.nodes(), graph, clock);
            state(SessionState.SRV_SYNC);
            LOG.infof("Snapshot upload started by %s: %d nodes announced", user, upload.announced());
            // MUST: the real client sets its own state only after sending INIT.
            if (v09) {
                out.send(user.id(), UploadReply.ACCEPTED); // the 0.9 client is ready before it reads the reply
            } else {
                out.sendAfter(user.id(), UploadReply.ACCEPTED, settings.acceptedDelayMillis());
            }
            if (upload.isComplete()) {
                completeUpload(user); // nothing announced
            }
        }
    }

    private void uploadSet(User user, Node node) {
        if (upload == null || !upload.by(user.id()) || upload.isComplete()) {
            reject(Drop.BAD_STATE, "Ignored snapshot node " + node.uuid() + " from " + user
                    + ": no upload of theirs in progress");
        } else if (overSceneLimit(node.payload().length(), node.uuid(), user)) {
            return; // the upload cannot complete: the log line says which limit to raise
        } else if (!upload.accept(node)) {
            reject(Drop.BAD_STATE, "Ignored snapshot node " + node.uuid() + " from " + user
                    + ": not announced in the upload's INIT");
        } else if (upload.isComplete()) {
            completeUpload(user); // the last SET, before END
        }
    }

    private void completeUpload(User uploader) {
        long millis = upload.elapsedMillis();
        activity.add(Activity.Kind.UPLOAD, uploader.name(), "uploaded the scene: " + graph.size() + " nodes, "
                + graph.totalBytes() + " bytes in " + millis + " ms");
        LOG.infof("Snapshot upload by %s complete: %d nodes, %d bytes in %.2f s", uploader, graph.size(),
                graph.totalBytes(), millis / 1000.0);
        listener.snapshotCompleted(SnapshotDirection.UPLOAD, graph.size(), graph.totalBytes(), millis);
        out.send(uploader.id(), UploadReply.DONE);
        if (graph.isEmpty()) {
            LOG.info("The uploaded scene is empty; session stays waiting");
            state(SessionState.WAITING);
            return;
        }
        becomeActive();
    }

    private void uploadEnd(User user) {
        if (upload == null || !upload.by(user.id())) {
            reject(Drop.BAD_STATE, "Ignored snapshot END from " + user + ": no upload of theirs in progress");
            return;
        }
        if (!upload.isComplete()) {
            LOG.warnf("Snapshot upload by %s ended with %d of %d announced nodes", user, upload.received(),
                    upload.announced());
            completeUpload(user);
        }
        upload = null;
        user.status(User.Status.ACTIVE);
        broadcastClientsState();
    }

    /** The session has a scene: lobby users get the catalog without asking (§6). */
    private void becomeActive() {
        state(SessionState.ACTIVE);
        for (User user : users.values()) {
            if (user.status() == User.Status.LOBBY && !isUploader(user)) {
                startJoin(user);
            }
        }
    }

    private boolean isUploader(User user) {
        return upload != null && upload.by(user.id());
    }

    // ---------------------------------------------------------------- join (snapshot download)

    private void requestInit(User user) {
        if (user.status() == User.Status.ACTIVE) {
            reject(Drop.BAD_STATE, "Ignored REQUEST_INIT from " + user + ": already has the scene");
        } else if (user.join() != null) {
            reject(Drop.BAD_STATE, "Ignored REQUEST_INIT from " + user + ": catalog already sent");
        } else if (state != SessionState.ACTIVE || graph.isEmpty()) {
            // Never an empty catalog: the user stays in the lobby and gets the catalog once a scene exists.
            LOG.debugf("REQUEST_INIT from %s held until the session has a scene", user);
        } else {
            startJoin(user);
        }
    }

    private void startJoin(User user) {
        user.beginJoin(Join.start(settings, user.id(), user.toString(), graph, out, clock, listener));
    }

    private void get(User user, String uuid) {
        Join join = user.join();
        boolean known = join != null ? join.onGet(uuid)
                : Join.answerOutsideJoin(settings.generation(), user.id(), uuid, graph, out);
        if (!known) {
            reject(Drop.UNKNOWN_TARGET, "Ignored GET for unknown node " + uuid + " from " + user);
        }
    }

    private void joinDone(User user) {
        if (user.status() == User.Status.ACTIVE) {
            reject(Drop.BAD_STATE, "Ignored snapshot DONE from " + user + ": already active");
            return;
        }
        Join join = user.endJoin();
        if (join != null) {
            Join.Completed done = join.onDone(); // sends what the joiner could not take before
            activity.add(Activity.Kind.JOIN, user.name(), "downloaded the scene: " + done.nodes() + " nodes, "
                    + done.bytes() + " bytes in " + done.millis() + " ms");
            LOG.infof("Snapshot download by %s complete: %d nodes, %d bytes in %.2f s", user, done.nodes(),
                    done.bytes(), done.millis() / 1000.0);
            listener.snapshotCompleted(SnapshotDirection.DOWNLOAD, done.nodes(), done.bytes(), done.millis());
        }
        broadcastClientsState();
    }

    // ---------------------------------------------------------------- edits

    private static boolean mayEdit(String userName, Node node) {
        return node.owner().equals(userName) || node.owner().equals(Node.COMMON);
    }

    private void changeRights(User user, String ownerFrame, ClientCommand.ChangeRights rights) {
        if (v09) {
            changeRightsOfList(user, ownerFrame, rights);
            return;
        }
        if (rights.uuids().size() != 1) {
            reject(Drop.MALFORMED, "Ignored owner change of " + rights.uuids().size() + " nodes by " + user);
            return;
        }
        String uuid = rights.uuids().get(0);
        Node node = graph.get(uuid);
        if (node == null) {
            reject(Drop.UNKNOWN_TARGET, "Ignored owner change of unknown node " + uuid + " by " + user);
            return;
        }
        if (!mayEdit(user.name(), node) && !user.admin()) {
            reject(Drop.NO_RIGHTS, "Refused owner change of " + uuid + " by " + user
                    + ": node is owned by '" + node.owner() + "'");
            // Tell the sender who really owns it, so its view does not drift.
            out.send(user.id(), new ServerCommand.RightChanged(ServerCommand.SERVER, node.uuid(), node.owner()));
            return;
        }
        graph.put(node.withOwner(rights.owner()));
        LOG.debugf("Owner of %s: '%s' -> '%s' by %s", node.uuid(), node.owner(), rights.owner(), user);
        forwardCommand(user, new ServerCommand.RightChanged(ownerFrame, uuid, rights.owner()));
    }

    /**
     * Three-port Right: the nodes the sender may change (its own, COMMON ones, any for an admin)
     * get the new owner, and the command goes to everyone, sender included (MUST: the client
     * changes owners only on the echo). The new owner must be COMMON or someone online.
     */
    private void changeRightsOfList(User user, String ownerFrame, ClientCommand.ChangeRights rights) {
        String owner = rights.owner();
        if (!owner.equals(Node.COMMON) && !usersByName.containsKey(owner)) {
            reject(Drop.UNKNOWN_TARGET, "Refused owner change to '" + owner + "' by " + user + ": no such user online");
            return;
        }
        List<String> changed = new ArrayList<>(rights.uuids().size());
        int refused = 0;
        for (String uuid : rights.uuids()) {
            Node node = graph.get(uuid);
            if (node != null && (mayEdit(user.name(), node) || user.admin())) {
                graph.put(node.withOwner(owner));
                changed.add(uuid);
            } else if (!changed.contains(uuid)) {
                refused++;
            }
        }
        if (refused > 0) {
            reject(Drop.NO_RIGHTS, "Refused owner change of " + refused + " of " + rights.uuids().size()
                    + " node(s) by " + user + ": unknown or owned by someone else");
        }
        if (!changed.isEmpty()) {
            forwardCommand(null, new ServerCommand.RightChanged(ownerFrame, changed, owner));
        }
    }

    private void delete(User user, String ownerFrame, String uuid) {
        Node node = graph.get(uuid);
        if (node == null) {
            if (!graph.isDeleted(uuid)) {
                reject(Drop.UNKNOWN_TARGET, "Ignored delete of unknown node " + uuid + " by " + user);
            }
            return;
        }
        if (!mayEdit(user.name(), node) && !user.admin()) {
            reject(Drop.NO_RIGHTS, "Refused delete of " + uuid + " by " + user + ": node is owned by '"
                    + node.owner() + "'");
            return;
        }
        graph.delete(uuid);
        LOG.debugf("Node %s deleted by %s", uuid, user);
        for (User other : users.values()) { // a four-port joiner is still owed it (§6a rule 5)
            if (other.join() != null) {
                other.join().nodeDeleted(uuid, node);
            }
        }
        if (v09) {
            graph.removeDependency(uuid);
            forwardCommand(null, new ServerCommand.Deleted(ownerFrame, uuid)); // MUST: echoed to the sender too
        } else {
            forwardCommand(user, new ServerCommand.Deleted(ownerFrame, uuid));
        }
        if (graph.isEmpty() && state == SessionState.ACTIVE) {
            // FIX: RUNNING with an empty catalog crashes the real client.
            LOG.info("Every node was deleted: session is waiting for a new upload");
            state(SessionState.WAITING);
        }
    }

    // ---------------------------------------------------------------- fan-out

    /** Right/Delete to every other user; held back for users still downloading (§6a rule 6, 0.9 §7 B.4). */
    private void forwardCommand(User sender, ServerCommand command) {
        List<ClientId> now = new ArrayList<>(users.size());
        for (User user : users.values()) {
            if (user == sender) {
                continue;
            }
            if (user.join() != null) {
                user.join().holdBack(command);
            } else {
                now.add(user.id());
            }
        }
        if (!now.isEmpty()) {
            out.send(now, command);
        }
    }

    private void forwardDatablock(User sender, Node node) {
        List<ClientId> to = dataReceivers(sender, node.uuid());
        if (!to.isEmpty()) {
            out.push(to, node);
            listener.datablockForwarded(to.size(), node.payload().length());
        }
    }

    /**
     * Who gets a live datablock: everyone but its sender and the lobby (which gets every node in
     * its catalog later); a joiner when its join says so (a four-port one at once, a three-port
     * one from its first GET).
     */
    private List<ClientId> dataReceivers(User sender, String uuid) {
        List<ClientId> to = new ArrayList<>(users.size());
        for (User user : users.values()) {
            if (user == sender || user.status() == User.Status.LOBBY) {
                continue;
            }
            if (user.join() == null || user.join().takesLiveData(uuid)) {
                to.add(user.id());
            }
        }
        return to;
    }

    /** A command to every logged-in user but {@code sender}, at once (no join holds it back). */
    private void sendToOthers(User sender, ServerCommand command) {
        List<ClientId> to = new ArrayList<>(users.size());
        for (User user : users.values()) {
            if (user != sender) {
                to.add(user.id());
            }
        }
        if (!to.isEmpty()) {
            out.send(to, command);
        }
    }

    private void broadcastClientsState() {
        lastBroadcast = clock.getAsLong();
        clientsStateDirty = false;
        if (users.isEmpty()) {
            return;
        }
        Map<String, UserView> views = new LinkedHashMap<>();
        for (User user : users.values()) {
            views.put(user.name(), user.view());
        }
        out.send(List.copyOf(users.keySet()), new ServerCommand.ClientsState(views));
    }

    /** Drops a message that breaks a rule: one throttled warning, one count. */
    /** True (and the change refused) when {@code growth} more bytes would take the scene past its limit. */
    private boolean overSceneLimit(long growth, String uuid, User user) {
        long limit = settings.maxSceneBytes();
        if (limit <= 0 || growth <= 0) {
            return false;
        }
        long size = graph.totalBytes() + graph.chainBytes();
        if (size + growth <= limit) {
            return false;
        }
        reject(Drop.SCENE_LIMIT, "Refused change of " + uuid + " from " + user + ": the scene would grow to "
                + (size + growth) + " bytes, over the session's max-scene-bytes (" + limit + ")");
        return true;
    }

    private void reject(Drop reason, String message) {
        listener.dropped(reason, 1);
        ignored.warn(reason.name(), message);
    }

    private static String commandName(ClientCommand command) {
        return command.getClass().getSimpleName();
    }
}
