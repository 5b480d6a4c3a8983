package io.multiuser.server.hosting;

import io.multiuser.server.persistence.StoreListener;
import io.multiuser.server.session.SessionListener;

/**
 * How observability learns about hosted sessions, without the hosting layer knowing it: the
 * listeners of one session (its metrics carry its name) and its coming and going.
 */
public interface SessionObserver {

    SessionObserver NONE = new SessionObserver() {
    };

    /** The listener of the named session's events; the same one each time for one name. */
    default SessionListener sessionListener(String session) {
        return SessionListener.NONE;
    }

    /** The listener of the named session's store. */
    default StoreListener storeListener(String session) {
        return StoreListener.NONE;
    }

    /** A session is hosted (running or failed): its gauges can be read from now on. */
    default void added(HostedSession session) {
    }

    /** A session was deleted: every series of it goes. */
    default void removed(String session) {
    }
}
