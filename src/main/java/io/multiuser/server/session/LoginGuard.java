package io.multiuser.server.session;

import io.multiuser.server.session.SessionListener.LoginRefusal;

/**
 * What the session asks the server's security before and after a login: bans and throttled
 * addresses are refused before any password is checked, and every outcome is reported, so a run
 * of wrong passwords from one address slows down that address and no other. Refused traffic outside
 * the logins is reported here too, for the audit trail. Called on the engine
 * thread: implementations must be quick and must not block.
 */
public interface LoginGuard {

    LoginGuard OPEN = new LoginGuard() {
    };

    /** Why this login is refused before its passwords are checked (the FAILED text), or null to go on. */
    default Refused refuse(String name, boolean admin, String address) {
        return null;
    }

    /** A login was refused by the session (wrong password, version, ...). */
    default void refused(String name, boolean admin, String address, LoginRefusal reason) {
    }

    /** A login was accepted. */
    default void accepted(String name, boolean admin, String address) {
    }

    /**
     * Traffic refused outside a login, for the audit trail: a connection the address lists refused, or a
     * message that declared another user's identity. The caller throttles; {@code from} is an address.
     */
    default void refusedTraffic(String kind, String from, String detail) {
    }

    /** A refusal the guard decided: its reason for the metrics and its text for the client. */
    record Refused(LoginRefusal reason, String text) {
    }
}
