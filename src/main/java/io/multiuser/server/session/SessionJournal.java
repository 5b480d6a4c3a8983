package io.multiuser.server.session;

import io.multiuser.server.protocol.Delta;
import io.multiuser.server.protocol.Node;

/**
 * Every change of the scene and of the session state, in order, for a durable store. Called on
 * the engine thread right after the change, so an implementation must only queue the work:
 * nodes are immutable and their payload arrays are never modified, so they can be kept as they are.
 */
public interface SessionJournal {

    /** A node was created or its data replaced (the node as stored now). */
    void put(Node node);

    /** Only the owner of an existing node changed: the payload is the one already journaled. */
    void ownerChanged(Node node);

    void deleted(String uuid);

    /** A delta (three-port Commit) was appended to an existing node's chain; it takes the delta's dependencies. */
    default void deltaAppended(String uuid, Delta delta) {
    }

    /** Only the dependencies of an existing node changed (a dependency was deleted); its chain stays. */
    default void dependenciesChanged(Node node) {
    }

    /** Every node was dropped. */
    void cleared();

    void stateChanged(SessionState state);

    /** Journals nothing (no store, and the tests of the session model). */
    SessionJournal NONE = new SessionJournal() {
        @Override
        public void put(Node node) {
        }

        @Override
        public void ownerChanged(Node node) {
        }

        @Override
        public void deleted(String uuid) {
        }

        @Override
        public void cleared() {
        }

        @Override
        public void stateChanged(SessionState state) {
        }
    };
}
