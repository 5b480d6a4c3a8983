package io.multiuser.server.session;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import io.multiuser.server.protocol.Delta;
import io.multiuser.server.protocol.DeltaMerger;
import io.multiuser.server.protocol.Node;

/**
 * The replicated scene: uuid to node, in insertion order (the catalog order), the three-port
 * protocol's delta chains (a node's current data is its payload plus its chain), plus the
 * tombstones of deleted uuids so that a late datablock cannot bring a node back. Every change
 * is reported to the {@link SessionJournal}, so a store cannot miss one.
 */
public final class NodeGraph {

    /** Owners and types seen so far, one instance each; bounded, since clients choose them. */
    private static final int SHARED_STRINGS_MAX = 4096;

    private final Map<String, Node> nodes = new LinkedHashMap<>();
    private final Map<String, String> sharedStrings = new HashMap<>();
    private final Map<String, DeltaChain> chains = new HashMap<>();
    private final Set<String> tombstones = new LinkedHashSet<>();
    private final int tombstoneCapacity;
    private final SessionJournal journal;
    private long totalBytes;
    private long chainBytes;
    private int chainEntries;

    public NodeGraph(int tombstoneCapacity) {
        this(tombstoneCapacity, SessionJournal.NONE);
    }

    public NodeGraph(int tombstoneCapacity, SessionJournal journal) {
        this.tombstoneCapacity = tombstoneCapacity;
        this.journal = journal;
    }

    public Node get(String uuid) {
        return nodes.get(uuid);
    }

    /** Stores a node (replacing any with the same uuid, and its delta chain) and returns the previous one. */
    public Node put(Node node) {
        node = canonical(node, nodes.get(node.uuid()));
        Node previous = nodes.put(node.uuid(), node);
        if (previous != null && previous.payload() != node.payload()) {
            dropChain(node.uuid()); // a full payload supersedes every delta before it
        }
        totalBytes += node.payload().length() - (previous == null ? 0 : previous.payload().length());
        if (previous != null && samePayload(previous, node)) {
            // a few bytes to store instead of the whole payload again; the chain stays
            if (!previous.dependencies().equals(node.dependencies())) {
                journal.dependenciesChanged(node);
            }
            if (!previous.owner().equals(node.owner())) {
                journal.ownerChanged(node);
            }
        } else {
            journal.put(node);
        }
        return previous;
    }

    /**
     * The node with its strings shared (issue #19: heap per node): its uuid with the node it replaces,
     * owner and type with every other node (a few distinct values; the cache is bounded), each
     * dependency with the uuid of the node it names. Every received node brings its own copies of
     * these strings, about 0.2 KiB per node; the payload array is kept as it is.
     */
    private Node canonical(Node node, Node previous) {
        String uuid = previous != null ? previous.uuid() : node.uuid();
        String owner = shared(node.owner());
        String type = shared(node.type());
        List<String> dependencies = node.dependencies();
        boolean depsChanged = false;
        if (!dependencies.isEmpty()) {
            String[] deps = new String[dependencies.size()];
            for (int i = 0; i < deps.length; i++) {
                String dep = dependencies.get(i);
                Node named = nodes.get(dep);
                deps[i] = named != null ? named.uuid() : dep;
                depsChanged |= deps[i] != dep;
            }
            if (depsChanged) {
                dependencies = List.of(deps);
            }
        }
        if (uuid == node.uuid() && owner == node.owner() && type == node.type() && !depsChanged) {
            return node;
        }
        return new Node(uuid, owner, type, dependencies, node.payload());
    }

    private String shared(String value) {
        String known = sharedStrings.get(value);
        if (known != null) {
            return known;
        }
        if (sharedStrings.size() < SHARED_STRINGS_MAX) {
            sharedStrings.put(value, value);
        }
        return value;
    }

    private static boolean samePayload(Node before, Node after) {
        return before.payload() == after.payload() && before.type().equals(after.type());
    }

    /**
     * Stores a node from outside the session (an import) with its chain; unlike {@link #append}
     * the deltas do not change the node's dependencies, which are already the final ones.
     */
    public void putWithChain(Node node, List<Delta> deltas, DeltaMerger merger) {
        put(node);
        if (deltas.isEmpty()) {
            return;
        }
        DeltaChain chain = chains.computeIfAbsent(node.uuid(), u -> new DeltaChain());
        for (Delta delta : deltas) {
            int before = chain.size();
            chainBytes += chain.append(delta, merger);
            chainEntries += chain.size() - before;
            journal.deltaAppended(node.uuid(), delta);
        }
        if (!deltas.get(deltas.size() - 1).dependencies().equals(node.dependencies())) {
            journal.dependenciesChanged(node); // a replay takes the last delta's deps; these win
        }
    }

    /**
     * Appends a delta to an existing node's chain and takes the delta's dependencies; returns the
     * node as it is now, or null when there is no such node.
     */
    public Node append(String uuid, Delta delta, DeltaMerger merger) {
        Node node = nodes.get(uuid);
        if (node == null) {
            return null;
        }
        if (!node.dependencies().equals(delta.dependencies())) {
            node = new Node(uuid, node.owner(), node.type(), delta.dependencies(), node.payload());
            nodes.put(uuid, node);
        }
        DeltaChain chain = chains.computeIfAbsent(uuid, u -> new DeltaChain());
        int entriesBefore = chain.size();
        chainBytes += chain.append(delta, merger);
        chainEntries += chain.size() - entriesBefore;
        journal.deltaAppended(uuid, delta);
        return node;
    }

    /** The deltas since the node's payload, oldest first; empty for none. */
    public List<Delta> chain(String uuid) {
        DeltaChain chain = chains.get(uuid);
        return chain == null ? List.of() : chain.entries();
    }

    /** Bytes held in one node's chain. */
    public long chainBytes(String uuid) {
        DeltaChain chain = chains.get(uuid);
        return chain == null ? 0 : chain.bytes();
    }

    /** Bytes held in every chain. */
    public long chainBytes() {
        return chainBytes;
    }

    /** Deltas held in every chain. */
    public int chainEntries() {
        return chainEntries;
    }

    private void dropChain(String uuid) {
        DeltaChain chain = chains.remove(uuid);
        if (chain != null) {
            chainBytes -= chain.bytes();
            chainEntries -= chain.size();
        }
    }

    /**
     * Removes {@code uuid} from the dependencies of every node that has it (a three-port Delete):
     * what a late joiner gets then matches what the others did on their side. Chains are kept.
     */
    public void removeDependency(String uuid) {
        for (Map.Entry<String, Node> e : nodes.entrySet()) {
            Node node = e.getValue();
            if (node.dependencies().contains(uuid)) {
                List<String> deps = new ArrayList<>(node.dependencies());
                deps.remove(uuid);
                Node changed = new Node(node.uuid(), node.owner(), node.type(), deps, node.payload());
                e.setValue(changed);
                journal.dependenciesChanged(changed);
            }
        }
    }

    /** Removes a node and remembers its uuid as deleted. */
    public Node delete(String uuid) {
        Node removed = nodes.remove(uuid);
        if (removed != null) {
            dropChain(uuid);
            totalBytes -= removed.payload().length();
            journal.deleted(uuid);
            tombstones.add(uuid);
            if (tombstones.size() > tombstoneCapacity) {
                Iterator<String> oldest = tombstones.iterator();
                oldest.next();
                oldest.remove();
            }
        }
        return removed;
    }

    /**
     * Loads nodes (with their chains) that are already durable: not journaled. Only into an
     * empty graph. The chains are appended through {@code merger}, as they were when received.
     */
    void restore(Collection<Node> restored, Map<String, List<Delta>> restoredChains, DeltaMerger merger) {
        if (!nodes.isEmpty()) {
            throw new IllegalStateException("restore into a graph that has nodes");
        }
        for (Node node : restored) {
            node = canonical(node, nodes.get(node.uuid()));
            Node previous = nodes.put(node.uuid(), node);
            totalBytes += node.payload().length() - (previous == null ? 0 : previous.payload().length());
        }
        restoredChains.forEach((uuid, deltas) -> {
            if (nodes.containsKey(uuid)) {
                DeltaChain chain = chains.computeIfAbsent(uuid, u -> new DeltaChain());
                for (Delta delta : deltas) {
                    int before = chain.size();
                    chainBytes += chain.append(delta, merger);
                    chainEntries += chain.size() - before;
                }
            }
        });
    }

    public boolean isDeleted(String uuid) {
        return tombstones.contains(uuid);
    }

    /** Drops every node (an aborted upload, an admin reset); tombstones stay. */
    public void clear() {
        nodes.clear();
        chains.clear();
        chainBytes = 0;
        chainEntries = 0;
        totalBytes = 0;
        journal.cleared();
    }

    public List<String> uuids() {
        return new ArrayList<>(nodes.keySet());
    }

    public Collection<Node> nodes() {
        return Collections.unmodifiableCollection(nodes.values());
    }

    public int size() {
        return nodes.size();
    }

    public boolean isEmpty() {
        return nodes.isEmpty();
    }

    public long totalBytes() {
        return totalBytes;
    }

    /** Gives every node owned by {@code owner} to {@code newOwner}; returns their uuids. */
    public List<String> reassign(String owner, String newOwner) {
        List<String> changed = new ArrayList<>();
        for (Map.Entry<String, Node> e : nodes.entrySet()) {
            if (e.getValue().owner().equals(owner)) {
                Node given = e.getValue().withOwner(newOwner);
                e.setValue(given);
                journal.ownerChanged(given);
                changed.add(e.getKey());
            }
        }
        return changed;
    }
}
