package io.multiuser.server.session;

import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

import io.multiuser.server.protocol.ClientId;
import io.multiuser.server.protocol.UserView;

/** A logged-in user. Mutable, confined to the engine thread. */
public final class User {

    /** Where the user is in the session; SYNCING still shows as lobby on the wire. */
    public enum Status {
        LOBBY, SYNCING, ACTIVE
    }

    private final ClientId id;
    private final String name;
    private final boolean admin;
    private final String address;
    private final Instant connectedSince;
    private final Map<String, Object> metadata = new LinkedHashMap<>();
    private Status status = Status.LOBBY;
    private int latencyMillis = 999;
    /** Non-null while the user downloads the snapshot (catalog sent, DONE not yet received). */
    private Join join;

    User(ClientId id, String name, boolean admin, String address, Instant connectedSince) {
        this.id = id;
        this.name = name;
        this.admin = admin;
        this.address = address;
        this.connectedSince = connectedSince;
    }

    public ClientId id() {
        return id;
    }

    public String name() {
        return name;
    }

    public boolean admin() {
        return admin;
    }

    public String address() {
        return address;
    }

    public Instant connectedSince() {
        return connectedSince;
    }

    public Status status() {
        return status;
    }

    void status(Status status) {
        this.status = status;
    }

    /** The user's snapshot download, or null when none is in progress. */
    Join join() {
        return join;
    }

    /** The catalog went out: the user syncs until its DONE. */
    void beginJoin(Join started) {
        this.join = started;
        this.status = Status.SYNCING;
    }

    /** The user's DONE: it is active; returns the join that ends, null if it never had one. */
    Join endJoin() {
        Join ended = join;
        join = null;
        status = Status.ACTIVE;
        return ended;
    }

    public int latencyMillis() {
        return latencyMillis;
    }

    void latencyMillis(int latencyMillis) {
        this.latencyMillis = latencyMillis;
    }

    public Map<String, Object> metadata() {
        return Collections.unmodifiableMap(metadata);
    }

    /**
     * Merges {@code update} (Python's dict.update) unless the result would have more than
     * {@code maxKeys} keys: the add-on sends about eight, and the whole dict goes to everyone with
     * every clients-state broadcast. Returns whether it was merged.
     */
    boolean mergeMetadata(Map<String, Object> update, int maxKeys) {
        long added = update.keySet().stream().filter(k -> !metadata.containsKey(k)).count();
        if (metadata.size() + added > maxKeys) {
            return false;
        }
        metadata.putAll(update);
        return true;
    }

    UserView view() {
        int wireStatus = status == Status.ACTIVE ? UserView.STATUS_ACTIVE : UserView.STATUS_LOBBY;
        return new UserView(name, admin, latencyMillis, wireStatus, new LinkedHashMap<>(metadata));
    }

    @Override
    public String toString() {
        return "'" + name + "'" + (admin ? " (admin)" : "");
    }
}
