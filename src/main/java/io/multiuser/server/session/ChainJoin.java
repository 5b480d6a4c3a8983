package io.multiuser.server.session;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;

import io.multiuser.server.protocol.ClientId;
import io.multiuser.server.protocol.Delta;
import io.multiuser.server.protocol.Node;
import io.multiuser.server.protocol.ServerCommand;

/**
 * A three-port join (PROTOCOL-0.9 §6, §7 strategy B): exactly one SET per GET, on P. At the
 * first GET the catalog's payloads are frozen and their chains go out on P+1, where the client,
 * syncing from then on, queues them; each SET carries the frozen payload, so base + chain +
 * later deltas are applied exactly once.
 */
final class ChainJoin extends Join {

    /** The catalog's nodes as of the first GET, whose chains went out then; null before it. */
    private Map<String, Node> frozen;

    ChainJoin(ClientId joiner, String who, List<String> catalog, NodeGraph graph, Outbox out, LongSupplier clock) {
        super(joiner, who, catalog, graph, out, clock);
    }

    /**
     * The SET for {@code uuid} (every GET gets one): its current owner and deps with the payload
     * of {@code base}, or "removed" when the node is gone or this client has no base for it.
     * Returns whether a node went out.
     */
    static boolean answer(List<ClientId> to, String uuid, Node current, Node base, Outbox out) {
        if (current == null || base == null) {
            out.send(to, new ServerCommand.SnapshotRemoved(uuid));
            return false;
        }
        out.send(to, new ServerCommand.SnapshotNode(new Node(uuid, current.owner(), current.type(),
                current.dependencies(), base.payload())));
        return true;
    }

    @Override
    boolean onGet(String uuid) {
        if (frozen == null) {
            freeze();
        }
        Node base = frozen.get(uuid); // null outside the catalog
        if (answer(joiner, uuid, graph.get(uuid), base, out)) {
            recordSent(base.payload().length());
            logProgress(sent());
        }
        return true;
    }

    /** Step 2: the view the SETs are cut from, and the chains that complete it, queued on P+1. */
    private void freeze() {
        frozen = new HashMap<>(order.size() * 2);
        for (String catalogued : order) {
            Node node = graph.get(catalogued);
            if (node != null) {
                frozen.put(catalogued, node);
                for (Delta delta : graph.chain(catalogued)) {
                    out.pushDelta(joiner, catalogued, delta);
                }
            }
        }
    }

    /** Before its first GET the client drops datablocks (step 1); from then on it queues them. */
    @Override
    boolean takesLiveData(String uuid) {
        return frozen != null;
    }

    /** Nothing to keep: a GET for a deleted node is answered "removed" (§6). */
    @Override
    void nodeDeleted(String uuid, Node node) {
    }

    /**
     * Step 5: nodes created during the join were either not sent (before its first GET) or only
     * queued, never loaded; now that the client is active, each goes out whole with its chain.
     */
    @Override
    void sendOwedAtDone() {
        for (Node node : graph.nodes()) {
            if (!inCatalog(node.uuid())) {
                out.push(joiner, node);
                for (Delta delta : graph.chain(node.uuid())) {
                    out.pushDelta(joiner, node.uuid(), delta);
                }
            }
        }
    }
}
