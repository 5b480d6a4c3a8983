package io.multiuser.server.persistence;

import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;

import io.multiuser.server.protocol.Delta;
import io.multiuser.server.protocol.Node;
import io.multiuser.server.session.SessionState;

/**
 * Journaled changes not yet written, in order. Consecutive node changes form a run in which the
 * changes of one node collapse into one {@link NodeChange} (a dragged object sends many updates a
 * second; only the last payload matters); a clear or a state change ends the run, and node
 * changes are never moved across it. Not thread-safe: the {@link PendingChanges} lock or the
 * writer thread guards each batch.
 */
final class ChangeBatch {

    /** One step of a batch: a run of node changes, or a barrier. */
    sealed interface Item permits NodeRun, Clear, StateChange {

        void writeTo(OutputStream out) throws IOException;

        void applyTo(DurableScene scene);
    }

    /** Node changes, one per node, in the order the nodes first changed in the run. */
    record NodeRun(LinkedHashMap<String, NodeChange> changes) implements Item {

        @Override
        public void writeTo(OutputStream out) throws IOException {
            for (NodeChange change : changes.values()) {
                change.writeTo(out);
            }
        }

        @Override
        public void applyTo(DurableScene scene) {
            for (NodeChange change : changes.values()) {
                change.applyTo(scene);
            }
        }
    }

    /** Every node was dropped. */
    record Clear() implements Item {

        @Override
        public void writeTo(OutputStream out) throws IOException {
            StoreFormat.writeClear(out);
        }

        @Override
        public void applyTo(DurableScene scene) {
            scene.clear();
        }
    }

    record StateChange(SessionState state) implements Item {

        @Override
        public void writeTo(OutputStream out) throws IOException {
            StoreFormat.writeState(out, state);
        }

        @Override
        public void applyTo(DurableScene scene) {
            scene.state(state);
        }
    }

    private final List<Item> items = new ArrayList<>();

    /** Adds a node change to the last run, folding it into an earlier change of that node. */
    void add(NodeChange change) {
        NodeRun run = items.isEmpty() || !(items.get(items.size() - 1) instanceof NodeRun last) ? newRun() : last;
        NodeChange before = run.changes().get(change.uuid());
        if (before != null && before.kind() == NodeChange.Kind.DELETE && change.kind() != NodeChange.Kind.DELETE) {
            run = newRun(); // a node created again after a delete goes last, as in the session
            before = null;
        }
        if (before == null) {
            run.changes().put(change.uuid(), change);
        } else {
            before.then(change);
        }
    }

    void addClear() {
        items.add(new Clear());
    }

    void addState(SessionState state) {
        items.add(new StateChange(state));
    }

    /**
     * Appends a later batch, keeping the collapsing rules across the seam. The later batch is
     * used up: its node changes may become part of this one.
     */
    void addAll(ChangeBatch later) {
        for (Item item : later.items) {
            if (item instanceof NodeRun run) {
                for (NodeChange change : run.changes().values()) {
                    add(change);
                }
            } else {
                items.add(item);
            }
        }
    }

    private NodeRun newRun() {
        NodeRun run = new NodeRun(new LinkedHashMap<>());
        items.add(run);
        return run;
    }

    /** Whether the records of this batch need a version-2 file (chain records). */
    boolean needsChainFormat() {
        for (Item item : items) {
            if (item instanceof NodeRun run) {
                for (NodeChange change : run.changes().values()) {
                    if (change.needsChainFormat()) {
                        return true;
                    }
                }
            }
        }
        return false;
    }

    /** The records of this batch, in its order. */
    void writeTo(OutputStream out) throws IOException {
        for (Item item : items) {
            item.writeTo(out);
        }
    }

    /** Applies the batch to the scene the log describes (once its records are durable). */
    void applyTo(DurableScene scene) {
        for (Item item : items) {
            item.applyTo(scene);
        }
    }

    /**
     * What a batch does to one node, as the records that say it, in this order: a PUT or a DELETE
     * (or neither: an EDIT of a node the log already has), the deltas appended to its chain, then
     * its owner and its dependencies where they changed after those. A later change of the node
     * folds in with {@link #then}. Owned by one batch.
     */
    static final class NodeChange {

        enum Kind {
            /** The node was created or its payload replaced: the record carries the whole node, its chain restarts. */
            PUT,
            DELETE,
            /** Changes of a node the log already has: deltas, owner, dependencies. */
            EDIT
        }

        private final String uuid;
        private Kind kind;
        /** PUT only: the node, with the owner (and the dependencies up to its first delta) folded in. */
        private Node node;
        /** Appended after the PUT or to the logged chain; an ArrayList owned by this change once not empty. */
        private List<Delta> deltas = List.of();
        /** EDIT only: the new owner, or null. */
        private String owner;
        /** The dependencies after the deltas (each delta sets them), or null when they did not change since. */
        private List<String> dependencies;

        private NodeChange(String uuid, Kind kind, Node node) {
            this.uuid = uuid;
            this.kind = kind;
            this.node = node;
        }

        static NodeChange put(Node node) {
            return new NodeChange(node.uuid(), Kind.PUT, node);
        }

        static NodeChange delete(String uuid) {
            return new NodeChange(uuid, Kind.DELETE, null);
        }

        static NodeChange owner(Node node) {
            NodeChange change = new NodeChange(node.uuid(), Kind.EDIT, null);
            change.owner = node.owner();
            return change;
        }

        static NodeChange delta(String uuid, Delta delta) {
            NodeChange change = new NodeChange(uuid, Kind.EDIT, null);
            change.deltas = new ArrayList<>(List.of(delta));
            return change;
        }

        static NodeChange dependencies(Node node) {
            NodeChange change = new NodeChange(node.uuid(), Kind.EDIT, null);
            change.dependencies = node.dependencies();
            return change;
        }

        String uuid() {
            return uuid;
        }

        Kind kind() {
            return kind;
        }

        /**
         * Folds in a later change of this node (not after a DELETE: a node created again starts a
         * new run). Takes over the later change's lists.
         */
        void then(NodeChange later) {
            if (later.kind != Kind.EDIT) { // a put or a delete supersedes everything before it
                kind = later.kind;
                node = later.node;
                deltas = later.deltas;
                owner = later.owner;
                dependencies = later.dependencies;
                return;
            }
            if (!later.deltas.isEmpty()) {
                if (deltas.isEmpty()) {
                    deltas = later.deltas;
                } else {
                    deltas.addAll(later.deltas);
                }
                dependencies = null; // the last delta sets them
            }
            if (later.dependencies != null) {
                dependencies = later.dependencies;
            }
            if (later.owner != null) {
                if (kind == Kind.PUT) {
                    node = node.withOwner(later.owner); // the owner does not depend on the deltas' order
                } else {
                    owner = later.owner;
                }
            }
            if (kind == Kind.PUT && deltas.isEmpty() && dependencies != null) {
                node = new Node(uuid, node.owner(), node.type(), dependencies, node.payload());
                dependencies = null;
            }
        }

        boolean needsChainFormat() {
            return !deltas.isEmpty() || dependencies != null;
        }

        void writeTo(OutputStream out) throws IOException {
            switch (kind) {
                case PUT -> StoreFormat.writePut(out, node);
                case DELETE -> StoreFormat.writeDelete(out, uuid);
                case EDIT -> {
                }
            }
            for (Delta delta : deltas) {
                StoreFormat.writeDelta(out, uuid, delta);
            }
            if (owner != null) {
                StoreFormat.writeOwner(out, uuid, owner);
            }
            if (dependencies != null) {
                StoreFormat.writeDependencies(out, uuid, dependencies);
            }
        }

        void applyTo(DurableScene scene) {
            switch (kind) {
                case PUT -> scene.put(node);
                case DELETE -> scene.delete(uuid);
                case EDIT -> {
                }
            }
            for (Delta delta : deltas) {
                scene.delta(uuid, delta);
            }
            if (owner != null) {
                scene.owner(uuid, owner);
            }
            if (dependencies != null) {
                scene.dependencies(uuid, dependencies);
            }
        }
    }
}
