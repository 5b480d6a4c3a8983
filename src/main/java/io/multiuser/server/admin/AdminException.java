package io.multiuser.server.admin;

/**
 * An admin request that cannot be served, with the HTTP status it maps to and a message meant
 * for the admin (shown as is by the console and in the API's JSON error body).
 */
public final class AdminException extends RuntimeException {

    private final int status;

    private AdminException(int status, String message) {
        super(message, null, false, false); // an expected outcome: no stack trace to fill
        this.status = status;
    }

    public static AdminException badRequest(String message) {
        return new AdminException(400, message);
    }

    public static AdminException notFound(String message) {
        return new AdminException(404, message);
    }

    public static AdminException conflict(String message) {
        return new AdminException(409, message);
    }

    public static AdminException unavailable(String message) {
        return new AdminException(503, message);
    }

    public int status() {
        return status;
    }
}
