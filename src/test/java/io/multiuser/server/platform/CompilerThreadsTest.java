package io.multiuser.server.platform;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Which of a process's threads are the JIT's, read from a /proc/PID/task layout. */
class CompilerThreadsTest {

    @Test
    void hotSpotCompilerNamesAreRecognisedAsTheKernelTruncatesThem() {
        assertThat(CompilerThreads.isCompiler("C1 CompilerThre")).isTrue();
        assertThat(CompilerThreads.isCompiler("C2 CompilerThre")).isTrue();
        assertThat(CompilerThreads.isCompiler("JVMCI CompilerT")).isTrue();
        assertThat(CompilerThreads.isCompiler("main")).isFalse();
        assertThat(CompilerThreads.isCompiler("vert.x-eventloo")).isFalse();
        assertThat(CompilerThreads.isCompiler("Common-Cleaner")).isFalse();
        assertThat(CompilerThreads.isCompiler("multiuser-engin")).isFalse();
    }

    @Test
    void onlyTheCompilerThreadsAreListedAndAThreadThatEndedIsSkipped(@TempDir Path tasks) throws IOException {
        thread(tasks, 101, "C2 CompilerThre");
        thread(tasks, 102, "main");
        thread(tasks, 103, "C1 CompilerThre");
        Files.createDirectory(tasks.resolve("104")); // ended between the listing and the read: no comm left
        thread(tasks, 105, "Shenandoah Cont");
        assertThat(CompilerThreads.compilerThreadIds(tasks)).containsExactlyInAnyOrder(101, 103);
    }

    private static void thread(Path tasks, int tid, String comm) throws IOException {
        Path dir = Files.createDirectory(tasks.resolve(String.valueOf(tid)));
        Files.writeString(dir.resolve("comm"), comm + "\n");
    }
}
