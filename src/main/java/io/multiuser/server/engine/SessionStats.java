package io.multiuser.server.engine;

import io.multiuser.server.session.SessionState;

/**
 * A snapshot of the session's size, published by the engine thread a few times a second so
 * that gauges and health checks on other threads never touch the session itself.
 */
public record SessionStats(SessionState state, int lobby, int syncing, int active, int nodes, long payloadBytes,
        long backlogMessages, int chainEntries, long chainBytes, int downloads, long downloadBytesLeft,
        long spillFileBytes) {

    public static final SessionStats EMPTY = new SessionStats(SessionState.WAITING, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);

    public int users() {
        return lobby + syncing + active;
    }
}
