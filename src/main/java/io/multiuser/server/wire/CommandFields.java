package io.multiuser.server.wire;

import java.util.LinkedHashMap;
import java.util.Map;

import io.multiuser.server.protocol.ClientCommand;
import io.multiuser.server.protocol.UserView;

/**
 * Command fields both protocol generations carry the same way: the login's type and user name,
 * a presence update, and the user table the server broadcasts. Each codec names the command in its messages with {@code prefix}.
 */
public final class CommandFields {

    /** Where a user's metadata sits in the clients-state broadcast: {@code {name: {'metadata': here}}}. */
    static final int BROADCAST_METADATA_LEVEL = 2;

    private CommandFields() {
    }

    /** Whether the login's {@code AUTH_TYPE} is ADMIN (else CLIENT; anything else is refused). */
    public static boolean admin(Map<Object, Object> auth, String prefix) throws MalformedMessageException {
        String type = PyValues.str(auth.get("AUTH_TYPE"), prefix + "'AUTH_TYPE'");
        if (!type.equals("ADMIN") && !type.equals("CLIENT")) {
            throw new MalformedMessageException(prefix + "'AUTH_TYPE' must be ADMIN or CLIENT, got '"
                    + CommandCodec.printable(type) + "'");
        }
        return type.equals("ADMIN");
    }

    /** The login's non-blank {@code AUTH_ID}. */
    public static String userName(Map<Object, Object> auth, String prefix) throws MalformedMessageException {
        String name = PyValues.str(auth.get("AUTH_ID"), prefix + "'AUTH_ID'");
        if (name.isBlank()) {
            throw new MalformedMessageException(prefix + "'AUTH_ID' is empty");
        }
        return name;
    }

    /** A presence update: str keys; values stay as decoded (tuple, set, None, nested), to be written back as such. */
    public static ClientCommand.UpdateUserMetadata metadata(Object value, String what) throws MalformedMessageException {
        Map<Object, Object> data = PyValues.dict(value, what);
        if (PyValues.nestingDepth(data) + BROADCAST_METADATA_LEVEL > PyValues.MAX_DEPTH) {
            // Accepted here, it would reach the others nested deeper than any reader of ours allows.
            throw new MalformedMessageException(what + ": nested deeper than "
                    + (PyValues.MAX_DEPTH - BROADCAST_METADATA_LEVEL) + " levels, too deep to broadcast");
        }
        Map<String, Object> metadata = new LinkedHashMap<>();
        for (Map.Entry<Object, Object> e : data.entrySet()) {
            metadata.put(PyValues.str(e.getKey(), what + " key"), e.getValue());
        }
        return new ClientCommand.UpdateUserMetadata(metadata);
    }

    /** The user table of a clients-state broadcast: the five keys the add-on reads, per user name, in login order. */
    public static Map<String, Object> clientsState(Map<String, UserView> users) {
        Map<String, Object> out = new LinkedHashMap<>();
        for (UserView user : users.values()) {
            out.put(user.name(), dict("id", user.name(), "admin", user.admin(), "latency", user.latencyMs(),
                    "status", user.status(), "metadata", user.metadata()));
        }
        return out;
    }

    /** A str-keyed dict in the order given: {@code dict("STATE", "INIT", "CATALOG", uuids)}. */
    public static Map<String, Object> dict(Object... keyValues) {
        Map<String, Object> out = new LinkedHashMap<>();
        for (int i = 0; i < keyValues.length; i += 2) {
            out.put((String) keyValues[i], keyValues[i + 1]);
        }
        return out;
    }
}
