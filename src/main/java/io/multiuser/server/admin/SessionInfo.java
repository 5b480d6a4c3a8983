package io.multiuser.server.admin;

import java.time.Instant;
import java.util.List;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

import io.multiuser.server.persistence.SessionStore;
import io.multiuser.server.persistence.StoreStats;

/** The session at a glance. */
@Schema(description = "The session at a glance")
public record SessionInfo(
        @Schema(description = "waiting (no scene yet), syncing (an admin uploads one) or active",
                enumeration = {"waiting", "syncing", "active"}) String state,
        int users,
        int nodes,
        @Schema(description = "sum of the nodes' payload sizes") long payloadBytes,
        Instant startedAt,
        long uptimeSeconds,
        String bindAddress,
        Ports ports,
        @Schema(description = "any, or listed: only acceptedVersions may log in", enumeration = {"any",
                "listed"}) String versionPolicy,
        List<String> acceptedVersions,
        @Schema(description = "the session store; null when the session is kept in memory only") Store store) {

    /** Where and how well the session is kept on disk. */
    @Schema(description = "The session store")
    public record Store(
            String directory,
            @Schema(description = "size of the session log on disk") long logBytes,
            @Schema(description = "size of the log once compacted") long liveBytes,
            @Schema(description = "when changes were last made durable") Instant lastFlush,
            @Schema(description = "changes received and not yet on disk") int pendingChanges,
            @Schema(description = "why the last write failed; null when it succeeded") String lastError) {

        static Store of(SessionStore store) {
            StoreStats s = store.stats();
            return new Store(store.directory().toString(), s.fileBytes(), s.liveBytes(),
                    Instant.ofEpochMilli(s.lastFlushEpochMillis()), s.pendingChanges(), s.lastError());
        }
    }

    /** The four consecutive ports clients connect to. */
    public record Ports(int commands, int dataOut, int dataIn, int heartbeat) {

        static Ports from(int base) {
            return new Ports(base, base + 1, base + 2, base + 3);
        }
    }
}
