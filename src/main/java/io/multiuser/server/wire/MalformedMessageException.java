package io.multiuser.server.wire;

/** Bad input from the network. The message says what was wrong, never the payload bytes. */
public class MalformedMessageException extends Exception {

    public MalformedMessageException(String reason) {
        super(reason);
    }

    public MalformedMessageException(String reason, Throwable cause) {
        super(reason, cause);
    }
}
