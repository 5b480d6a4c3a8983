package io.multiuser.server.session;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;

import io.multiuser.server.protocol.ClientId;

/**
 * Port P+3 bookkeeping, driven by a millisecond clock: who was heard from when, who is due a
 * PING, who has been silent too long, and the last PING-to-answer round trip.
 */
final class Heartbeats {

    private final long pingIntervalMillis;
    private final long timeoutMillis;
    private final Map<ClientId, Peer> peers = new HashMap<>();

    Heartbeats(long pingIntervalMillis, long timeoutMillis) {
        this.pingIntervalMillis = pingIntervalMillis;
        this.timeoutMillis = timeoutMillis;
    }

    /** Starts watching an identity (heartbeat INIT, or a login before any heartbeat). */
    void watch(ClientId id, long now) {
        peers.computeIfAbsent(id, k -> new Peer()).lastReceived = now;
    }

    boolean isWatched(ClientId id) {
        return peers.containsKey(id);
    }

    /** Any frame from a watched identity; returns the round trip if it answers our PING. */
    OptionalInt received(ClientId id, long now) {
        Peer peer = peers.get(id);
        if (peer == null) {
            return OptionalInt.empty();
        }
        peer.lastReceived = now;
        if (peer.pingSentAt >= 0) {
            int rtt = (int) Math.min(Integer.MAX_VALUE, now - peer.pingSentAt);
            peer.pingSentAt = -1;
            return OptionalInt.of(rtt);
        }
        return OptionalInt.empty();
    }

    /** Marks a PING as sent now. */
    void pinged(ClientId id, long now) {
        Peer peer = peers.get(id);
        if (peer != null) {
            peer.lastSent = now;
            if (peer.pingSentAt < 0) {
                peer.pingSentAt = now;
            }
        }
    }

    /** Identities with no traffic either way for a ping interval. */
    List<ClientId> duePings(long now) {
        List<ClientId> due = new ArrayList<>();
        for (Map.Entry<ClientId, Peer> e : peers.entrySet()) {
            Peer p = e.getValue();
            if (now - p.lastReceived >= pingIntervalMillis && now - p.lastSent >= pingIntervalMillis) {
                due.add(e.getKey());
            }
        }
        return due;
    }

    /** Removes and returns the identities silent for longer than the timeout. */
    List<ClientId> expire(long now) {
        List<ClientId> expired = new ArrayList<>();
        for (Iterator<Map.Entry<ClientId, Peer>> it = peers.entrySet().iterator(); it.hasNext();) {
            Map.Entry<ClientId, Peer> e = it.next();
            if (now - e.getValue().lastReceived > timeoutMillis) {
                expired.add(e.getKey());
                it.remove();
            }
        }
        return expired;
    }


    void forget(ClientId id) {
        peers.remove(id);
    }

    private static final class Peer {
        long lastReceived;
        long lastSent = Long.MIN_VALUE / 2;
        long pingSentAt = -1;
    }
}
