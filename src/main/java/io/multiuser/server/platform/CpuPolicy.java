package io.multiuser.server.platform;

import java.util.Optional;

import com.sun.jna.LastErrorException;
import com.sun.jna.Platform;

/**
 * Linux's CPU scheduling policy of one thread, set through libc. Moving a thread to a lower policy
 * (batch, idle) needs no privilege.
 */
public final class CpuPolicy {

    /** Linux's default, SCHED_OTHER: a waking thread may preempt the one running on its core. */
    public static final int NORMAL = 0;
    /** Same share of the CPU, but a waking thread does not preempt the one running on its core. */
    public static final int BATCH = 3;
    /** Only CPU time no other thread wants; any waking thread of another policy preempts it. */
    public static final int IDLE = 5;

    private static final int ESRCH = 3;

    private CpuPolicy() {
    }

    /**
     * Puts thread {@code tid} (0: the calling thread) under {@code policy}.
     *
     * @return empty when applied, or when the thread has ended meanwhile; else why not (not Linux,
     *         libc not reachable, refused)
     */
    public static Optional<String> apply(int tid, int policy) {
        if (!Platform.isLinux()) {
            return Optional.of("not Linux");
        }
        try {
            LibC.get().sched_setscheduler(tid, policy, new int[] {0});
            return Optional.empty();
        } catch (LastErrorException e) {
            return e.getErrorCode() == ESRCH ? Optional.empty()
                    : Optional.of("sched_setscheduler refused, errno " + e.getErrorCode());
        } catch (LinkageError | RuntimeException e) {
            return Optional.of("native access unavailable: " + e);
        }
    }
}
