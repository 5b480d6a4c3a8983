package io.multiuser.server.session;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import io.multiuser.server.protocol.Node;
import io.multiuser.server.protocol.ServerCommand;

/**
 * One user's snapshot download, from the catalog to its DONE. The client asks for the catalog
 * from its last entry to its first, one GET at a time; the server may stream ahead of those
 * GETs in exactly that order (PROTOCOL.md §6a), tracked here as {@link #pushed} (nodes sent)
 * and {@link #acknowledged} (nodes the client has confirmed by asking for a later one).
 */
final class JoinProgress {

    final long startedAtMillis;
    /** Catalog nodes deleted during the join: the client still waits for them, so we keep them. */
    final Map<String, Node> removedDuringJoin = new HashMap<>();
    /** Right and Delete commands held back until DONE, so the joiner applies them after the nodes. */
    final List<ServerCommand> heldBack = new ArrayList<>();
    /** Nodes outside the catalog forwarded before the first GET: the client may have discarded them. */
    final Set<String> forwardedBeforeFirstGet = new LinkedHashSet<>();
    /** Three-port: the catalog's nodes as of the first GET, whose chains went out then; null before. */
    Map<String, Node> frozen;
    /** The order the client asks in: the catalog reversed. */
    final List<String> order;
    private final Map<String, Integer> position;
    private final long[] pushedBytes;
    int pushed;
    int acknowledged;
    long bytesInFlight;
    boolean firstGetSeen;
    long bytesSent;
    int lastProgressDecile;

    JoinProgress(List<String> catalog, long startedAtMillis) {
        this.startedAtMillis = startedAtMillis;
        List<String> reversed = new ArrayList<>(catalog);
        Collections.reverse(reversed);
        this.order = reversed;
        this.position = new HashMap<>(reversed.size() * 2);
        for (int i = 0; i < reversed.size(); i++) {
            position.put(reversed.get(i), i);
        }
        this.pushedBytes = new long[reversed.size()];
    }

    boolean inCatalog(String uuid) {
        return position.containsKey(uuid);
    }

    int catalogSize() {
        return order.size();
    }

    /** Where this uuid stands in the order of requests, or -1 outside the catalog. */
    int indexOf(String uuid) {
        Integer i = position.get(uuid);
        return i == null ? -1 : i;
    }

    /** A GET for the node at {@code index}: the client has stored every node before it. */
    void acknowledgeUpTo(int index) {
        while (acknowledged < index && acknowledged < pushed) {
            bytesInFlight -= pushedBytes[acknowledged++];
        }
    }

    /** Records the next node of the order as sent. */
    void recordPush(int bytes) {
        pushedBytes[pushed++] = bytes;
        bytesInFlight += bytes;
        bytesSent += bytes;
    }

    boolean everythingPushed() {
        return pushed == order.size();
    }

    int inFlight() {
        return pushed - acknowledged;
    }
}
