package io.multiuser.server;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;

import io.multiuser.server.persistence.SessionStore;

/**
 * Quarkus tests share one application, and so one session: a test that needs an empty session
 * (WAITING, no users) restarts the engine, which is also what a dev-mode reload does, with the
 * store's saved scene deleted in between (else the restart would restore it).
 */
public final class FreshSession {

    private FreshSession() {
    }

    public static void restart(SessionServer server) {
        SessionStore store = server.store();
        server.onStop(null);
        if (store != null) {
            try {
                Files.deleteIfExists(store.directory().resolve(SessionStore.LOG_FILE));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        server.onStart(null);
    }

    /** Stops and starts the engine and the store, as a dev-mode reload: the store restores the scene. */
    public static void restartKeepingScene(SessionServer server) {
        server.onStop(null);
        server.onStart(null);
    }
}
