package io.multiuser.server.session;

import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * The last things that happened in a session, for the admin page: joins, leaves with their
 * reason, kicks, timeouts, refused logins, uploads and admin actions. A bounded ring, written on
 * the engine thread and copied out through it; never a password or a payload byte.
 */
public final class Activity {

    /** What happened. */
    public enum Kind { JOIN, LEAVE, KICK, TIMEOUT, REFUSED, UPLOAD, ADMIN }

    /** One event: when, what, who (may be empty) and a sentence for people. */
    public record Event(Instant at, Kind kind, String user, String detail) {
    }

    static final int CAPACITY = 200;

    private final ArrayDeque<Event> events = new ArrayDeque<>(CAPACITY);

    void add(Kind kind, String user, String detail) {
        if (events.size() == CAPACITY) {
            events.removeFirst();
        }
        events.addLast(new Event(Instant.now(), kind, user == null ? "" : user, detail));
    }

    /** The events, newest first. */
    List<Event> newestFirst() {
        List<Event> out = new ArrayList<>(events.size());
        events.descendingIterator().forEachRemaining(out::add);
        return out;
    }
}
