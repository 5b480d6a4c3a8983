package io.multiuser.server.hosting;

/** A session that cannot start, with one line saying what to change (a port in use, a data directory). */
public final class SessionStartException extends RuntimeException {

    public SessionStartException(String message) {
        super(message, null, false, false);
    }
}
