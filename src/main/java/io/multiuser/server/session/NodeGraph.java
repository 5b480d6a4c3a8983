package io.multiuser.server.session;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import io.multiuser.server.protocol.Node;

/**
 * The replicated scene: uuid to node, in insertion order (the catalog order), plus the
 * tombstones of deleted uuids so that a late datablock cannot bring a node back. Every change
 * is reported to the {@link SessionJournal}, so a store cannot miss one.
 */
public final class NodeGraph {

    private final Map<String, Node> nodes = new LinkedHashMap<>();
    private final Set<String> tombstones = new LinkedHashSet<>();
    private final int tombstoneCapacity;
    private final SessionJournal journal;
    private long totalBytes;

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

    /** Stores a node (replacing any with the same uuid) and returns the previous one. */
    public Node put(Node node) {
        Node previous = nodes.put(node.uuid(), node);
        totalBytes += node.payload().length - (previous == null ? 0 : previous.payload().length);
        if (previous != null && onlyOwnerDiffers(previous, node)) {
            journal.ownerChanged(node); // a few bytes to store instead of the whole payload again
        } else {
            journal.put(node);
        }
        return previous;
    }

    private static boolean onlyOwnerDiffers(Node before, Node after) {
        return before.payload() == after.payload() && before.type().equals(after.type())
                && before.dependencies().equals(after.dependencies());
    }

    /** Removes a node and remembers its uuid as deleted. */
    public Node delete(String uuid) {
        Node removed = nodes.remove(uuid);
        if (removed != null) {
            totalBytes -= removed.payload().length;
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

    /** Loads nodes that are already durable: not journaled. Only into an empty graph. */
    void restore(Collection<Node> restored) {
        if (!nodes.isEmpty()) {
            throw new IllegalStateException("restore into a graph that has nodes");
        }
        for (Node node : restored) {
            Node previous = nodes.put(node.uuid(), node);
            totalBytes += node.payload().length - (previous == null ? 0 : previous.payload().length);
        }
    }

    public boolean isDeleted(String uuid) {
        return tombstones.contains(uuid);
    }

    /** Drops every node (an aborted upload, an admin reset); tombstones stay. */
    public void clear() {
        nodes.clear();
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
