package io.multiuser.server.admin;

import java.time.Instant;
import java.util.List;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

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
        List<String> acceptedVersions) {

    /** The four consecutive ports clients connect to. */
    public record Ports(int commands, int dataOut, int dataIn, int heartbeat) {

        static Ports from(int base) {
            return new Ports(base, base + 1, base + 2, base + 3);
        }
    }
}
