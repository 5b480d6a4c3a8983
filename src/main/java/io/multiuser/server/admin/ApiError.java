package io.multiuser.server.admin;

/** The JSON body of every admin API error. */
public record ApiError(int status, String message) {
}
