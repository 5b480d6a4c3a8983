package io.multiuser.server.engine;

import io.multiuser.server.memory.PayloadSpill;
import io.multiuser.server.protocol.Delta;
import io.multiuser.server.protocol.Node;
import io.multiuser.server.session.SessionJournal;
import io.multiuser.server.session.SessionState;

/**
 * The session's journal as the engine hands it over: every node stored, deleted or cleared is
 * told to the engine's {@link PayloadSpill} on the way to the store's journal.
 */
final class SpillingJournal implements SessionJournal {

    private final SessionJournal store;
    private final PayloadSpill spill;

    SpillingJournal(SessionJournal store, PayloadSpill spill) {
        this.store = store;
        this.spill = spill;
    }

    @Override
    public void put(Node node) {
        spill.offer(node);
        store.put(node);
    }

    @Override
    public void ownerChanged(Node node) {
        store.ownerChanged(node);
    }

    @Override
    public void deleted(String uuid) {
        spill.forget(uuid);
        store.deleted(uuid);
    }

    @Override
    public void deltaAppended(String uuid, Delta delta) {
        store.deltaAppended(uuid, delta);
    }

    @Override
    public void dependenciesChanged(Node node) {
        store.dependenciesChanged(node);
    }

    @Override
    public void cleared() {
        spill.cleared();
        store.cleared();
    }

    @Override
    public void stateChanged(SessionState state) {
        spill.uploading(state == SessionState.SRV_SYNC);
        store.stateChanged(state);
    }
}
