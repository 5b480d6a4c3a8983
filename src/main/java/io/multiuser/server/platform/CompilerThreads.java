package io.multiuser.server.platform;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

import com.sun.jna.Platform;

/**
 * Puts the JVM's JIT compiler threads under Linux's SCHED_IDLE policy: they then run on CPU time
 * no other thread wants, and any thread that wakes up takes the core from them at once.
 *
 * <p>Why: a fresh server compiles for 1.5-2.5 s of CPU in its first seconds of traffic. On a small
 * node that time was taken from the engine's threads, which run under SCHED_BATCH and so do not
 * preempt a running compiler when a message wakes them, and from the clients beside it; the first
 * ten seconds' latency tail was twice the warm one. Nice levels do not help here: a batch thread
 * waits for the end of a niced thread's slice all the same. The compiled code still arrives, in the
 * gaps between messages. The cost is on a node whose every core is busy without a break: there
 * compilation waits for the first gap.
 *
 * <p>HotSpot starts further compiler threads from a compiler thread, so they inherit the policy.
 * Linux lets a process lower its threads' policy without privilege but not raise it back, so this
 * is done once, at start.
 */
public final class CompilerThreads {

    private static final Path TASKS = Path.of("/proc/self/task");

    /**
     * What came of it.
     *
     * @param threads the compiler threads now under SCHED_IDLE
     * @param refused empty when every compiler thread found was switched, else why not
     */
    public record Outcome(int threads, Optional<String> refused) {
    }

    private CompilerThreads() {
    }

    /** Switches every compiler thread of this JVM to SCHED_IDLE (again, if it already is). */
    public static Outcome yieldToOtherThreads() {
        if (!Platform.isLinux()) {
            return new Outcome(0, Optional.of("not Linux"));
        }
        List<Integer> tids;
        try {
            tids = compilerThreadIds(TASKS);
        } catch (UncheckedIOException | IOException e) {
            return new Outcome(0, Optional.of("cannot list the threads in " + TASKS + ": " + e.getMessage()));
        }
        if (tids.isEmpty()) {
            return new Outcome(0, Optional.of("no compiler thread (an interpreter-only or AOT-compiled runtime)"));
        }
        int switched = 0;
        for (int tid : tids) {
            Optional<String> refused = CpuPolicy.apply(tid, CpuPolicy.IDLE); // a thread that has just ended is no loss
            if (refused.isPresent()) {
                return new Outcome(switched, refused);
            }
            switched++;
        }
        return new Outcome(switched, Optional.empty());
    }

    /** The ids of the threads under {@code tasks} (a process's /proc/PID/task directory) that are JIT compilers. */
    public static List<Integer> compilerThreadIds(Path tasks) throws IOException {
        List<Integer> ids = new ArrayList<>();
        try (Stream<Path> threads = Files.list(tasks)) {
            for (Path thread : (Iterable<Path>) threads::iterator) {
                Optional<String> name = read(thread.resolve("comm"));
                if (name.isPresent() && isCompiler(name.get())) {
                    ids.add(Integer.parseInt(thread.getFileName().toString()));
                }
            }
        }
        return ids;
    }

    /**
     * Whether a thread's kernel name (15 characters at most) is one of HotSpot's compilers:
     * "C1 CompilerThread0", "C2 CompilerThread1", "JVMCI CompilerThread0" and the like.
     */
    static boolean isCompiler(String name) {
        return name.startsWith("C1 Compiler") || name.startsWith("C2 Compiler") || name.startsWith("JVMCI");
    }

    private static Optional<String> read(Path comm) {
        try {
            return Optional.of(Files.readString(comm).strip());
        } catch (IOException e) {
            return Optional.empty(); // the thread ended while we listed
        }
    }
}
