package io.multiuser.server.logging;

import java.util.HashMap;
import java.util.Map;

import org.jboss.logging.Logger;

/**
 * Warnings about bad input, at most {@code limit} lines per category per window, then one
 * summary line: a client spraying garbage must not drown the log (or the disk) of the admin.
 * Not thread-safe: each owner thread keeps its own.
 */
public final class ThrottledLog {

    private final Logger log;
    private final int limit;
    private final long windowMillis;
    private final Map<String, Window> windows = new HashMap<>();

    public ThrottledLog(Logger log, int limit, long windowMillis) {
        this.log = log;
        this.limit = limit;
        this.windowMillis = windowMillis;
    }

    /** Logs {@code message} at WARN unless this category already used its lines in this window; true if logged. */
    public boolean warn(String category, String message) {
        long now = System.currentTimeMillis();
        Window w = windows.computeIfAbsent(category, c -> new Window(now));
        if (now - w.start >= windowMillis) {
            if (w.suppressed > 0) {
                log.warnf("%d more '%s' warnings suppressed in the last %d s", w.suppressed, category,
                        (now - w.start) / 1000);
            }
            w.start = now;
            w.count = 0;
            w.suppressed = 0;
        }
        if (++w.count <= limit) {
            log.warn(message);
            return true;
        }
        w.suppressed++;
        return false;
    }

    private static final class Window {
        long start;
        int count;
        long suppressed;

        Window(long start) {
            this.start = start;
        }
    }
}
