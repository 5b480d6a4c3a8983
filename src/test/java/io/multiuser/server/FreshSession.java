package io.multiuser.server;

/**
 * Quarkus tests share one application, and so one session: a test that needs an empty session
 * (WAITING, no users) restarts the engine, which is also what a dev-mode reload does.
 */
public final class FreshSession {

    private FreshSession() {
    }

    public static void restart(SessionServer server) {
        server.onStop(null);
        server.onStart(null);
    }
}
