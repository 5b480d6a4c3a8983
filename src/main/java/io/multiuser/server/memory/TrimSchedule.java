package io.multiuser.server.memory;

import java.util.function.LongSupplier;

/**
 * Decides, one tick a second, when the server has been quiet long enough to give memory back. Pure
 * logic, fed each tick with the CPU the application's threads used and two sizes: resident memory, and
 * what malloc holds free. The sizes are asked for only when a rule needs them: for the second, malloc
 * walks its free lists under their locks.
 *
 * <p>Why only when quiet: memory handed back is faulted in again, page by page and zeroed by the
 * kernel, as soon as work resumes. Under load that cost a third of the server's CPU (ADR 0003), so
 * nothing is given back while the server works, and once per quiet spell after it. Without work,
 * what can be given back should stay where a trim left it; when it grows anyway (the JIT compilers
 * hand their arenas back to malloc seconds after the start's last compilation), it goes back again.
 */
final class TrimSchedule {

    /**
     * A tick with less application CPU than this (5 % of a core) is quiet. An idle server's own polling
     * costs 3-13 ms a second; one artist's occasional edits stay below it, a burst of edits does not.
     */
    static final long QUIET_NANOS_PER_TICK = 50_000_000L;

    /**
     * The start's leftovers go back at a quiet tick among the first few. A server that works from its
     * start (clients waiting for it) has none: its leftovers wait for the quiet spell after work like
     * any other memory, instead of being handed back in its first pause and faulted in again.
     */
    static final int START_UP_TICKS = 3;

    /** Quiet ticks before growth without work is trimmed: a light edit now and then is not a spell. */
    static final int GROWTH_QUIET_TICKS = 3;

    /** Growth of either size, with no work since the last trim, that is worth another trim. */
    static final long GROWTH_BYTES = 4L << 20;

    /** Whether to give memory back now, and why. */
    enum Decision {
        WAIT,
        /** The start's leftovers, at the first quiet moment. */
        START_UP,
        /** A quiet spell of the configured length after work. */
        AFTER_WORK,
        /** The resident size or malloc's free bytes grew without work since the last trim. */
        GROWTH
    }

    private final int idleTicks;
    private boolean trimmedOnce;
    private boolean workSinceTrim = true;
    private long residentAfterTrim = -1;
    private long freeAfterTrim = -1;
    private int quiet;
    private int ticks;

    /** @param idleTicks quiet ticks after work before memory goes back; 0: only the start-up's */
    TrimSchedule(int idleTicks) {
        if (idleTicks < 0) {
            throw new IllegalArgumentException("idle ticks must not be negative: " + idleTicks);
        }
        this.idleTicks = idleTicks;
    }

    /**
     * One tick; anything but {@code WAIT}: memory should go back now (then call {@link #trimmed}).
     *
     * @param residentBytes reads the process's resident size (negative when unknown), only if a rule needs it
     * @param mallocFreeBytes reads what malloc holds free (negative when unknown), only if a rule needs it
     */
    Decision tick(long cpuNanos, LongSupplier residentBytes, LongSupplier mallocFreeBytes) {
        ticks++;
        if (cpuNanos >= QUIET_NANOS_PER_TICK) {
            quiet = 0;
            workSinceTrim = true;
            return Decision.WAIT;
        }
        quiet++;
        if (!trimmedOnce && ticks <= START_UP_TICKS) {
            return Decision.START_UP;
        }
        if (idleTicks == 0) {
            return Decision.WAIT;
        }
        if (workSinceTrim) {
            return quiet >= idleTicks ? Decision.AFTER_WORK : Decision.WAIT;
        }
        if (quiet < GROWTH_QUIET_TICKS) {
            return Decision.WAIT;
        }
        boolean grew = grew(residentAfterTrim, residentBytes.getAsLong())
                || grew(freeAfterTrim, mallocFreeBytes.getAsLong());
        return grew ? Decision.GROWTH : Decision.WAIT;
    }

    /** Memory went back, leaving these sizes (negative when unknown). */
    void trimmed(long residentBytes, long mallocFreeBytes) {
        trimmedOnce = true;
        workSinceTrim = false;
        residentAfterTrim = residentBytes;
        freeAfterTrim = mallocFreeBytes;
        quiet = 0; // growth is measured from here
    }

    private static boolean grew(long before, long now) {
        return before >= 0 && now >= 0 && now - before >= GROWTH_BYTES;
    }
}
