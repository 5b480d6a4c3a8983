package io.multiuser.server.security;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;

/**
 * Slows down password guessing, per address: {@code freeFailures} wrong passwords a minute go
 * unnoticed (people mistype); from the last of them on, each one blocks that address for twice as
 * long as the one before, from {@code firstBlockMillis} up to {@code maxBlockMillis}, so the next attempt is
 * refused unread. A correct login resets the address.
 * Only the guessing address is blocked: every other address logs in as usual. Thread-safe
 * (protocol logins come from every session's engine thread, REST calls from HTTP threads).
 */
public final class LoginThrottle {

    static final long WINDOW_MILLIS = 60_000;
    /** Addresses remembered at most; beyond, the quietest are forgotten (a flood of addresses must not fill the heap). */
    static final int MAX_ADDRESSES = 100_000;

    private final int freeFailures;
    private final long firstBlockMillis;
    private final long maxBlockMillis;
    private final Map<String, Tracker> addresses = new HashMap<>();

    public LoginThrottle(int freeFailures, long firstBlockMillis, long maxBlockMillis) {
        this.freeFailures = freeFailures;
        this.firstBlockMillis = Math.min(firstBlockMillis, maxBlockMillis);
        this.maxBlockMillis = maxBlockMillis;
    }

    /** Milliseconds the address must still wait before its next password is even looked at; 0 if none. */
    public synchronized long blockedFor(String address, long nowMillis) {
        Tracker t = addresses.get(address);
        return t == null ? 0 : Math.max(0, t.blockedUntil - nowMillis);
    }

    /** {@link #blockedFor} in whole seconds, rounded up: what refusals and {@code Retry-After} tell the client. */
    public long blockedSeconds(String address, long nowMillis) {
        return (blockedFor(address, nowMillis) + 999) / 1000;
    }

    /** A wrong password from {@code address}; returns how long it is now blocked (0: not yet). */
    public synchronized long failed(String address, long nowMillis) {
        Tracker t = addresses.get(address);
        if (t == null) {
            if (addresses.size() >= MAX_ADDRESSES) {
                prune(nowMillis);
            }
            t = new Tracker();
            addresses.put(address, t);
        }
        t.failures.addLast(nowMillis);
        while (!t.failures.isEmpty() && t.failures.peekFirst() <= nowMillis - WINDOW_MILLIS) {
            t.failures.removeFirst();
        }
        if (t.failures.size() >= freeFailures) { // the next attempt in the window would be one too many
            t.strikes++;
            long block = Math.min(maxBlockMillis, firstBlockMillis << Math.min(30, t.strikes - 1));
            t.blockedUntil = nowMillis + block;
            return block;
        }
        return 0;
    }

    /** A correct password: the address starts afresh. */
    public synchronized void succeeded(String address) {
        addresses.remove(address);
    }

    /** Addresses being tracked (for tests and metrics). */
    public synchronized int tracked() {
        return addresses.size();
    }

    private void prune(long nowMillis) {
        for (Iterator<Tracker> it = addresses.values().iterator(); it.hasNext();) {
            Tracker t = it.next();
            if (t.blockedUntil <= nowMillis && (t.failures.isEmpty() || t.failures.peekLast() <= nowMillis - WINDOW_MILLIS)) {
                it.remove();
            }
        }
        if (addresses.size() >= MAX_ADDRESSES) {
            addresses.clear(); // under a flood of addresses, forgetting is the bounded choice
        }
    }

    private static final class Tracker {
        final Deque<Long> failures = new ArrayDeque<>();
        int strikes;
        long blockedUntil;
    }
}
