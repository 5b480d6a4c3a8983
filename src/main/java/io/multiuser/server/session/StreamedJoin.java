package io.multiuser.server.session;

import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.LongSupplier;

import io.multiuser.server.protocol.ClientId;
import io.multiuser.server.protocol.Node;

/**
 * A four-port join (PROTOCOL-0.1 §6 and §6a): the snapshot is streamed on P+1 ahead of the
 * client's GETs, in exactly the order it asks, within a window of nodes and bytes. A GET for
 * the node at position k acknowledges every node before it. With a window of 0 each GET is
 * answered alone, the original way.
 */
final class StreamedJoin extends Join {

    private final int windowNodes;
    private final long windowBytes;
    /** Payload bytes of each node pushed, by position: what an acknowledgement frees. */
    private final long[] pushedBytes;
    /** Catalog nodes deleted during the join: the client still waits for them (rule 5). */
    private final Map<String, Node> removedDuringJoin = new HashMap<>();
    /** Nodes outside the catalog forwarded before the first GET: the client may have dropped them (rule 7). */
    private final Set<String> forwardedBeforeFirstGet = new LinkedHashSet<>();
    private int pushed;
    private int acknowledged;
    private long bytesInFlight;
    private boolean firstGetSeen;

    StreamedJoin(ClientId joiner, String who, List<String> catalog, NodeGraph graph, Outbox out,
            LongSupplier clock, int windowNodes, long windowBytes) {
        super(joiner, who, catalog, graph, out, clock);
        this.windowNodes = windowNodes;
        this.windowBytes = windowBytes;
        this.pushedBytes = new long[order.size()];
    }

    /** The original answer to a GET: the node on P+1; false if there is none. */
    static boolean answer(List<ClientId> to, Node node, Outbox out) {
        if (node == null) {
            return false;
        }
        out.push(to, node);
        return true;
    }

    @Override
    boolean onGet(String uuid) {
        int index = indexOf(uuid);
        if (index >= 0 && windowNodes > 0) {
            stream(index);
            return true;
        }
        // The original way: one node per GET (window 0, or a GET outside the stream, rule 8).
        Node node = owed(uuid);
        if (!answer(joiner, node, out)) {
            return false;
        }
        if (index >= 0 && index == pushed) {
            recordPush(node.payload().length()); // in order, as the client asks
        }
        firstGet();
        logProgress(pushed);
        return true;
    }

    /**
     * Streams ahead of the GET for the node at {@code index} (rules 2 and 3): it acknowledges
     * every node before it, is never answered twice, and always gets its node, even with the
     * window full; then the window is topped up.
     */
    private void stream(int index) {
        acknowledgeUpTo(index);
        while (pushed <= index) {
            pushNext();
        }
        firstGet();
        while (pushed < order.size() && pushed - acknowledged < windowNodes && bytesInFlight < windowBytes) {
            pushNext();
        }
        logProgress(acknowledged);
    }

    /** Sends the next node of the order with its payload as of now (rule 2). */
    private void pushNext() {
        String uuid = order.get(pushed);
        Node node = owed(uuid);
        if (node == null) {
            // Cannot happen: the catalog lists existing nodes and deleted ones are kept for the join.
            LOG.errorf("Snapshot node %s for %s has vanished; the client will wait for it", uuid, who);
            recordPush(0);
            return;
        }
        out.push(joiner, node);
        recordPush(node.payload().length());
    }

    /** A node as the joiner is owed it: as it is now, or as it was when deleted since (rule 5). */
    private Node owed(String uuid) {
        Node node = graph.get(uuid);
        return node == null ? removedDuringJoin.get(uuid) : node;
    }

    /** At the first GET, resends what was forwarded while the client could not take it yet (rule 7). */
    private void firstGet() {
        if (firstGetSeen) {
            return;
        }
        firstGetSeen = true;
        for (String again : forwardedBeforeFirstGet) {
            Node current = graph.get(again);
            if (current != null) {
                out.push(joiner, current);
            }
        }
        forwardedBeforeFirstGet.clear();
    }

    /** The client has stored every node before {@code index}. */
    private void acknowledgeUpTo(int index) {
        while (acknowledged < index && acknowledged < pushed) {
            bytesInFlight -= pushedBytes[acknowledged++];
        }
    }

    private void recordPush(int bytes) {
        pushedBytes[pushed++] = bytes;
        bytesInFlight += bytes;
        recordSent(bytes);
    }

    /** Live data goes to a four-port joiner at once; it queues what it did not ask for (§6). */
    @Override
    boolean takesLiveData(String uuid) {
        if (!firstGetSeen && !inCatalog(uuid)) {
            forwardedBeforeFirstGet.add(uuid);
        }
        return true;
    }

    @Override
    void nodeDeleted(String uuid, Node node) {
        if (inCatalog(uuid)) {
            removedDuringJoin.put(uuid, node);
        }
    }

    /** Every catalog node went out on P+1; only the held-back commands are owed. */
    @Override
    void sendOwedAtDone() {
    }
}
