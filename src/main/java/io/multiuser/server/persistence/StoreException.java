package io.multiuser.server.persistence;

/** The store cannot open its data directory; the message says what to do about it. */
public final class StoreException extends RuntimeException {

    public StoreException(String message) {
        super(message);
    }

    public StoreException(String message, Throwable cause) {
        super(message, cause);
    }
}
