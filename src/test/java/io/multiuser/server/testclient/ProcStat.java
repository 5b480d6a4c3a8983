package io.multiuser.server.testclient;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** One field of a Linux {@code /proc/…/stat} file (a process's or a thread's). */
public final class ProcStat {

    private ProcStat() {
    }

    /**
     * Field {@code n} as proc(5) numbers them (1 = pid, 2 = name, 3 = state, …). Counted from the
     * closing parenthesis of the name, which may itself hold spaces and parentheses.
     */
    public static long field(Path statFile, int n) throws IOException {
        String stat = Files.readString(statFile);
        String[] afterName = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Long.parseLong(afterName[n - 3]);
    }
}
