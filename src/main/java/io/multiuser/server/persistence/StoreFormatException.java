package io.multiuser.server.persistence;

import java.io.IOException;

/** A file that is not a session log this server can read: another format, another version, a damaged import. */
public final class StoreFormatException extends IOException {

    public StoreFormatException(String message) {
        super(message);
    }
}
