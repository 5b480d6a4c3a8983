package io.multiuser.server.testclient;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

import org.zeromq.SocketType;
import org.zeromq.ZContext;
import org.zeromq.ZMQ;
import org.zeromq.ZMsg;

import io.multiuser.server.protocol.Node;
import io.multiuser.server.wire.MalformedMessageException;
import io.multiuser.server.wire.Pickles;

/**
 * A protocol test client that behaves like the add-on's networking library: DEALER on P
 * (commands), DEALER on P+1 (datablocks from the server), PUSH on P+2 (datablocks to the
 * server), DEALER on P+3 (heartbeat: INIT, then PONG to every frame), all with one 16-byte
 * identity. The command and push sockets belong to the thread that calls the methods; one
 * background thread owns P+3 and answers pings, another owns P+1 and collects datablocks.
 */
public final class TestClient implements AutoCloseable {

    public static final String VERSION = "0.1.25";
    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final byte[] ONE_CHUNK = Pickles.dumps(1); // as the server encodes them
    private static final byte[] NO_DEPENDENCIES = Pickles.dumps(null);

    /** A command received on P. */
    public record Received(String owner, String type, Object data) {
    }

    /** A datablock received on P+1 (header + chunk). */
    public record Block(String sender, String uuid, String owner, String type, List<String> dependencies,
            byte[] payload) {
    }

    public final String name;
    public final byte[] identity;
    private final ZContext context;
    /** Whether {@link #close()} closes the context: not when it is shared with other clients. */
    private final boolean ownsContext;
    private final ZMQ.Socket commands;
    private final ZMQ.Socket push;
    private final List<Received> receivedLog = Collections.synchronizedList(new ArrayList<>());
    private final List<Received> unread = new ArrayList<>();
    private final BlockingQueue<Block> blocks = new LinkedBlockingQueue<>();
    /** Datablocks that arrived before a caller asked for them. */
    private final java.util.ArrayDeque<Block> unmatchedBlocks = new java.util.ArrayDeque<>();
    private final AtomicBoolean answerPings = new AtomicBoolean(true);
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final AtomicInteger pingsReceived = new AtomicInteger();
    private final AtomicBoolean dataPaused = new AtomicBoolean();
    private volatile java.util.function.Consumer<Block> blockListener;
    private volatile long lastPingNanos;
    private volatile long maxPingGapNanos;
    private volatile long lastPongNanos;
    private final Thread heartbeatThread;
    private final Thread dataThread;
    private final List<String> backgroundErrors = Collections.synchronizedList(new ArrayList<>());

    public TestClient(String host, int basePort, String name) {
        this(host, basePort, name, null);
    }

    /**
     * A client whose sockets live in {@code shared} (not closed by {@link #close()}), so that many
     * clients in one process share its I/O thread; null gives the client a context of its own.
     */
    public TestClient(String host, int basePort, String name, ZContext shared) {
        this(host, basePort, name, shared, null);
    }

    /**
     * A client that declares {@code identity} on every port instead of a fresh one: another
     * user's, for the tests of impersonation. {@code host} {@code [::1]} connects over IPv6, which
     * the server sees as another host than 127.0.0.1.
     */
    public static TestClient withIdentity(String host, int basePort, String name, byte[] identity) {
        return new TestClient(host, basePort, name, null, identity.clone());
    }

    private TestClient(String host, int basePort, String name, ZContext shared, byte[] declared) {
        this.name = name;
        this.context = shared == null ? new ZContext(1) : shared;
        this.ownsContext = shared == null;
        UUID uuid = UUID.randomUUID();
        this.identity = declared != null ? declared : java.nio.ByteBuffer.allocate(16)
                .putLong(uuid.getMostSignificantBits()).putLong(uuid.getLeastSignificantBits()).array();
        commands = dealer(host, basePort);
        push = ClientSockets.create(context, SocketType.PUSH);
        push.setIPv6(host.startsWith("[")); // [::1]: an IPv6 client, another host than 127.0.0.1 for the server
        push.setLinger(0);
        push.connect("tcp://" + host + ":" + (basePort + 2));
        heartbeatThread = new Thread(() -> heartbeatLoop(host, basePort), "test-client-hb-" + name);
        heartbeatThread.setDaemon(true);
        heartbeatThread.start();
        dataThread = new Thread(() -> dataLoop(host, basePort), "test-client-data-" + name);
        dataThread.setDaemon(true);
        dataThread.start();
    }

    public TestClient(int basePort, String name) {
        this("127.0.0.1", basePort, name);
    }

    private ZMQ.Socket dealer(String host, int port) {
        ZMQ.Socket s = ClientSockets.create(context, SocketType.DEALER);
        s.setIPv6(host.startsWith("["));
        s.setIdentity(identity);
        s.setLinger(0);
        s.connect("tcp://" + host + ":" + port);
        return s;
    }

    // ---------------------------------------------------------------- background: P+1 and P+3

    /** The heartbeat thread: INIT, then a PONG for every PING (unless told not to answer). */
    private void heartbeatLoop(String host, int basePort) {
        ZMQ.Socket heartbeat = dealer(host, basePort + 3);
        heartbeat.setReceiveTimeOut(100); // only bounds how late close() is seen
        heartbeat.send("INIT");
        try {
            while (running.get() && !Thread.currentThread().isInterrupted()) {
                if (heartbeat.recv() == null) {
                    continue;
                }
                while (heartbeat.hasReceiveMore()) {
                    heartbeat.recv();
                }
                long now = System.nanoTime();
                if (pingsReceived.get() > 0) {
                    maxPingGapNanos = Math.max(maxPingGapNanos, now - lastPingNanos);
                }
                lastPingNanos = now;
                pingsReceived.incrementAndGet();
                if (answerPings.get()) {
                    heartbeat.send("PONG");
                    lastPongNanos = System.nanoTime();
                }
            }
        } catch (RuntimeException e) {
            if (running.get()) {
                backgroundErrors.add(e.toString());
            }
        } finally {
            heartbeat.close();
        }
    }

    /**
     * The data thread: a blocking read of P+1, as the real client's receiving thread does, so a
     * datablock is taken (and handed to the listener, if any) the moment it arrives.
     */
    private void dataLoop(String host, int basePort) {
        ZMQ.Socket data = dealer(host, basePort + 1);
        data.setReceiveTimeOut(100); // only bounds how late close() and pauseData() are seen
        byte[][] pendingHeader = null;
        try {
            while (running.get() && !Thread.currentThread().isInterrupted()) {
                if (dataPaused.get()) {
                    Thread.sleep(10);
                    continue;
                }
                byte[][] frames = recvFrames(data, 0);
                if (frames == null) {
                    continue;
                }
                if (frames.length == 6) {
                    if (pendingHeader != null) {
                        backgroundErrors.add("two headers in a row on P+1");
                    }
                    pendingHeader = frames;
                } else if (frames.length == 1 && pendingHeader != null) {
                    Block b = block(pendingHeader, frames[0]);
                    pendingHeader = null;
                    java.util.function.Consumer<Block> l = blockListener;
                    if (l != null) {
                        l.accept(b);
                    } else {
                        blocks.add(b);
                    }
                } else {
                    backgroundErrors.add("unexpected P+1 message of " + frames.length + " frames");
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException | AssertionError e) {
            if (running.get()) {
                backgroundErrors.add(e.toString());
            }
        } finally {
            data.close();
        }
    }

    /** One whole message (the rest of its frames are already there), or null after the receive timeout. */
    private static byte[][] recvFrames(ZMQ.Socket socket, int flags) {
        byte[] first = socket.recv(flags);
        if (first == null) {
            return null;
        }
        if (!socket.hasReceiveMore()) {
            return new byte[][] {first};
        }
        List<byte[]> frames = new ArrayList<>(8);
        frames.add(first);
        while (socket.hasReceiveMore()) {
            frames.add(socket.recv());
        }
        return frames.toArray(new byte[0][]);
    }

    private static Block block(byte[][] f, byte[] payload) {
        try {
            // The usual frames (one chunk, no dependencies) are recognised without unpickling them.
            Object chunks = Arrays.equals(f[4], ONE_CHUNK) ? Integer.valueOf(1) : Pickles.loads(f[4]);
            if (!Integer.valueOf(1).equals(chunks)) {
                throw new AssertionError("the server pushes one chunk per datablock, header says " + chunks);
            }
            Object deps = Arrays.equals(f[5], NO_DEPENDENCIES) ? null : Pickles.loads(f[5]);
            List<String> dependencies = new ArrayList<>();
            if (deps != null) {
                ((List<?>) deps).forEach(d -> dependencies.add((String) d));
            }
            return new Block(utf8(f[0]), utf8(f[1]), utf8(f[2]), utf8(f[3]), dependencies, payload);
        } catch (MalformedMessageException e) {
            throw new AssertionError("server sent an unreadable datablock header", e);
        }
    }

    // ---------------------------------------------------------------- commands

    /** Sends a command the way the client does: [owner, typeName, pickle(data)]. */
    public void send(String owner, String type, Object data) {
        commands.sendMore(owner);
        commands.sendMore(type);
        commands.send(ClientPickler.dumps(data));
    }

    /**
     * {@link #send}, but without waiting for a connection: a DEALER whose only connection was refused
     * has no pipe to queue in, and a blocking send would wait for ever. False if nothing was queued.
     */
    public boolean trySend(String owner, String type, Object data) {
        return commands.send(owner, ZMQ.SNDMORE | ZMQ.DONTWAIT) && commands.send(type, ZMQ.SNDMORE | ZMQ.DONTWAIT)
                && commands.send(ClientPickler.dumps(data), ZMQ.DONTWAIT);
    }

    /** Sends raw frames on P (for malformed-input tests). */
    public void sendRaw(byte[]... frames) {
        for (int i = 0; i < frames.length; i++) {
            commands.send(frames[i], i < frames.length - 1 ? ZMQ.SNDMORE : 0);
        }
    }

    /** Logs in and returns the text of the reply (LOBBY, RUNNING or FAILED: …). */
    public String login(boolean admin, String password, String version) {
        send(name, "RepAuthCommand", map("AUTH_TYPE", admin ? "ADMIN" : "CLIENT", "AUTH_ID", name,
                "PWD", password, "VERSION", version));
        return (String) await("RepAuthCommand").data();
    }

    public String loginAsAdmin(String password) {
        return login(true, password, VERSION);
    }

    public String loginAsClient() {
        return login(false, null, VERSION);
    }

    /** Waits for the next command of this type (others stay readable by later calls). */
    public Received await(String type) {
        return await(type, r -> true, WAIT);
    }

    public Received await(String type, Predicate<Received> condition, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            synchronized (unread) {
                for (int i = 0; i < unread.size(); i++) {
                    Received r = unread.get(i);
                    if (r.type().equals(type) && condition.test(r)) {
                        unread.remove(i);
                        return r;
                    }
                }
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                fail("%s: no %s matching the condition within %s; received %s", name, type, timeout, receivedLog);
            }
            receiveOne(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
        }
    }

    /** Reads whatever arrives on P during {@code millis} (nothing is awaited). */
    public void drain(long millis) {
        long deadline = System.currentTimeMillis() + millis;
        while (System.currentTimeMillis() < deadline) {
            receiveOne(deadline - System.currentTimeMillis());
        }
    }

    /** True when no command of this type arrives within {@code millis}. */
    public boolean receivesNo(String type, long millis) {
        drain(millis);
        synchronized (unread) {
            return unread.stream().noneMatch(r -> r.type().equals(type));
        }
    }

    private void receiveOne(long timeoutMillis) {
        commands.setReceiveTimeOut((int) Math.min(Integer.MAX_VALUE, Math.max(1, timeoutMillis)));
        ZMsg msg = ZMsg.recvMsg(commands);
        if (msg == null) {
            return;
        }
        assertThat(msg.size()).as("%s: command frames after routing", name).isEqualTo(3);
        String owner = msg.popString();
        String type = msg.popString();
        try {
            Received r = new Received(owner, type, Pickles.loads(msg.pop().getData()));
            receivedLog.add(r);
            synchronized (unread) {
                unread.add(r);
            }
        } catch (MalformedMessageException e) {
            throw new AssertionError(name + ": server sent an unreadable " + type, e);
        }
    }

    /** Every command received so far, in order. */
    public List<Received> receivedLog() {
        synchronized (receivedLog) {
            return List.copyOf(receivedLog);
        }
    }

    // ---------------------------------------------------------------- snapshots

    /** The admin's upload: INIT, ACCEPTED, SET per node, DONE, END. */
    public void upload(List<Node> nodes) {
        List<String> uuids = nodes.stream().map(Node::uuid).toList();
        send("server", "RepServerSnapshotCommand", map("STATE", "INIT", "SIZE", nodes.size(), "NODES", uuids));
        assertThat(await("RepServerSnapshotCommand").data()).isEqualTo(Map.of("STATE", "ACCEPTED"));
        for (Node node : nodes) {
            send("server", "RepServerSnapshotCommand", map("STATE", "SET", "DATA", map(
                    "owner", bytes(node.owner()), "uuid", bytes(node.uuid()), "type", bytes(node.type()),
                    "dependencies", ClientPickler.dumps(new ArrayList<>(node.dependencies())),
                    "data", node.payload().toArray())));
        }
        assertThat(await("RepServerSnapshotCommand").data()).isEqualTo(Map.of("STATE", "DONE"));
        send("server", "RepServerSnapshotCommand", map("STATE", "END"));
    }

    /** The joiner's download after RUNNING: REQUEST_INIT, then GET from the last catalog entry. */
    public Map<String, Block> join() {
        send(name, "RepSnapshotCommand", map("STATE", "REQUEST_INIT"));
        return download(catalog(await("RepSnapshotCommand")));
    }

    /** GETs every catalog entry, last first, as the real client does; then DONE. */
    public Map<String, Block> download(List<String> catalog) {
        Map<String, Block> got = download(catalog, Long.MAX_VALUE);
        assertThat(got).as("%s: snapshot nodes received", name).hasSize(catalog.size());
        return got;
    }

    /**
     * Joins like the real client: GET the last catalog entry, wait for it, then the next from the
     * end; nodes pushed ahead of their GET are kept and taken when their GET comes. Returns what
     * arrived by the deadline (at most 10 s per node); sends DONE only when every node came.
     */
    public Map<String, Block> download(List<String> catalog, long deadlineNanos) {
        Map<String, Block> got = new LinkedHashMap<>();
        for (int i = catalog.size() - 1; i >= 0; i--) {
            String uuid = catalog.get(i);
            send(name, "RepSnapshotCommand", map("STATE", "GET", "ID", uuid));
            long left = Math.min(deadlineNanos - System.nanoTime(), WAIT.toNanos());
            Block block = nextBlock(b -> b.uuid().equals(uuid), Math.max(0, left));
            if (block == null) {
                return got;
            }
            got.put(uuid, block);
        }
        send(name, "RepSnapshotCommand", map("STATE", "DONE"));
        return got;
    }

    @SuppressWarnings("unchecked")
    public static List<String> catalog(Received init) {
        Map<String, Object> data = (Map<String, Object>) init.data();
        assertThat(data).containsEntry("STATE", "INIT");
        return (List<String>) data.get("CATALOG");
    }

    // ---------------------------------------------------------------- datablocks

    /** Pushes a datablock on P+2: the 6-frame header, then one chunk. */
    public void push(Node node) {
        push.sendMore(identity);
        push.sendMore(node.uuid());
        push.sendMore(node.owner());
        push.sendMore(node.type());
        push.sendMore(ClientPickler.dumps(1));
        push.send(ClientPickler.dumps(node.dependencies().isEmpty() ? null : new ArrayList<>(node.dependencies())));
        push.send(node.payload().toArray());
    }

    /** Sends raw messages on P+2 (for malformed-input tests). */
    public void pushRaw(byte[]... frames) {
        for (int i = 0; i < frames.length; i++) {
            push.send(frames[i], i < frames.length - 1 ? ZMQ.SNDMORE : 0);
        }
    }

    /**
     * Waits for a datablock matching the condition. Others stay readable by later calls, in the
     * order they came: a server streaming the snapshot sends nodes before they are asked for.
     */
    public Block awaitBlock(Predicate<Block> condition, Duration timeout) {
        Block b = nextBlock(condition, timeout.toNanos());
        if (b == null) {
            fail("%s: no matching datablock within %s", name, timeout);
        }
        return b;
    }

    /** The first datablock (kept or arriving) that matches, or null after {@code timeoutNanos}. */
    private Block nextBlock(Predicate<Block> condition, long timeoutNanos) {
        for (java.util.Iterator<Block> it = unmatchedBlocks.iterator(); it.hasNext();) {
            Block b = it.next();
            if (condition.test(b)) {
                it.remove();
                return b;
            }
        }
        long deadline = System.nanoTime() + timeoutNanos;
        try {
            while (true) {
                checkBackground();
                Block b = blocks.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                if (b == null || condition.test(b)) {
                    return b;
                }
                unmatchedBlocks.add(b);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    /**
     * From now on hands every datablock to {@code listener} on the thread that reads P+1, the
     * moment it is read, instead of keeping it for {@link #pollBlock} (the bench measures latency
     * there, without a hand-over to another thread). Datablocks already kept stay kept.
     */
    public void onBlock(java.util.function.Consumer<Block> listener) {
        blockListener = listener;
    }

    /** The next datablock, or null if none arrives within the timeout. */
    public Block pollBlock(Duration timeout) throws InterruptedException {
        checkBackground();
        Block kept = unmatchedBlocks.poll();
        return kept != null ? kept : blocks.poll(timeout.toNanos(), TimeUnit.NANOSECONDS);
    }

    /** Every datablock received and not yet taken, without waiting (the queue is emptied). */
    public List<Block> pollBlocks() {
        checkBackground();
        List<Block> all = new ArrayList<>(unmatchedBlocks);
        unmatchedBlocks.clear();
        blocks.drainTo(all);
        return all;
    }

    // ---------------------------------------------------------------- heartbeat

    public void answerPings(boolean answer) {
        answerPings.set(answer);
    }

    public int pingsReceived() {
        return pingsReceived.get();
    }

    /** When this client last answered a PING ({@link System#nanoTime()}). */
    public long lastPongNanos() {
        return lastPongNanos;
    }

    /** The longest time between two PINGs so far. */
    public Duration maxPingGap() {
        return Duration.ofNanos(maxPingGapNanos);
    }

    /** Stops (or resumes) reading P+1, like a client whose network or machine cannot keep up. */
    public void pauseData(boolean paused) {
        dataPaused.set(paused);
    }

    private void checkBackground() {
        if (!backgroundErrors.isEmpty()) {
            fail("%s: %s", name, backgroundErrors);
        }
    }

    @Override
    public void close() {
        running.set(false);
        try {
            heartbeatThread.join(2000);
            dataThread.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (ownsContext) {
            context.close();
        } else {
            for (ZMQ.Socket socket : List.of(commands, push)) {
                context.destroySocket(socket); // the background threads closed P+1 and P+3
            }
        }
    }

    // ---------------------------------------------------------------- helpers

    public static Map<String, Object> map(Object... keyValues) {
        Map<String, Object> out = new LinkedHashMap<>();
        for (int i = 0; i < keyValues.length; i += 2) {
            out.put((String) keyValues[i], keyValues[i + 1]);
        }
        return out;
    }

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static String utf8(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }

}
