package io.multiuser.server.admin;

/** The JSON body of an admin action that has nothing else to return. */
public record ApiMessage(String message) {
}
