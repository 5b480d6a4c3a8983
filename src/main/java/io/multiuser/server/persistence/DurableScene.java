package io.multiuser.server.persistence;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.BiConsumer;

import io.multiuser.server.protocol.Delta;
import io.multiuser.server.protocol.DeltaMerger;
import io.multiuser.server.protocol.Node;
import io.multiuser.server.session.Scene;
import io.multiuser.server.session.SessionState;

/**
 * The scene a log describes, built record by record: the nodes in catalog order, each node's
 * chain of deltas since its last put (folded by the session's {@link DeltaMerger}, as the session
 * folds them, so that a day of edits of one node does not pile up here), the session
 * state, and the size a compacted log of it has. {@link StoreReader} replays a file into one, and
 * the writer keeps one in step with what it has made durable; both apply the same rules, so a
 * compaction writes exactly what a replay of the log gives. Not thread-safe: one thread at a time.
 */
final class DurableScene {

    /**
     * A node's deltas since its last put, and their encoded size. Only nodes with deltas have one:
     * most nodes of a big scene never get a delta, and a holder per node cost 32 bytes each.
     */
    private static final class Chain {
        final List<Delta> deltas = new ArrayList<>(2);
        long bytes;
    }

    private final LinkedHashMap<String, Node> nodes = new LinkedHashMap<>();
    private final HashMap<String, Chain> chains = new HashMap<>();
    private final DeltaMerger merger;
    private SessionState state = SessionState.WAITING;
    private long liveBytes = emptyLogBytes();

    /** A scene whose chains are kept as they come (a replay for an import: the session folds them). */
    DurableScene() {
        this(DeltaMerger.NONE);
    }

    DurableScene(DeltaMerger merger) {
        this.merger = merger;
    }

    /** The node as given, replacing one with the same uuid (and its chain) in its catalog place. */
    void put(Node node) {
        String uuid = node.uuid();
        Node previous = nodes.put(uuid, node);
        if (previous != null) {
            liveBytes -= size(previous, chains.remove(uuid));
        }
        liveBytes += size(node, null);
    }

    void owner(String uuid, String owner) {
        Node node = nodes.get(uuid);
        if (node != null) {
            replace(node, node.withOwner(owner));
        }
    }

    void delete(String uuid) {
        Node node = nodes.remove(uuid);
        if (node != null) {
            liveBytes -= size(node, chains.remove(uuid));
        }
    }

    /** Appends to an existing node's chain; the node takes the delta's dependencies. */
    void delta(String uuid, Delta delta) {
        Node node = nodes.get(uuid);
        if (node == null) {
            return;
        }
        Chain chain = chains.computeIfAbsent(uuid, u -> new Chain());
        liveBytes -= size(node, chain);
        List<Delta> deltas = chain.deltas;
        int last = deltas.size() - 1;
        Optional<Delta> merged = last < 0 ? Optional.empty() : merger.merge(deltas.get(last), delta);
        if (merged.isPresent()) {
            chain.bytes -= StoreFormat.deltaSize(uuid, deltas.get(last));
            deltas.set(last, merged.get());
            chain.bytes += StoreFormat.deltaSize(uuid, merged.get());
        } else {
            deltas.add(delta);
            chain.bytes += StoreFormat.deltaSize(uuid, delta);
        }
        Node next = withDependencies(node, delta.dependencies());
        nodes.put(uuid, next);
        liveBytes += size(next, chain);
    }

    /** Only the dependencies of an existing node change; its payload and chain stay. */
    void dependencies(String uuid, List<String> dependencies) {
        Node node = nodes.get(uuid);
        if (node != null) {
            replace(node, withDependencies(node, dependencies));
        }
    }

    void clear() {
        nodes.clear();
        chains.clear();
        liveBytes = emptyLogBytes();
    }

    void state(SessionState next) {
        state = next;
    }

    SessionState state() {
        return state;
    }

    int size() {
        return nodes.size();
    }

    boolean isEmpty() {
        return nodes.isEmpty();
    }

    /** Bytes a log written from this scene has: header, every node with its chain, a state record. */
    long liveBytes() {
        return liveBytes;
    }

    /** The nodes, in catalog order (a copy). */
    LinkedHashMap<String, Node> nodes() {
        return new LinkedHashMap<>(nodes);
    }

    /** The non-empty chains, by uuid in catalog order (copies). */
    Map<String, List<Delta>> chains() {
        Map<String, List<Delta>> copies = new LinkedHashMap<>();
        forEachChain((uuid, deltas) -> copies.put(uuid, List.copyOf(deltas)));
        return copies;
    }

    /** A snapshot that stays as it is while this scene changes: nodes and deltas are immutable. */
    Scene scene() {
        Map<String, List<Delta>> chainsInOrder = new LinkedHashMap<>();
        forEachChain(chainsInOrder::put); // Scene copies them
        return new Scene(new ArrayList<>(nodes.values()), chainsInOrder);
    }

    /** The non-empty chains in catalog order; the lists are this scene's own. */
    private void forEachChain(BiConsumer<String, List<Delta>> action) {
        if (chains.isEmpty()) {
            return;
        }
        nodes.keySet().forEach(uuid -> {
            Chain chain = chains.get(uuid);
            if (chain != null && !chain.deltas.isEmpty()) {
                action.accept(uuid, chain.deltas);
            }
        });
    }

    /** The same node (uuid, catalog place and chain) with other fields. */
    private void replace(Node node, Node next) {
        Chain chain = chains.get(node.uuid());
        liveBytes -= size(node, chain);
        nodes.put(node.uuid(), next);
        liveBytes += size(next, chain);
    }

    private static long size(Node node, Chain chain) {
        return chain == null ? StoreFormat.nodeSize(node, List.of(), 0)
                : StoreFormat.nodeSize(node, chain.deltas, chain.bytes);
    }

    private static long emptyLogBytes() {
        return StoreFormat.HEADER_BYTES + StoreFormat.stateSize();
    }

    private static Node withDependencies(Node node, List<String> dependencies) {
        return node.dependencies().equals(dependencies) ? node
                : new Node(node.uuid(), node.owner(), node.type(), dependencies, node.payload());
    }
}
