package io.multiuser.server.tunnel;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** A new tunnel token: who it is for, and optionally how long it lives. */
public record TokenRequest(
        @Schema(description = "who the token is for (the artist's name); shown in lists and logs") String label,
        @Schema(description = "seconds until the token stops working; leave out for no end") Long expiresInSeconds) {
}
