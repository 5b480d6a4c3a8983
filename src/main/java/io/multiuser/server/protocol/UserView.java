package io.multiuser.server.protocol;

import java.util.Map;

/** One entry of RepUpdateClientsState, as the client reads it. */
public record UserView(String name, boolean admin, int latencyMs, int status, Map<String, Object> metadata) {

    /** Wire status of a user in the lobby or still downloading the snapshot. */
    public static final int STATUS_LOBBY = 10;
    /** Wire status of a user with the whole scene. */
    public static final int STATUS_ACTIVE = 2;
}
