package io.multiuser.server.admin;

import java.time.Instant;
import java.util.Locale;
import java.util.Map;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

import io.multiuser.server.session.User;

/** A logged-in user as the admin API shows it. */
@Schema(description = "A logged-in user")
public record UserInfo(
        String name,
        boolean admin,
        @Schema(description = "lobby, syncing (downloading the scene) or active", enumeration = {"lobby", "syncing",
                "active"}) String status,
        @Schema(description = "last heartbeat round trip in ms; 999 until the first one") int latencyMs,
        @Schema(description = "the client's IP address and port") String address,
        Instant connectedSince,
        @Schema(description = "what the add-on sent with RepUpdateUserMetadata; tuples as arrays, bytes as base64")
        Map<String, Object> metadata) {

    /** Call on the engine thread: it copies the user's mutable metadata. */
    static UserInfo of(User user) {
        return new UserInfo(user.name(), user.admin(), user.status().name().toLowerCase(Locale.ROOT),
                user.latencyMillis(), user.address(), user.connectedSince(), JsonSafe.map(user.metadata()));
    }
}
