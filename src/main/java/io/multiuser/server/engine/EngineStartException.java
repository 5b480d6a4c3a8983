package io.multiuser.server.engine;

/** The engine could not start (a port in use, a bad bind address). The message names the setting. */
public class EngineStartException extends RuntimeException {

    public EngineStartException(String message, Throwable cause) {
        super(message, cause);
    }
}
