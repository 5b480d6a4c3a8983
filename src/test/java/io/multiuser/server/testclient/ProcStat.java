package io.multiuser.server.testclient;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;

import io.multiuser.server.platform.CompilerThreads;

/** Fields of a Linux {@code /proc/…/stat} file (a process's or a thread's). */
public final class ProcStat {

    private ProcStat() {
    }

    /** Field {@code n} as proc(5) numbers them (1 = pid, 2 = name, 3 = state, …). */
    public static long field(Path statFile, int n) throws IOException {
        return fields(statFile, n)[0];
    }

    /**
     * Fields {@code n...}, numbered as in proc(5), from one read of the file (they then describe
     * the same instant). Counted from the closing parenthesis of the name, which may itself hold
     * spaces and parentheses.
     */
    public static long[] fields(Path statFile, int... n) throws IOException {
        String stat = Files.readString(statFile);
        String[] afterName = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        long[] values = new long[n.length];
        for (int i = 0; i < n.length; i++) {
            values[i] = Long.parseLong(afterName[n[i] - 3]);
        }
        return values;
    }

    /** The CPU policy of a thread, from its /proc/PID/task/TID directory: 0 normal, 3 batch, 5 idle (field 41). */
    public static int policy(Path task) throws IOException {
        return (int) field(task.resolve("stat"), 41);
    }

    /** The CPU policy of each JIT compiler thread of a process, by "tid name". */
    public static Map<String, Integer> compilerThreadPolicies(long pid) throws IOException {
        Path tasks = Path.of("/proc", String.valueOf(pid), "task");
        Map<String, Integer> policies = new TreeMap<>();
        for (int tid : CompilerThreads.compilerThreadIds(tasks)) {
            Path task = tasks.resolve(String.valueOf(tid));
            policies.put(tid + " " + Files.readString(task.resolve("comm")).strip(), policy(task));
        }
        return policies;
    }
}
