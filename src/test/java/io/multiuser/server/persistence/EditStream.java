package io.multiuser.server.persistence;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import io.multiuser.server.protocol.Node;
import io.multiuser.server.testclient.Nodes;
import io.multiuser.server.testclient.TestClient;

/**
 * Protocol test clients that keep changing a scene, each on its own share of the nodes, and a
 * record of every state each node was given with the time it was handed to ZeroMQ.
 * <p>
 * While {@link #hotOnly} is false an editor edits all its nodes in turn, now and then creates a
 * node (owned by itself) or deletes one; once it is true it edits its first two nodes only, so
 * the others stop changing and their last version ages.
 */
final class EditStream implements AutoCloseable {

    /** A state of a node: its content, or null once deleted; {@code nanos} is when it was sent. */
    record Version(long nanos, Node node) {
    }

    /** Bound on each editor's loop (at its pace, minutes more than any test streams). */
    private static final int MAX_UPDATES = 30_000;
    private static final long PACE_MILLIS = 4;
    private static final int MAX_CREATED = 4;
    private static final int MAX_DELETED = 4;
    private static final int MAX_PAYLOAD = 12 * 1024;

    private final Map<String, List<Version>> history = new ConcurrentHashMap<>();
    /** Per editor, the uuids it created, in creation order. */
    private final List<List<String>> created = new ArrayList<>();
    private final AtomicBoolean hotOnly = new AtomicBoolean();
    private final AtomicBoolean stop = new AtomicBoolean();
    private final List<Thread> threads = new ArrayList<>();
    private final List<Throwable> failures = Collections.synchronizedList(new ArrayList<>());
    private final CountDownLatch loggedIn;

    /** Each editor's last datablock sent; written by its thread, read after {@link #close()} joined it. */
    private final Node[] lastPush;

    /** Records the uploaded scene as each node's first version (call after the upload's DONE). */
    private EditStream(List<Node> uploaded, int editors) {
        long now = System.nanoTime();
        for (Node node : uploaded) {
            version(node.uuid(), now, node);
        }
        this.loggedIn = new CountDownLatch(editors);
        this.lastPush = new Node[editors];
    }

    /** Starts {@code editors} clients on the session at {@code basePort}; returns once all are logged in. */
    static EditStream start(int basePort, List<Node> uploaded, int editors) throws InterruptedException {
        EditStream stream = new EditStream(uploaded, editors);
        for (int i = 0; i < editors; i++) {
            List<Node> share = new ArrayList<>();
            for (int n = i; n < uploaded.size(); n += editors) {
                share.add(uploaded.get(n));
            }
            List<String> mine = Collections.synchronizedList(new ArrayList<>());
            stream.created.add(mine);
            int index = i;
            Thread t = new Thread(() -> stream.edit(basePort, index, share, mine), "editor-" + i);
            t.setDaemon(true);
            stream.threads.add(t);
            t.start();
        }
        if (!stream.loggedIn.await(60, TimeUnit.SECONDS)) {
            stream.close();
            throw new AssertionError("editors did not log in within 60 s: " + stream.failures);
        }
        stream.checkFailures();
        return stream;
    }

    private void edit(int basePort, int index, List<Node> share, List<String> mine) {
        String name = "editor-" + index;
        try (TestClient client = new TestClient(basePort, name)) {
            String reply = client.loginAsClient();
            if (!reply.equals("RUNNING")) {
                throw new AssertionError(name + ": login answered " + reply);
            }
            loggedIn.countDown();
            Random random = new Random(1000 + index);
            List<Node> nodes = new ArrayList<>(share); // the first two are the hot ones, never deleted
            int deleted = 0;
            for (int seq = 0; seq < MAX_UPDATES && !stop.get(); seq++) {
                boolean all = !hotOnly.get();
                if (all && seq % 25 == 12 && mine.size() < MAX_CREATED) {
                    Node fresh = new Node(new UUID(random.nextLong(), random.nextLong()).toString(), name,
                            "EditorNode", List.of(share.get(0).uuid()), payload(random, index, seq));
                    client.push(fresh);
                    version(fresh.uuid(), System.nanoTime(), fresh);
                    mine.add(fresh.uuid());
                    nodes.add(fresh);
                    lastPush[index] = fresh;
                } else if (all && seq % 40 == 39 && deleted < MAX_DELETED && nodes.size() > 4 + mine.size()) {
                    // Only uploaded nodes: a delete (on P) could overtake the creation (on P+2) of a new one.
                    List<Node> uploadedOnes = nodes.subList(2, nodes.size()).stream()
                            .filter(n -> !mine.contains(n.uuid())).toList();
                    Node gone = uploadedOnes.get(random.nextInt(uploadedOnes.size()));
                    nodes.remove(gone);
                    deleted++;
                    client.send(name, "RepDeleteCommand", gone.uuid());
                    version(gone.uuid(), System.nanoTime(), null);
                } else {
                    int pick = all ? seq % nodes.size() : seq % 2;
                    Node edited = Nodes.edited(nodes.get(pick), payload(random, index, seq));
                    client.push(edited);
                    version(edited.uuid(), System.nanoTime(), edited); // after the send: never earlier than it
                    nodes.set(pick, edited);
                    lastPush[index] = edited;
                }
                Thread.sleep(PACE_MILLIS);
            }
        } catch (Throwable e) {
            failures.add(e);
            loggedIn.countDown();
        }
    }

    /** A payload no other update has: the editor and sequence number up front, random bytes after. */
    private static byte[] payload(Random random, int index, int seq) {
        byte[] bytes = Nodes.payload(random, 256 + random.nextInt(MAX_PAYLOAD));
        ByteBuffer.wrap(bytes).putInt(index).putInt(seq);
        return bytes;
    }

    private void version(String uuid, long nanos, Node node) {
        history.computeIfAbsent(uuid, u -> Collections.synchronizedList(new ArrayList<>()))
                .add(new Version(nanos, node));
    }

    /** From now on each editor changes its two hot nodes only. */
    void hotOnly() {
        hotOnly.set(true);
    }

    /** Stops the editors and waits for them; fails if one failed. */
    @Override
    public void close() throws InterruptedException {
        stop.set(true);
        for (Thread t : threads) {
            t.join(Duration.ofSeconds(30).toMillis());
            if (t.isAlive()) {
                throw new AssertionError(t.getName() + " did not stop within 30 s");
            }
        }
        checkFailures();
    }

    void checkFailures() {
        if (!failures.isEmpty()) {
            AssertionError e = new AssertionError("an editor failed: " + failures.get(0), failures.get(0));
            failures.stream().skip(1).forEach(e::addSuppressed);
            throw e;
        }
    }

    /** Every node's versions, oldest first (read after {@link #close()}). */
    Map<String, List<Version>> history() {
        return history;
    }

    /** Per editor, the uuids it created, in creation order (read after {@link #close()}). */
    List<List<String>> created() {
        return created;
    }

    /** Each editor's last datablock sent (read after {@link #close()}): the last thing the server gets from it. */
    List<Node> lastPushes() {
        return List.of(lastPush);
    }

    /** Uuids this stream deleted. */
    List<String> deleted() {
        List<String> gone = new ArrayList<>();
        history.forEach((uuid, versions) -> {
            if (versions.stream().anyMatch(v -> v.node() == null)) {
                gone.add(uuid);
            }
        });
        return gone;
    }
}
