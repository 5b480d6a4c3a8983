package io.multiuser.server.admin;

import java.util.List;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** What the admin page shows of a session, pushed once a second. */
@Schema(description = "A session, its users and its last events, as pushed to the admin page")
public record LiveView(SessionInfo session, List<UserInfo> users, List<ActivityInfo> activity) {

    /** Events sent with each view. */
    static final int ACTIVITY = 50;
}
