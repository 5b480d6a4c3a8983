package io.multiuser.server.testclient;

import static org.assertj.core.api.Assertions.fail;

import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;
import java.util.function.Supplier;

import org.zeromq.SocketType;
import org.zeromq.ZContext;
import org.zeromq.ZMQ;

import io.multiuser.server.wire.MalformedMessageException;
import io.multiuser.server.wire.Pickles;

/**
 * A protocol test client that behaves like the replication 0.9.10 library the Blender add-on
 * 0.6.9 uses (docs/protocol/PROTOCOL-0.9.md). One 16-byte identity for three DEALERs: P
 * (commands, typed frames {@code [pickle(type), owner, pickle(data)]}), P+1 (datablocks both
 * ways: Node {@code [2, uuid, owner, pickle(deps), data]}, Commit {@code [1, uuid, pickle(deps),
 * delta]}) and P+2 (heartbeat: INIT, then PONG to every frame).
 *
 * <p>Like the add-on, one "main" thread owns P and P+1 and, per turn, runs what the test asked
 * for, then reads <b>at most one message on P and one on P+1</b> (the add-on's 1 ms timer). It
 * keeps a local replica the way the library does and records, as {@link #errors()}, everything
 * that would end the real client's session (a Commit for an unknown uuid while active, metadata
 * from an unknown user, an empty catalog, an unexpected Auth, a reply in the wrong state...).
 * A second thread owns P+2, like the add-on's heartbeat process.
 *
 * <p>Everything the client sends is pickled with protocol 4 by {@link P4}, as CPython writes it
 * (including sets, which the metadata carries); everything it receives is decoded with the
 * server's own {@link Pickles#loadsWithSets} (the 0.9 value model has sets).
 */
public final class TestClient09 implements AutoCloseable {

    public static final String VERSION = "0.9.10";
    public static final Duration WAIT = Duration.ofSeconds(10);
    /** The add-on's default client timeout: the heartbeat process gives up after this + 1 s of silence. */
    public static final long CLIENT_TIMEOUT_MILLIS = 5000;

    // Type numbers (section 2).
    public static final int COMMIT = 1;
    public static final int NODE = 2;
    public static final int DELETE = 4;
    public static final int RIGHT = 5;
    public static final int SNAPSHOT = 7;
    public static final int SERVER_SNAPSHOT = 8;
    public static final int AUTH = 9;
    public static final int DISCONNECT = 10;
    public static final int KICK = 11;
    public static final int CLIENTS_STATE = 12;
    public static final int USER_METADATA = 13;
    public static final int SERVER_INFO = 14;

    /** The client library's states that matter on the wire. */
    public enum State {
        INITIAL, AUTH, LOBBY, SYNCING, UPLOADING, ACTIVE, QUIT
    }

    /** A command received on P. */
    public record Received(int type, String owner, Object data, State state) {
        @Override
        public String toString() {
            return "[" + type + ", " + owner + ", " + render(data) + "]@" + state;
        }
    }

    /** A datablock received on P+1 and what the client did with it. */
    public record Datablock(int type, String uuid, String owner, List<String> deps, byte[] blob, State state,
            String fate) {
        @Override
        public String toString() {
            return (type == NODE ? "Node" : "Commit") + "[" + uuid + ", owner=" + owner + ", deps=" + deps + ", "
                    + blob.length + " bytes, " + state + " -> " + fate + "]";
        }
    }

    /** A node to upload or push. */
    public record NodeData(String uuid, String owner, List<String> deps, byte[] data) {
        public NodeData {
            deps = List.copyOf(deps);
        }
    }

    /** One node of the local replica: base data (the last full Node) and the deltas applied since. */
    public record Replica(String owner, List<String> deps, byte[] base, List<byte[]> applied, boolean loaded) {

        /** owner, deps, base digest and the digests of the applied deltas in order: equal iff same content. */
        public String digest() {
            StringBuilder b = new StringBuilder(owner).append(' ').append(deps).append(" base=")
                    .append(sha256(base)).append(" chain=[");
            for (int i = 0; i < applied.size(); i++) {
                b.append(i == 0 ? "" : ",").append(sha256(applied.get(i)));
            }
            return b.append(']').toString();
        }
    }

    /** A server-info answer and how long it took (from the send). */
    public record ServerInfo(String owner, int type, Object data, long millis) {
    }

    public final String name;
    public final byte[] identity;
    private final String host;
    private final int basePort;
    private final ZContext context = new ZContext(1);
    private final Thread mainThread;
    private final ConcurrentLinkedQueue<Runnable> actions = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final CountDownLatch ready = new CountDownLatch(1);
    private final List<String> errors = Collections.synchronizedList(new ArrayList<>());
    private final Object monitor = new Object();
    /** Every command received, in order (guarded by {@link #monitor}). */
    private final List<Received> log = new ArrayList<>();
    /** Which entries of {@link #log} an await already returned (guarded by {@link #monitor}). */
    private final List<Boolean> consumed = new ArrayList<>();
    private final List<Datablock> datablocks = new ArrayList<>(); // guarded by monitor

    // ---- main-thread state (read by tests through call()) ----
    private ZMQ.Socket commands;
    private ZMQ.Socket data;
    private volatile State state = State.INITIAL;
    private volatile long lastDatablockNanos = System.nanoTime();
    private volatile String authReply;
    private volatile Object disconnectReason;
    private volatile String uploadResult;
    private final Map<String, Replica> replica = new LinkedHashMap<>();
    private final Map<String, Map<String, Object>> users = new LinkedHashMap<>();
    private final ArrayDeque<String> catalog = new ArrayDeque<>();
    private final List<byte[][]> queued = new ArrayList<>();
    private String waitingFor;
    private int getsSent;
    private volatile int getLimit = Integer.MAX_VALUE;
    private volatile boolean autoRequestInit = true;
    private volatile boolean requestedInit;
    private List<NodeData> uploading = List.of();

    // ---- heartbeat ----
    private Thread heartbeatThread;
    private final AtomicBoolean answerPings = new AtomicBoolean(true);
    private final AtomicBoolean heartbeatRunning = new AtomicBoolean();
    private final AtomicInteger pings = new AtomicInteger();
    private final ConcurrentLinkedQueue<byte[][]> heartbeatRaw = new ConcurrentLinkedQueue<>();
    private volatile boolean startHeartbeatAtLogin = true;

    public TestClient09(int basePort, String name) {
        this("127.0.0.1", basePort, name);
    }

    public TestClient09(String host, int basePort, String name) {
        this.name = name;
        this.host = host;
        this.basePort = basePort;
        this.identity = randomIdentity();
        mainThread = new Thread(this::mainLoop, "client09-" + name);
        mainThread.setDaemon(true);
        mainThread.start();
        try {
            if (!ready.await(10, TimeUnit.SECONDS)) {
                throw new IllegalStateException(name + ": sockets not ready");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** A uuid4 as 16 bytes; ZeroMQ reserves routing ids that start with a zero byte. */
    public static byte[] randomIdentity() {
        while (true) {
            UUID uuid = UUID.randomUUID();
            byte[] id = ByteBuffer.allocate(16).putLong(uuid.getMostSignificantBits())
                    .putLong(uuid.getLeastSignificantBits()).array();
            if (id[0] != 0) {
                return id;
            }
        }
    }

    private ZMQ.Socket dealer(int port) {
        ZMQ.Socket s = ClientSockets.create(context, SocketType.DEALER);
        s.setIdentity(identity);
        s.setLinger(0);
        s.connect("tcp://" + host + ":" + port);
        return s;
    }

    // =================================================================== main thread

    private void mainLoop() {
        commands = dealer(basePort);
        data = dealer(basePort + 1);
        ZMQ.Poller poller = context.createPoller(2);
        poller.register(commands, ZMQ.Poller.POLLIN);
        poller.register(data, ZMQ.Poller.POLLIN);
        ready.countDown();
        try {
            while (running.get()) {
                Runnable action;
                boolean busy = false;
                while ((action = actions.poll()) != null) {
                    action.run();
                    busy = true;
                }
                if (state != State.QUIT) {
                    maybeSendNextGet();
                }
                // At most one message per port per turn, as the add-on's listen() does.
                byte[][] command = recvFrames(commands);
                if (command != null) {
                    busy = true;
                    onCommand(command);
                }
                byte[][] block = recvFrames(data);
                if (block != null) {
                    busy = true;
                    onDatablock(block);
                }
                if (!busy) {
                    poller.poll(1);
                }
            }
        } catch (RuntimeException | AssertionError e) {
            if (running.get()) {
                error("main loop died: " + e);
            }
        } finally {
            poller.close();
            commands.close();
            data.close();
        }
    }

    private static byte[][] recvFrames(ZMQ.Socket socket) {
        byte[] first = socket.recv(ZMQ.DONTWAIT);
        if (first == null) {
            return null;
        }
        List<byte[]> frames = new ArrayList<>(5);
        frames.add(first);
        while (socket.hasReceiveMore()) {
            frames.add(socket.recv());
        }
        return frames.toArray(new byte[0][]);
    }

    /** Runs {@code work} on the main thread (between two turns) and returns its result. */
    public <T> T call(Supplier<T> work) {
        if (Thread.currentThread() == mainThread) {
            return work.get();
        }
        CompletableFuture<T> f = new CompletableFuture<>();
        actions.add(() -> {
            try {
                f.complete(work.get());
            } catch (RuntimeException | AssertionError e) {
                f.completeExceptionally(e);
            }
        });
        try {
            return f.get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            throw new AssertionError(name + ": " + e.getCause(), e.getCause());
        } catch (Exception e) {
            throw new AssertionError(name + ": main thread did not run the action: " + e, e);
        }
    }

    private void run(Runnable work) {
        call(() -> {
            work.run();
            return null;
        });
    }

    private void error(String what) {
        errors.add(what);
    }

    // ---------------------------------------------------------------- sending (main thread)

    private void sendCommand(int type, String owner, Object value) {
        sendFrames(commands, typeFrame(type), utf8(owner), ClientPickler.dumps(value));
    }

    private static void sendFrames(ZMQ.Socket socket, byte[]... frames) {
        for (int i = 0; i < frames.length; i++) {
            socket.send(frames[i], i < frames.length - 1 ? ZMQ.SNDMORE : 0);
        }
    }

    /** Frame 0 as the client writes it: {@code 80 04 4b NN 2e}. */
    public static byte[] typeFrame(int type) {
        return new byte[] {(byte) 0x80, 4, 'K', (byte) type, '.'};
    }

    // ---------------------------------------------------------------- receiving commands (main thread)

    private void onCommand(byte[][] frames) {
        if (frames.length != 3) {
            error("command of " + frames.length + " frames (expected 3)");
            return;
        }
        int type;
        Object value;
        try {
            Object t = Pickles.loadsWithSets(frames[0]);
            if (!(t instanceof Integer i)) {
                error("command type frame is not an int: " + render(t));
                return;
            }
            type = i;
            value = Pickles.loadsWithSets(frames[2]);
        } catch (MalformedMessageException e) {
            error("undecodable command: " + e.getMessage() + " frames " + HexFormat.of().formatHex(frames[0]));
            return;
        }
        String owner = utf8(frames[1]);
        Received r = new Received(type, owner, value, state);
        synchronized (monitor) {
            log.add(r);
            consumed.add(false);
            monitor.notifyAll();
        }
        if (state == State.QUIT) {
            return; // the session is over; nothing is applied any more
        }
        switch (type) {
            case AUTH -> onAuth(value);
            case CLIENTS_STATE -> onClientsState(value);
            case USER_METADATA -> onUserMetadata(owner, value);
            case SERVER_SNAPSHOT -> onServerSnapshot(value);
            case SNAPSHOT -> onSnapshot(value);
            case RIGHT -> onRight(value);
            case DELETE -> onDelete(value);
            case DISCONNECT -> {
                disconnectReason = value;
                quit();
            }
            default -> error("unexpected command type " + type + " " + r);
        }
    }

    private void onAuth(Object value) {
        if (state != State.AUTH) {
            error("Auth " + render(value) + " while not waiting for one (state " + state + ")");
            return;
        }
        String reply = String.valueOf(value);
        if (!(value instanceof String)) {
            error("Auth reply is not a str: " + render(value));
        }
        if (!reply.contains("FAILED") && !users.containsKey(name)) {
            error("Auth " + reply + " before an UpdateClientsState listing " + name);
        }
        authReply = reply;
        if (reply.contains("FAILED")) {
            quit();
        } else if (reply.contains("RUNNING")) {
            state = State.LOBBY;
            if (autoRequestInit) {
                requestInit();
            }
        } else if (reply.contains("LOBBY")) {
            state = State.LOBBY;
        } else {
            error("Auth reply neither LOBBY, RUNNING nor FAILED: " + reply);
        }
    }

    private void requestInit() {
        requestedInit = true;
        sendCommand(SNAPSHOT, name, map("STATE", "REQUEST_INIT"));
    }

    @SuppressWarnings("unchecked")
    private void onClientsState(Object value) {
        if (!(value instanceof Map<?, ?> table)) {
            error("UpdateClientsState is not a dict: " + render(value));
            return;
        }
        users.clear();
        for (Map.Entry<?, ?> e : table.entrySet()) {
            if (!(e.getValue() instanceof Map<?, ?> record)
                    || !record.keySet().equals(Set.of("id", "admin", "latency", "status", "metadata"))
                    || !(record.get("metadata") instanceof Map)) {
                error("UpdateClientsState record for " + e.getKey() + " lacks the five keys: " + render(e.getValue()));
                continue;
            }
            users.put(String.valueOf(e.getKey()), new LinkedHashMap<>((Map<String, Object>) record));
        }
    }

    @SuppressWarnings("unchecked")
    private void onUserMetadata(String owner, Object value) {
        Map<String, Object> user = users.get(owner);
        if (user == null) {
            error("UpdateUserMetadata from " + owner + ", not in the user table " + users.keySet());
            return;
        }
        if (!(value instanceof Map<?, ?> partial)) {
            error("UpdateUserMetadata data is not a dict: " + render(value));
            return;
        }
        Map<String, Object> metadata = new LinkedHashMap<>((Map<String, Object>) user.get("metadata"));
        metadata.putAll((Map<String, Object>) partial);
        user.put("metadata", metadata);
    }

    @SuppressWarnings("unchecked")
    private void onServerSnapshot(Object value) {
        if (state != State.UPLOADING) {
            error("ServerSnapshot " + render(value) + " while not uploading (state " + state + ")");
            return;
        }
        Object s = value instanceof Map<?, ?> m ? ((Map<String, Object>) m).get("STATE") : null;
        if ("ACCEPTED".equals(s)) {
            for (NodeData n : uploading) {
                replica.put(n.uuid(), new Replica(n.owner(), n.deps(), n.data(), List.of(), true));
            }
            for (NodeData n : uploading) {
                sendCommand(SERVER_SNAPSHOT, "server", map("STATE", "SET", "DATA", chunks(n)));
            }
            sendCommand(SERVER_SNAPSHOT, "server", map("STATE", "END"));
        } else if ("REJECTED".equals(s)) {
            uploadResult = "REJECTED";
            state = State.LOBBY; // and waits for a catalog
        } else if ("DONE".equals(s)) {
            uploadResult = "DONE";
            state = State.ACTIVE;
        } else {
            error("unknown ServerSnapshot " + render(value));
        }
    }

    /** The five chunks of a Node inside a snapshot: {@code [b'\x80\x04K\x02.', uuid, owner, pickle(deps), data]}. */
    public static List<byte[]> chunks(NodeData n) {
        return List.of(typeFrame(NODE), utf8(n.uuid()), utf8(n.owner()), ClientPickler.dumps(new ArrayList<>(n.deps())),
                n.data());
    }

    @SuppressWarnings("unchecked")
    private void onSnapshot(Object value) {
        Map<String, Object> m = value instanceof Map<?, ?> d ? (Map<String, Object>) d : Map.of();
        Object s = m.get("STATE");
        if ("INIT".equals(s)) {
            if (state != State.LOBBY && state != State.SYNCING) {
                error("Snapshot INIT (catalog) in state " + state);
                return;
            }
            if (!(m.get("CATALOG") instanceof List<?> list)) {
                error("Snapshot INIT without a CATALOG list: " + render(value));
                return;
            }
            if (list.isEmpty()) {
                error("empty CATALOG (the client pops from an empty list)");
                quit();
                return;
            }
            catalog.clear();
            list.forEach(u -> catalog.add(String.valueOf(u)));
            waitingFor = null;
            getsSent = 0;
            maybeSendNextGet();
        } else if ("SET".equals(s)) {
            onSnapshotSet(m.get("DATA"));
        } else {
            error("unknown Snapshot " + render(value));
        }
    }

    private void maybeSendNextGet() {
        if (waitingFor == null && !catalog.isEmpty() && getsSent < getLimit
                && (state == State.LOBBY || state == State.SYNCING)) {
            waitingFor = catalog.pollLast(); // the LAST uuid first
            getsSent++;
            state = State.SYNCING;
            sendCommand(SNAPSHOT, name, map("STATE", "GET", "ID", waitingFor));
        }
    }

    private void onSnapshotSet(Object dataValue) {
        if (state != State.SYNCING || waitingFor == null) {
            error("Snapshot SET in state " + state + " without a pending GET");
            return;
        }
        if (dataValue instanceof byte[] b && Arrays.equals(b, utf8("removed"))) {
            // accepted for any GET
        } else if (dataValue instanceof List<?> list && list.size() == 5
                && list.stream().allMatch(c -> c instanceof byte[])) {
            byte[][] f = list.toArray(new byte[0][]);
            if (!Arrays.equals(f[0], typeFrame(NODE)) && !isType(f[0], NODE)) {
                error("Snapshot SET chunk 0 is not the Node type: " + HexFormat.of().formatHex(f[0]));
            }
            String uuid = utf8(f[1]);
            if (!uuid.equals(waitingFor)) {
                // The real client logs it and keeps waiting, forever.
                error("Snapshot SET for " + uuid + " while waiting for " + waitingFor);
                return;
            }
            List<String> deps = decodeDeps(f[3], "SET deps");
            Replica old = replica.get(uuid);
            replica.put(uuid, new Replica(utf8(f[2]), deps, f[4], List.of(), true));
            if (old != null) {
                error("Snapshot SET of " + uuid + " which the client already had");
            }
        } else {
            error("Snapshot SET DATA is neither 5 chunks nor b'removed': " + render(dataValue));
            return;
        }
        waitingFor = null;
        if (catalog.isEmpty()) {
            // After the last SET: apply what was queued, DONE, active.
            for (byte[][] block : queued) {
                applyDatablock(block, false);
            }
            queued.clear();
            sendCommand(SNAPSHOT, name, map("STATE", "DONE"));
            state = State.ACTIVE;
        } else {
            maybeSendNextGet();
        }
    }

    private static boolean isType(byte[] frame, int type) {
        try {
            return Integer.valueOf(type).equals(Pickles.loadsWithSets(frame));
        } catch (MalformedMessageException e) {
            return false;
        }
    }

    @SuppressWarnings("unchecked")
    private void onRight(Object value) {
        if (!(value instanceof Map<?, ?> m)) {
            error("Right data is not a dict: " + render(value));
            return;
        }
        Object uuids = ((Map<String, Object>) m).get("uuid");
        Object owner = ((Map<String, Object>) m).get("owner");
        if (!(uuids instanceof List<?> list)) {
            error("Right uuid is not a list (the client would iterate a str per character): " + render(value));
            return;
        }
        for (Object u : list) {
            Replica r = replica.get(String.valueOf(u));
            if (r != null) {
                replica.put(String.valueOf(u), new Replica(String.valueOf(owner), r.deps(), r.base(), r.applied(),
                        r.loaded()));
            }
        }
    }

    private void onDelete(Object value) {
        if (!(value instanceof String uuid)) {
            error("Delete data is not a str: " + render(value));
            return;
        }
        replica.remove(uuid);
        // As the server's graph does (section 8): the uuid leaves every other node's deps.
        replica.replaceAll((k, r) -> r.deps().contains(uuid)
                ? new Replica(r.owner(), r.deps().stream().filter(d -> !d.equals(uuid)).toList(), r.base(), r.applied(),
                        r.loaded())
                : r);
    }

    private void quit() {
        state = State.QUIT;
        heartbeatRunning.set(false);
    }

    // ---------------------------------------------------------------- receiving datablocks (main thread)

    private void onDatablock(byte[][] f) {
        lastDatablockNanos = System.nanoTime();
        int type = -1;
        try {
            Object t = Pickles.loadsWithSets(f[0]);
            type = t instanceof Integer i ? i : -1;
        } catch (MalformedMessageException e) {
            // reported below
        }
        if (!((type == NODE && f.length == 5) || (type == COMMIT && f.length == 4))) {
            error("P+1 message of " + f.length + " frames with type frame " + HexFormat.of().formatHex(f[0]));
            return;
        }
        String fate;
        switch (state) {
            case SYNCING -> {
                queued.add(f);
                fate = "queued";
            }
            case ACTIVE -> fate = applyDatablock(f, true);
            default -> fate = "dropped";
        }
        Datablock d = type == NODE
                ? new Datablock(NODE, utf8(f[1]), utf8(f[2]), decodeDeps(f[3], "Node deps"), f[4], state, fate)
                : new Datablock(COMMIT, utf8(f[1]), null, decodeDeps(f[2], "Commit deps"), f[3], state, fate);
        synchronized (monitor) {
            datablocks.add(d);
            monitor.notifyAll();
        }
    }

    /** Applies a Node or Commit to the replica; {@code live}: while ACTIVE (and then "loaded" into Blender). */
    private String applyDatablock(byte[][] f, boolean live) {
        String uuid = utf8(f[1]);
        Replica old = replica.get(uuid);
        if (f.length == 5) { // Node: replaces data and deps; an existing node keeps its owner
            List<String> deps = decodeDeps(f[3], "Node deps");
            String owner = old != null ? old.owner() : utf8(f[2]);
            replica.put(uuid, new Replica(owner, deps, f[4], List.of(), live || (old != null && old.loaded())));
            return live ? "applied" : "applied from queue";
        }
        if (old == null) {
            if (live) {
                error("Commit for unknown node " + uuid + " while active (the session would end)");
                return "fatal";
            }
            return "skipped (unknown, queued)";
        }
        List<byte[]> applied = new ArrayList<>(old.applied());
        applied.add(f[3]);
        replica.put(uuid, new Replica(old.owner(), decodeDeps(f[2], "Commit deps"), old.base(),
                List.copyOf(applied), old.loaded() || live));
        return live ? "applied" : "applied from queue";
    }

    private List<String> decodeDeps(byte[] frame, String what) {
        try {
            Object v = Pickles.loadsWithSets(frame);
            if (v instanceof List<?> list) {
                return list.stream().map(String::valueOf).toList();
            }
            error(what + " is not a list: " + render(v));
        } catch (MalformedMessageException e) {
            error(what + " undecodable: " + e.getMessage());
        }
        return List.of();
    }

    // =================================================================== heartbeat (P+2)

    /** Starts the heartbeat "process": INIT, then a PONG for every frame received. */
    public void startHeartbeat() {
        if (!heartbeatRunning.compareAndSet(false, true)) {
            return;
        }
        CountDownLatch started = new CountDownLatch(1);
        heartbeatThread = new Thread(() -> heartbeatLoop(started), "client09-hb-" + name);
        heartbeatThread.setDaemon(true);
        heartbeatThread.start();
        try {
            started.await(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void heartbeatLoop(CountDownLatch started) {
        ZMQ.Socket heartbeat = dealer(basePort + 2);
        heartbeat.setReceiveTimeOut(20);
        heartbeat.send("INIT");
        started.countDown();
        long lastHeard = System.nanoTime();
        try {
            while (heartbeatRunning.get() && running.get()) {
                byte[][] raw;
                while ((raw = heartbeatRaw.poll()) != null) {
                    sendFrames(heartbeat, raw);
                }
                byte[] first = heartbeat.recv();
                if (first == null) {
                    if (System.nanoTime() - lastHeard > TimeUnit.MILLISECONDS.toNanos(CLIENT_TIMEOUT_MILLIS + 1000)) {
                        error("Server lost: no heartbeat frame for " + (CLIENT_TIMEOUT_MILLIS + 1000) + " ms");
                        state = State.QUIT;
                        return;
                    }
                    continue;
                }
                int frames = 1;
                while (heartbeat.hasReceiveMore()) {
                    heartbeat.recv();
                    frames++;
                }
                lastHeard = System.nanoTime();
                if (frames != 1 || !Arrays.equals(first, utf8("PING"))) {
                    error("heartbeat message of " + frames + " frame(s) starting " + utf8(first));
                }
                pings.incrementAndGet();
                if (answerPings.get()) {
                    heartbeat.send("PONG");
                }
            }
        } catch (RuntimeException e) {
            if (running.get()) {
                error("heartbeat died: " + e);
            }
        } finally {
            heartbeat.close();
        }
    }

    /** Stops answering PINGs (the heartbeat socket stays connected): a hung client. */
    public void pauseHeartbeat(boolean paused) {
        answerPings.set(!paused);
    }

    /** Kills the heartbeat "process": its socket is closed, as when Blender dies or disconnects. */
    public void stopHeartbeat() {
        heartbeatRunning.set(false);
        if (heartbeatThread != null) {
            try {
                heartbeatThread.join(2000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Whether {@link #login} starts the heartbeat right after sending Auth (as the add-on does). */
    public void startHeartbeatAtLogin(boolean start) {
        startHeartbeatAtLogin = start;
    }

    public int pings() {
        return pings.get();
    }

    /** Sends raw frames on P+2 from the heartbeat socket (must be started). */
    public void sendHeartbeatRaw(byte[]... frames) {
        heartbeatRaw.add(frames);
    }

    // =================================================================== the test's API

    /**
     * Logs in: Auth {@code {'AUTH_TYPE', 'AUTH_ID', 'S_PWD', 'A_PWD', 'VERSION'}} (ADMIN when
     * {@code admin}), starts the heartbeat, and returns the Auth reply text.
     */
    public String login(boolean admin, String adminPassword, String sessionPassword, String version) {
        run(() -> {
            state = State.AUTH;
            authReply = null;
            sendCommand(AUTH, name, map("AUTH_TYPE", admin ? "ADMIN" : "CLIENT", "AUTH_ID", name,
                    "S_PWD", sessionPassword, "A_PWD", adminPassword, "VERSION", version));
            if (startHeartbeatAtLogin) {
                startHeartbeat(); // before the reply can be read: a FAILED reply stops it again
            }
        });
        waitUntil(() -> authReply != null, WAIT, "an Auth reply");
        return authReply;
    }

    /** Sends an arbitrary Auth dict (fields missing or of odd types). */
    public String loginRaw(Map<String, Object> auth) {
        run(() -> {
            state = State.AUTH;
            authReply = null;
            sendCommand(AUTH, name, auth);
        });
        waitUntil(() -> authReply != null, WAIT, "an Auth reply");
        return authReply;
    }

    /** Whether a RUNNING reply sends REQUEST_INIT at once (the library's way; default true). */
    public void autoRequestInit(boolean auto) {
        autoRequestInit = auto;
    }

    /**
     * The uploader's side: INIT {SIZE, NODES}; on ACCEPTED one SET per node (DATA = 5 chunks)
     * then END, without waiting; ACTIVE on DONE. Returns {@code DONE} or {@code REJECTED}.
     */
    public String upload(List<NodeData> nodes) {
        run(() -> {
            if (state != State.LOBBY) {
                error("upload from state " + state);
            }
            uploading = List.copyOf(nodes);
            uploadResult = null;
            state = State.UPLOADING;
            sendCommand(SERVER_SNAPSHOT, "server", map("STATE", "INIT", "SIZE", nodes.size(), "NODES",
                    new ArrayList<>(nodes.stream().map(NodeData::uuid).toList())));
        });
        waitUntil(() -> uploadResult != null, WAIT, "ServerSnapshot DONE or REJECTED");
        return uploadResult;
    }

    /**
     * Joins like the library: REQUEST_INIT (unless the RUNNING reply already sent it), the
     * catalog, GETs from the last uuid, one at a time, queued datablocks applied after the last
     * SET, DONE. Waits until ACTIVE.
     */
    public void join() {
        run(() -> {
            if (!requestedInit && state == State.LOBBY) {
                requestInit();
            }
        });
        awaitActive();
        awaitDataQuiet(Duration.ofMillis(200));
    }

    /**
     * Waits until no datablock has arrived for {@code quiet}. The chains of a join travel on P+1
     * and may still be unread when the SETs on P are done; the client applies them as they come.
     */
    public void awaitDataQuiet(Duration quiet) {
        waitUntil(() -> System.nanoTime() - lastDatablockNanos >= quiet.toNanos(), WAIT, "P+1 to fall quiet");
    }

    public void awaitActive() {
        waitUntil(() -> state == State.ACTIVE, WAIT, "the end of the join (ACTIVE)");
    }

    /** Sends at most {@code gets} GETs of a join, then holds (the catalog is processed up to there). */
    public void holdGetsAfter(int gets) {
        getLimit = gets;
    }

    public void releaseGets() {
        getLimit = Integer.MAX_VALUE;
    }

    /** Waits until the join is held: the catalog arrived and every allowed GET got its SET. */
    public void awaitHeld() {
        waitUntil(() -> call(() -> (state == State.LOBBY || state == State.SYNCING) && waitingFor == null
                && !catalog.isEmpty() && getsSent >= getLimit), WAIT, "the join to be held after " + getLimit + " GETs");
    }

    /** Sends a whole Node on P+1 and applies it locally (a new node gets the given owner). */
    public void pushNode(NodeData n) {
        run(() -> {
            sendFrames(data, typeFrame(NODE), utf8(n.uuid()), utf8(n.owner()), ClientPickler.dumps(new ArrayList<>(n.deps())),
                    n.data());
            Replica old = replica.get(n.uuid());
            replica.put(n.uuid(), new Replica(old != null ? old.owner() : n.owner(), n.deps(), n.data(), List.of(),
                    true));
        });
    }

    /** Sends a Commit on P+1 and applies it locally (the node must exist locally). */
    public void pushCommit(String uuid, List<String> deps, byte[] delta) {
        run(() -> {
            sendFrames(data, typeFrame(COMMIT), utf8(uuid), ClientPickler.dumps(new ArrayList<>(deps)), delta);
            Replica old = replica.get(uuid);
            if (old == null) {
                error("pushCommit of a node the client does not have: " + uuid);
                return;
            }
            List<byte[]> applied = new ArrayList<>(old.applied());
            applied.add(delta);
            replica.put(uuid, new Replica(old.owner(), List.copyOf(deps), old.base(), List.copyOf(applied), true));
        });
    }

    /** Right {@code {'uuid': [..], 'owner': owner}}; applied locally only when echoed. */
    public void right(List<String> uuids, String owner) {
        command(RIGHT, name, map("uuid", new ArrayList<>(uuids), "owner", owner));
    }

    /** Delete, owner frame {@code client} (sic); applied locally only when echoed. */
    public void delete(String uuid) {
        command(DELETE, "client", uuid);
    }

    public void kick(String user) {
        command(KICK, name, map("user", user));
    }

    public void metadata(Map<String, Object> partial) {
        command(USER_METADATA, name, partial);
    }

    /** Any command on P (owner frame as given). */
    public void command(int type, String owner, Object value) {
        run(() -> sendCommand(type, owner, value));
    }

    /** Raw frames on P. */
    public void sendRaw(byte[]... frames) {
        run(() -> sendFrames(commands, frames));
    }

    /** Raw frames on P+1. */
    public void pushRaw(byte[]... frames) {
        run(() -> sendFrames(data, frames));
    }

    /**
     * The add-on's server-list refresh: a throw-away DEALER with a random identity sends
     * {@code [14, 'guest', 'RQ_INFO']} to P and waits up to {@code timeoutMillis} (add-on: 500);
     * null when nothing came in time.
     */
    public static ServerInfo requestServerInfo(String host, int basePort, long timeoutMillis) {
        try (ZContext ctx = new ZContext(1)) {
            ZMQ.Socket s = ClientSockets.create(ctx, SocketType.DEALER);
            s.setIdentity(randomIdentity());
            s.setLinger(0);
            s.connect("tcp://" + host + ":" + basePort);
            long start = System.nanoTime();
            sendFrames(s, typeFrame(SERVER_INFO), utf8("guest"), ClientPickler.dumps("RQ_INFO"));
            s.setReceiveTimeOut((int) timeoutMillis);
            byte[] first = s.recv();
            if (first == null) {
                return null;
            }
            List<byte[]> frames = new ArrayList<>(List.of(first));
            while (s.hasReceiveMore()) {
                frames.add(s.recv());
            }
            long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            if (frames.size() != 3) {
                throw new AssertionError("server info answer of " + frames.size() + " frames");
            }
            try {
                Object type = Pickles.loadsWithSets(frames.get(0));
                return new ServerInfo(utf8(frames.get(1)), type instanceof Integer i ? i : -1,
                        Pickles.loadsWithSets(frames.get(2)), millis);
            } catch (MalformedMessageException e) {
                throw new AssertionError("undecodable server info answer", e);
            }
        }
    }

    // ---------------------------------------------------------------- waiting and reading

    /** Waits for the first not yet awaited command of this type that matches, and marks it awaited. */
    public Received await(int type, Predicate<Received> condition, Duration timeout) {
        return await(0, type, condition, timeout);
    }

    /** Like {@link #await(int, Predicate, Duration)}, but only for commands that arrive from now on. */
    public Received awaitNext(int type, Predicate<Received> condition, Duration timeout) {
        int from;
        synchronized (monitor) {
            from = log.size();
        }
        return await(from, type, condition, timeout);
    }

    private Received await(int from, int type, Predicate<Received> condition, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        int checked = from; // entries before this one were tested already (or consumed)
        List<Integer> skipped = new ArrayList<>();
        while (true) {
            List<Integer> candidates = new ArrayList<>(skipped);
            List<Received> entries = new ArrayList<>();
            synchronized (monitor) {
                for (int i = checked; i < log.size(); i++) {
                    candidates.add(i);
                }
                checked = log.size();
                for (int i : candidates) {
                    entries.add(log.get(i));
                }
            }
            skipped.clear();
            // The condition runs without the lock: it may read the replica (a call to the main thread).
            for (int k = 0; k < candidates.size(); k++) {
                int i = candidates.get(k);
                Received r = entries.get(k);
                boolean free;
                synchronized (monitor) {
                    free = !consumed.get(i);
                }
                if (!free || r.type() != type) {
                    continue;
                }
                if (condition.test(r)) {
                    synchronized (monitor) {
                        if (!consumed.get(i)) {
                            consumed.set(i, true);
                            return r;
                        }
                    }
                } else {
                    skipped.add(i); // may match later (the condition can depend on other state)
                }
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                fail("%s: no command %d matching the condition within %s; received %s; errors %s", name, type,
                        timeout, receivedLog(), errors());
            }
            synchronized (monitor) {
                if (log.size() == checked) {
                    try {
                        monitor.wait(Math.max(1, Math.min(10, TimeUnit.NANOSECONDS.toMillis(left))));
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new AssertionError(e);
                    }
                }
            }
        }
    }

    public Received await(int type) {
        return await(type, r -> true, WAIT);
    }

    public Received await(int type, Predicate<Received> condition) {
        return await(type, condition, WAIT);
    }

    /** Waits for a datablock (any fate) matching the condition, received so far or later. */
    public Datablock awaitDatablock(Predicate<Datablock> condition, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            for (Datablock d : datablocks()) { // the condition runs without the lock
                if (condition.test(d)) {
                    return d;
                }
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                fail("%s: no matching datablock within %s; received %s; errors %s", name, timeout, datablocks(),
                        errors());
            }
            synchronized (monitor) {
                try {
                    monitor.wait(Math.max(1, Math.min(10, TimeUnit.NANOSECONDS.toMillis(left))));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new AssertionError(e);
                }
            }
        }
    }

    public void waitUntil(BooleanSupplier condition, Duration timeout, String what) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail("%s: timed out after %s waiting for %s; state %s; received %s; errors %s", name, timeout, what,
                        state, receivedLog(), errors);
            }
            synchronized (monitor) {
                try {
                    monitor.wait(5);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new AssertionError(e);
                }
            }
        }
    }

    public List<Received> receivedLog() {
        synchronized (monitor) {
            return List.copyOf(log);
        }
    }

    public List<Received> received(int type) {
        synchronized (monitor) {
            return log.stream().filter(r -> r.type() == type).toList();
        }
    }

    public List<Datablock> datablocks() {
        synchronized (monitor) {
            return List.copyOf(datablocks);
        }
    }

    /** What would have ended the real client's session (or broken its UI), in order. */
    public List<String> errors() {
        synchronized (errors) {
            return List.copyOf(errors);
        }
    }

    public State state() {
        return state;
    }

    public String authReply() {
        return authReply;
    }

    public Object disconnectReason() {
        return disconnectReason;
    }

    /** A copy of the local replica. */
    public Map<String, Replica> replica() {
        return call(() -> new LinkedHashMap<>(replica));
    }

    /** uuid to {@link Replica#digest()}, sorted: two clients hold the same content iff these are equal. */
    public Map<String, String> replicaDigest() {
        return call(() -> {
            Map<String, String> out = new TreeMap<>();
            replica.forEach((k, v) -> out.put(k, v.digest()));
            return out;
        });
    }

    /** The user table from the last UpdateClientsState, with metadata merged from UpdateUserMetadata since. */
    public Map<String, Map<String, Object>> users() {
        return call(() -> {
            Map<String, Map<String, Object>> out = new LinkedHashMap<>();
            users.forEach((k, v) -> out.put(k, new LinkedHashMap<>(v)));
            return out;
        });
    }

    @Override
    public void close() {
        heartbeatRunning.set(false);
        running.set(false);
        try {
            mainThread.join(2000);
            if (heartbeatThread != null) {
                heartbeatThread.join(2000);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        context.close();
    }

    @Override
    public String toString() {
        return "TestClient09[" + name + ", " + state + "]";
    }

    // =================================================================== helpers

    public static Map<String, Object> map(Object... keyValues) {
        Map<String, Object> out = new LinkedHashMap<>();
        for (int i = 0; i < keyValues.length; i += 2) {
            out.put((String) keyValues[i], keyValues[i + 1]);
        }
        return out;
    }

    public static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    public static String utf8(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }

    public static String sha256(byte[] data) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data)).substring(0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A random uuid4 string. */
    public static String uuid() {
        return UUID.randomUUID().toString();
    }

    /** Node data as the add-on dumps a datablock: a pickled dict (opaque to the server). */
    public static byte[] nodeData(String uuid, String typeId, String label, int payloadBytes) {
        byte[] payload = new byte[payloadBytes];
        ThreadLocalRandom.current().nextBytes(payload);
        return ClientPickler.dumps(map("name", label, "payload", payload, "items", new ArrayList<>(List.of(1, 2, 3)),
                "vec", new Object[] {0.0, 1.0, 2.0}, "type_id", typeId, "uuid", uuid));
    }

    /** A list-append delta as deepdiff writes one (opaque to the server): any bytes would do. */
    public static byte[] appendDelta(int index, int value) {
        return ClientPickler.dumps(map("iterable_item_added", map("root['items'][" + index + "]", value)));
    }

    /**
     * Python-comparable form of a decoded value: tuples become {@link Tuple}, bytes {@link Bin},
     * ints Long, sets and maps and lists normalised inside; so that {@code equals} means "same
     * Python value of the same types" (a tuple never equals a list, a set never a list).
     */
    public static Object normalize(Object v) {
        if (v instanceof Integer || v instanceof Long) {
            return ((Number) v).longValue();
        }
        if (v instanceof BigInteger b && b.bitLength() < 64) {
            return b.longValue();
        }
        if (v instanceof byte[] b) {
            return new Bin(b);
        }
        if (v instanceof Object[] t) {
            List<Object> items = new ArrayList<>();
            for (Object o : t) {
                items.add(normalize(o));
            }
            return new Tuple(items);
        }
        if (v instanceof Map<?, ?> m) {
            Map<Object, Object> out = new LinkedHashMap<>();
            m.forEach((k, val) -> out.put(normalize(k), normalize(val)));
            return out;
        }
        if (v instanceof Set<?> s) {
            Set<Object> out = new HashSet<>();
            s.forEach(o -> out.add(normalize(o)));
            return out;
        }
        if (v instanceof Collection<?> c) {
            List<Object> out = new ArrayList<>();
            c.forEach(o -> out.add(normalize(o)));
            return out;
        }
        return v;
    }

    /** A Python tuple, after {@link #normalize}. */
    public record Tuple(List<Object> items) {
    }

    /** Python bytes, after {@link #normalize}: equal by content. */
    public static final class Bin {
        private final byte[] bytes;

        public Bin(byte[] bytes) {
            this.bytes = bytes.clone();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Bin b && Arrays.equals(bytes, b.bytes);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(bytes);
        }

        @Override
        public String toString() {
            return "b<" + bytes.length + ">";
        }
    }

    static String render(Object v) {
        Object n = normalize(v);
        String s = String.valueOf(n);
        return s.length() > 300 ? s.substring(0, 300) + "..." : s;
    }

}
