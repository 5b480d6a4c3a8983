package io.multiuser.server.session;

import java.util.List;

import io.multiuser.server.protocol.Generation;

/**
 * What the session model needs from the configuration. Build one with {@link #builder()}.
 *
 * @param generation the protocol the session speaks
 * @param adminPassword password an ADMIN login must give
 * @param sessionPassword password every three-port login must give; empty for a public session
 * @param acceptedVersions client VERSION strings accepted; empty accepts any
 * @param heartbeatTimeoutMillis a client silent for longer is dropped
 * @param pingIntervalMillis PING a client after this long without traffic either way
 * @param acceptedDelayMillis delay of the upload ACCEPTED reply (the four-port client needs one)
 * @param broadcastIntervalMillis clients-state broadcast period (fresh latencies)
 * @param presenceIntervalMillis minimum gap between broadcasts caused by changes
 * @param tombstoneCapacity how many deleted uuids are remembered to drop late datablocks
 * @param snapshotWindowNodes snapshot nodes pushed ahead of a joiner's GETs (0: one per GET, the original way)
 * @param snapshotWindowBytes payload bytes pushed ahead of a joiner's GETs, at most
 * @param chainWarningBytes a node whose delta chain grows past this many bytes is logged (three-port)
 * @param maxUsers logins beyond this many users are refused; 0 for no limit
 * @param maxSceneBytes changes that would grow the scene (payloads and delta chains) past this are refused; 0 for no limit
 */
public record SessionSettings(
        Generation generation,
        String adminPassword,
        String sessionPassword,
        List<String> acceptedVersions,
        long heartbeatTimeoutMillis,
        long pingIntervalMillis,
        long acceptedDelayMillis,
        long broadcastIntervalMillis,
        long presenceIntervalMillis,
        int tombstoneCapacity,
        int snapshotWindowNodes,
        long snapshotWindowBytes,
        long chainWarningBytes,
        int maxUsers,
        long maxSceneBytes) {

    /** The default snapshot window: 128 nodes, 8 MiB (PROTOCOL.md §6a: well below the 1,000-message pipes). */
    public static final int DEFAULT_WINDOW_NODES = 128;
    public static final long DEFAULT_WINDOW_BYTES = 8L << 20;

    public SessionSettings {
        acceptedVersions = List.copyOf(acceptedVersions);
    }

    public SessionSettings withSnapshotWindow(int nodes, long bytes) {
        return toBuilder().snapshotWindow(nodes, bytes).build();
    }

    /** Defaults of the original server, with the given password, policy and timeout. */
    public static SessionSettings of(String adminPassword, List<String> acceptedVersions, long timeoutMillis) {
        return builder().adminPassword(adminPassword).acceptedVersions(acceptedVersions)
                .heartbeatTimeoutMillis(timeoutMillis).build();
    }

    /** A private three-port session has a session password. */
    public boolean privateSession() {
        return !sessionPassword.isEmpty();
    }

    public static Builder builder() {
        return new Builder();
    }

    public Builder toBuilder() {
        return new Builder().generation(generation).adminPassword(adminPassword).sessionPassword(sessionPassword)
                .acceptedVersions(acceptedVersions).heartbeatTimeoutMillis(heartbeatTimeoutMillis)
                .pingIntervalMillis(pingIntervalMillis).acceptedDelayMillis(acceptedDelayMillis)
                .broadcastIntervalMillis(broadcastIntervalMillis).presenceIntervalMillis(presenceIntervalMillis)
                .tombstoneCapacity(tombstoneCapacity).snapshotWindow(snapshotWindowNodes, snapshotWindowBytes)
                .chainWarningBytes(chainWarningBytes).maxUsers(maxUsers).maxSceneBytes(maxSceneBytes);
    }

    /**
     * The original server's defaults; every setting has one, so tests name only what they change.
     * Accepted versions default to the generation's known ones; an empty list accepts any.
     */
    public static final class Builder {
        private Generation generation = Generation.V01;
        private String adminPassword = "admin";
        private String sessionPassword = "";
        /** Null until set: the generation's known versions, as the original server checks its own. */
        private List<String> acceptedVersions;
        private long heartbeatTimeoutMillis = 5000;
        private long pingIntervalMillis = 1000;
        private long acceptedDelayMillis = 20;
        private long broadcastIntervalMillis = 1000;
        private long presenceIntervalMillis = 100;
        private int tombstoneCapacity = 1_000_000;
        private int snapshotWindowNodes = DEFAULT_WINDOW_NODES;
        private long snapshotWindowBytes = DEFAULT_WINDOW_BYTES;
        private long chainWarningBytes = 64L << 20;
        private int maxUsers;
        private long maxSceneBytes;

        public Builder generation(Generation v) {
            generation = v;
            return this;
        }

        public Builder adminPassword(String v) {
            adminPassword = v;
            return this;
        }

        public Builder sessionPassword(String v) {
            sessionPassword = v == null ? "" : v;
            return this;
        }

        public Builder acceptedVersions(List<String> v) {
            acceptedVersions = v;
            return this;
        }

        public Builder heartbeatTimeoutMillis(long v) {
            heartbeatTimeoutMillis = v;
            return this;
        }

        public Builder pingIntervalMillis(long v) {
            pingIntervalMillis = v;
            return this;
        }

        public Builder acceptedDelayMillis(long v) {
            acceptedDelayMillis = v;
            return this;
        }

        public Builder broadcastIntervalMillis(long v) {
            broadcastIntervalMillis = v;
            return this;
        }

        public Builder presenceIntervalMillis(long v) {
            presenceIntervalMillis = v;
            return this;
        }

        public Builder tombstoneCapacity(int v) {
            tombstoneCapacity = v;
            return this;
        }

        public Builder snapshotWindow(int nodes, long bytes) {
            snapshotWindowNodes = nodes;
            snapshotWindowBytes = bytes;
            return this;
        }

        public Builder chainWarningBytes(long v) {
            chainWarningBytes = v;
            return this;
        }

        public Builder maxUsers(int v) {
            maxUsers = v;
            return this;
        }

        public Builder maxSceneBytes(long v) {
            maxSceneBytes = v;
            return this;
        }

        public SessionSettings build() {
            return new SessionSettings(generation, adminPassword, sessionPassword,
                    acceptedVersions == null ? generation.knownVersions() : acceptedVersions,
                    heartbeatTimeoutMillis, pingIntervalMillis, acceptedDelayMillis, broadcastIntervalMillis,
                    presenceIntervalMillis, tombstoneCapacity, snapshotWindowNodes, snapshotWindowBytes,
                    chainWarningBytes, maxUsers, maxSceneBytes);
        }
    }
}
