package io.multiuser.server.logging;

import org.jboss.logging.MDC;
import org.jboss.logging.NDC;

/**
 * Names the session every log line of a thread speaks of: MDC {@code session} for JSON logs and
 * log shippers, and a {@code [name] } prefix (NDC, {@code %x} in the console format) for people.
 * A session's threads (engine, store writer) are started inside {@link #enter} and carry the name
 * over with {@link #carry}, so no log call needs to pass it.
 */
public final class SessionLogContext {

    public static final String KEY = "session";

    private SessionLogContext() {
    }

    /** What {@link #enter} returns: closing it restores the thread's previous context. */
    public interface Scope extends AutoCloseable {
        @Override
        void close();
    }

    /** Until the scope is closed, this thread's log lines name {@code session}. */
    public static Scope enter(String session) {
        Object previous = MDC.get(KEY);
        MDC.put(KEY, session);
        int depth = NDC.getDepth();
        NDC.push("[" + session + "] ");
        return () -> {
            NDC.setMaxDepth(depth);
            if (previous == null) {
                MDC.remove(KEY);
            } else {
                MDC.put(KEY, previous);
            }
        };
    }

    /** The session this thread's log lines name, or null. */
    public static String current() {
        Object session = MDC.get(KEY);
        return session == null ? null : session.toString();
    }

    /** {@code task}, run in the session of the calling thread (for a thread it starts). */
    public static Runnable carry(Runnable task) {
        String session = current();
        if (session == null) {
            return task;
        }
        return () -> {
            try (Scope scope = enter(session)) {
                task.run();
            }
        };
    }

    /** A thread name with the caller's session appended: {@code zmq-engine-shot-1}. */
    public static String threadName(String base) {
        String session = current();
        return session == null ? base : base + "-" + session;
    }
}
