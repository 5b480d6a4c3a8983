package io.multiuser.server.persistence;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

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

    /** A node and its chain. The chain lists share the delta objects with the session's graph. */
    private static final class Entry {
        Node node;
        List<Delta> chain = List.of();
        long chainBytes;

        Entry(Node node) {
            this.node = node;
        }

        long size() {
            return StoreFormat.nodeSize(node, chain, chainBytes);
        }
    }

    private final LinkedHashMap<String, Entry> entries = new LinkedHashMap<>();
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
        Entry entry = entries.get(node.uuid());
        if (entry == null) {
            entry = new Entry(node);
            entries.put(node.uuid(), entry);
            liveBytes += entry.size();
            return;
        }
        liveBytes -= entry.size();
        entry.node = node;
        entry.chain = List.of();
        entry.chainBytes = 0;
        liveBytes += entry.size();
    }

    void owner(String uuid, String owner) {
        Entry entry = entries.get(uuid);
        if (entry != null) {
            liveBytes -= entry.size();
            entry.node = entry.node.withOwner(owner);
            liveBytes += entry.size();
        }
    }

    void delete(String uuid) {
        Entry entry = entries.remove(uuid);
        if (entry != null) {
            liveBytes -= entry.size();
        }
    }

    /** Appends to an existing node's chain; the node takes the delta's dependencies. */
    void delta(String uuid, Delta delta) {
        Entry entry = entries.get(uuid);
        if (entry == null) {
            return;
        }
        liveBytes -= entry.size();
        if (entry.chain.isEmpty()) {
            entry.chain = new ArrayList<>(2);
        }
        int last = entry.chain.size() - 1;
        Optional<Delta> merged = last < 0 ? Optional.empty()
                : merger.merge(entry.chain.get(last), delta);
        if (merged.isPresent()) {
            entry.chainBytes -= StoreFormat.deltaSize(uuid, entry.chain.get(last));
            entry.chain.set(last, merged.get());
            entry.chainBytes += StoreFormat.deltaSize(uuid, merged.get());
        } else {
            entry.chain.add(delta);
            entry.chainBytes += StoreFormat.deltaSize(uuid, delta);
        }
        entry.node = withDependencies(entry.node, delta.dependencies());
        liveBytes += entry.size();
    }

    /** Only the dependencies of an existing node change; its payload and chain stay. */
    void dependencies(String uuid, List<String> dependencies) {
        Entry entry = entries.get(uuid);
        if (entry != null) {
            liveBytes -= entry.size();
            entry.node = withDependencies(entry.node, dependencies);
            liveBytes += entry.size();
        }
    }

    void clear() {
        entries.clear();
        liveBytes = emptyLogBytes();
    }

    void state(SessionState next) {
        state = next;
    }

    SessionState state() {
        return state;
    }

    int size() {
        return entries.size();
    }

    boolean isEmpty() {
        return entries.isEmpty();
    }

    /** Bytes a log written from this scene has: header, every node with its chain, a state record. */
    long liveBytes() {
        return liveBytes;
    }

    /** The nodes, in catalog order (a copy). */
    LinkedHashMap<String, Node> nodes() {
        LinkedHashMap<String, Node> nodes = new LinkedHashMap<>();
        entries.forEach((uuid, entry) -> nodes.put(uuid, entry.node));
        return nodes;
    }

    /** The non-empty chains, by uuid in catalog order (copies). */
    Map<String, List<Delta>> chains() {
        Map<String, List<Delta>> chains = new LinkedHashMap<>();
        entries.forEach((uuid, entry) -> {
            if (!entry.chain.isEmpty()) {
                chains.put(uuid, List.copyOf(entry.chain));
            }
        });
        return chains;
    }

    /** A snapshot that stays as it is while this scene changes: nodes and deltas are immutable. */
    Scene scene() {
        List<Node> nodes = new ArrayList<>(entries.size());
        Map<String, List<Delta>> chains = new LinkedHashMap<>();
        entries.forEach((uuid, entry) -> {
            nodes.add(entry.node);
            if (!entry.chain.isEmpty()) {
                chains.put(uuid, entry.chain); // Scene copies it
            }
        });
        return new Scene(nodes, chains);
    }

    private static long emptyLogBytes() {
        return StoreFormat.HEADER_BYTES + StoreFormat.stateSize();
    }

    private static Node withDependencies(Node node, List<String> dependencies) {
        return node.dependencies().equals(dependencies) ? node
                : new Node(node.uuid(), node.owner(), node.type(), dependencies, node.payload());
    }
}
