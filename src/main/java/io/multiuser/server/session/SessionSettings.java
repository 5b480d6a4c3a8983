package io.multiuser.server.session;

import java.util.List;

/**
 * What the session model needs from the configuration.
 *
 * @param adminPassword password an ADMIN login must give
 * @param acceptedVersions client VERSION strings accepted; empty accepts any
 * @param heartbeatTimeoutMillis a client silent for longer is dropped
 * @param pingIntervalMillis PING a client after this long without traffic either way
 * @param acceptedDelayMillis delay of the upload ACCEPTED reply (the real client needs one)
 * @param broadcastIntervalMillis clients-state broadcast period (fresh latencies)
 * @param presenceIntervalMillis minimum gap between broadcasts caused by changes
 * @param tombstoneCapacity how many deleted uuids are remembered to drop late datablocks
 * @param snapshotWindowNodes snapshot nodes pushed ahead of a joiner's GETs (0: one per GET, the original way)
 * @param snapshotWindowBytes payload bytes pushed ahead of a joiner's GETs, at most
 */
public record SessionSettings(
        String adminPassword,
        List<String> acceptedVersions,
        long heartbeatTimeoutMillis,
        long pingIntervalMillis,
        long acceptedDelayMillis,
        long broadcastIntervalMillis,
        long presenceIntervalMillis,
        int tombstoneCapacity,
        int snapshotWindowNodes,
        long snapshotWindowBytes) {

    /** The default snapshot window: 128 nodes, 8 MiB (PROTOCOL.md §6a: well below the 1,000-message pipes). */
    public static final int DEFAULT_WINDOW_NODES = 128;
    public static final long DEFAULT_WINDOW_BYTES = 8L << 20;

    public SessionSettings {
        acceptedVersions = List.copyOf(acceptedVersions);
    }

    public SessionSettings(String adminPassword, List<String> acceptedVersions, long heartbeatTimeoutMillis,
            long pingIntervalMillis, long acceptedDelayMillis, long broadcastIntervalMillis,
            long presenceIntervalMillis, int tombstoneCapacity) {
        this(adminPassword, acceptedVersions, heartbeatTimeoutMillis, pingIntervalMillis, acceptedDelayMillis,
                broadcastIntervalMillis, presenceIntervalMillis, tombstoneCapacity, DEFAULT_WINDOW_NODES,
                DEFAULT_WINDOW_BYTES);
    }

    public SessionSettings withSnapshotWindow(int nodes, long bytes) {
        return new SessionSettings(adminPassword, acceptedVersions, heartbeatTimeoutMillis, pingIntervalMillis,
                acceptedDelayMillis, broadcastIntervalMillis, presenceIntervalMillis, tombstoneCapacity, nodes, bytes);
    }

    /** Defaults of the original server, with the given password, policy and timeout. */
    public static SessionSettings of(String adminPassword, List<String> acceptedVersions, long timeoutMillis) {
        return new SessionSettings(adminPassword, acceptedVersions, timeoutMillis, 1000, 20, 1000, 100, 1_000_000);
    }
}
