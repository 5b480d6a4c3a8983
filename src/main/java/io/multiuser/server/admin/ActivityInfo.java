package io.multiuser.server.admin;

import java.time.Instant;
import java.util.Locale;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

import io.multiuser.server.session.Activity;

/** One event of a session, as the admin API shows it. */
@Schema(description = "Something that happened in a session")
public record ActivityInfo(
        Instant at,
        @Schema(enumeration = {"join", "leave", "kick", "timeout", "refused", "upload", "admin"}) String kind,
        @Schema(description = "the user it is about; empty for admin actions") String user,
        String detail) {

    static ActivityInfo of(Activity.Event e) {
        return new ActivityInfo(e.at(), e.kind().name().toLowerCase(Locale.ROOT), e.user(), e.detail());
    }
}
