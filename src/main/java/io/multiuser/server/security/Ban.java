package io.multiuser.server.security;

import java.time.Instant;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

/**
 * A ban: a user name, an address range, or both (both must match then), with a reason and an
 * optional expiry. It applies to every session of the server.
 */
@Schema(description = "A ban of a user name and/or an address range, on every session")
public record Ban(
        @Schema(description = "short id, for unban") String id,
        @Schema(description = "user name; null bans the address range for every name") String user,
        @Schema(description = "CIDR range or single address; null bans the name from every address") String address,
        String reason,
        Instant createdAt,
        @Schema(description = "when it lapses; null: never") Instant expiresAt,
        @Schema(description = "who banned") String by) {

    boolean expired(Instant now) {
        return expiresAt != null && !now.isBefore(expiresAt);
    }

    /** What a banned client is told (the add-on shows it after FAILED:). */
    String refusalText() {
        return "banned from this server" + (reason == null || reason.isBlank() ? "" : ": " + reason)
                + (expiresAt == null ? "" : " (until " + expiresAt + ")");
    }
}
