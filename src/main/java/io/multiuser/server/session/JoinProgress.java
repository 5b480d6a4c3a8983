package io.multiuser.server.session;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import io.multiuser.server.protocol.Node;
import io.multiuser.server.protocol.ServerCommand;

/** One user's snapshot download, from the catalog to its DONE. */
final class JoinProgress {

    final Set<String> catalog;
    final long startedAtMillis;
    /** Catalog nodes deleted during the join: the client still waits for them, so we keep them. */
    final Map<String, Node> removedDuringJoin = new HashMap<>();
    /** Right and Delete commands held back until DONE, so the joiner applies them after the nodes. */
    final List<ServerCommand> heldBack = new ArrayList<>();
    /** Nodes outside the catalog forwarded before the first GET: the client may have discarded them. */
    final Set<String> forwardedBeforeFirstGet = new LinkedHashSet<>();
    final Set<String> sent = new HashSet<>();
    boolean firstGetSeen;
    long bytesSent;
    int lastProgressDecile;

    JoinProgress(List<String> catalog, long startedAtMillis) {
        this.catalog = new LinkedHashSet<>(catalog);
        this.startedAtMillis = startedAtMillis;
    }
}
