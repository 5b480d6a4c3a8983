package io.multiuser.server.admin;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** A ban to add: a user name, an address range, or both. */
@Schema(description = "A ban to add: a user name, an address (CIDR range or single address), or both")
public record BanRequest(
        @Schema(description = "user name, exactly as the add-on sends it") String user,
        @Schema(description = "CIDR range (203.0.113.0/24, 2001:db8::/32) or single address") String address,
        @Schema(description = "shown to the banned client and kept in the audit trail") String reason,
        @Schema(description = "how long it lasts; left out: until lifted") Long minutes) {
}
