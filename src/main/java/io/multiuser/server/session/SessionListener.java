package io.multiuser.server.session;

/**
 * What happens in a session, for metrics. Called on the engine thread, so implementations
 * must be cheap and must not block; every method has a no-op default.
 */
public interface SessionListener {

    SessionListener NONE = new SessionListener() {
    };

    /** Why a login was refused. */
    enum LoginRefusal { DUPLICATE, WRONG_PASSWORD, WRONG_SESSION_PASSWORD, VERSION, RESERVED_NAME, SESSION_FULL, BANNED,
        THROTTLED }

    /** Why a user left. */
    enum Departure { KICKED, HEARTBEAT_TIMEOUT, CONNECTION_LOST, TOO_SLOW, SCENE_REPLACED }

    /** Why a message was dropped instead of applied or delivered. */
    enum Drop { MALFORMED, UNAUTHENTICATED, NO_RIGHTS, BAD_STATE, UNKNOWN_TARGET, DELETED_NODE, UNDELIVERABLE, SCENE_LIMIT,
        IDENTITY_MISMATCH }

    /** A snapshot moved: an admin's upload, or a joiner's download. */
    enum SnapshotDirection { UPLOAD, DOWNLOAD }

    default void loginAccepted(boolean admin) {
    }

    default void loginRefused(LoginRefusal reason) {
    }

    default void userLeft(Departure reason) {
    }

    default void pingSent() {
    }

    default void pongReceived(int roundTripMillis) {
    }

    /** A command decoded on P; {@code type} is one of the protocol's type names. */
    default void commandReceived(String type) {
    }

    default void datablockReceived(int payloadBytes) {
    }

    /** A live update sent to {@code receivers} clients. */
    default void datablockForwarded(int receivers, int payloadBytes) {
    }

    default void snapshotCompleted(SnapshotDirection direction, int nodes, long bytes, long millis) {
    }

    /** One catalog node (its payload bytes) went to a joiner, before its download completes. */
    default void snapshotNodeSent(int payloadBytes) {
    }

    default void dropped(Drop reason, int messages) {
    }

    /** A new connection was refused at the ZeroMQ handshake: its address is not allowed on the session's ports. */
    default void connectionRefused() {
    }

    /**
     * The engine thread did not run for this long, more than its clock counts of one step: a paused
     * machine or JVM, a thread blocked in the kernel, or one task that ran that long.
     */
    default void engineStoodStill(long millis) {
    }
}
