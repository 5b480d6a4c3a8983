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
 */
public record SessionSettings(
        String adminPassword,
        List<String> acceptedVersions,
        long heartbeatTimeoutMillis,
        long pingIntervalMillis,
        long acceptedDelayMillis,
        long broadcastIntervalMillis,
        long presenceIntervalMillis,
        int tombstoneCapacity) {

    public SessionSettings {
        acceptedVersions = List.copyOf(acceptedVersions);
    }

    /** Defaults of the original server, with the given password, policy and timeout. */
    public static SessionSettings of(String adminPassword, List<String> acceptedVersions, long timeoutMillis) {
        return new SessionSettings(adminPassword, acceptedVersions, timeoutMillis, 1000, 20, 1000, 100, 1_000_000);
    }
}
