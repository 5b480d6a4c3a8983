package io.multiuser.server.testclient;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.multiuser.server.platform.CpuPolicy;

/**
 * The bench's harness runs under SCHED_BATCH and every process it starts inherits that policy; the
 * servers, the process clients, the relays and the connector must run under the normal one, as they
 * do where deployed.
 */
class ServerProcessTest {

    private final List<String> sleep = List.of("/bin/sleep", "30");

    @BeforeEach
    void linuxWithChrt() {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/chrt")) && Files.isDirectory(Path.of("/proc/self/task")),
                "Linux with util-linux's chrt");
    }

    @Test
    void aCommandStartedFromABatchThreadRunsUnderTheNormalPolicyOnlyWhenWrapped() throws Exception {
        int[] policies = CompletableFuture.supplyAsync(() -> {
            // a thread of its own: the test runner's threads keep their policy
            assertThat(CpuPolicy.apply(0, CpuPolicy.BATCH)).isEmpty();
            try {
                return new int[] {policyOf(sleep), policyOf(ServerProcess.underNormalPolicy(sleep))};
            } catch (IOException | InterruptedException e) {
                throw new IllegalStateException(e);
            }
        }, runnable -> new Thread(runnable, "batch-starter").start()).get(30, TimeUnit.SECONDS);

        assertThat(policies[0]).as("inherited from the batch thread").isEqualTo(CpuPolicy.BATCH);
        assertThat(policies[1]).as("wrapped").isEqualTo(CpuPolicy.NORMAL);
    }

    @Test
    void aCommandStartedFromANormalThreadIsLeftAsItIs() throws Exception {
        List<String> fromNormal = CompletableFuture.supplyAsync(() -> {
            assertThat(CpuPolicy.apply(0, CpuPolicy.NORMAL)).isEmpty(); // whatever the runner's policy
            return ServerProcess.underNormalPolicy(sleep);
        }, runnable -> new Thread(runnable, "normal-starter").start()).get(30, TimeUnit.SECONDS);

        assertThat(fromNormal).isEqualTo(sleep);
    }

    /** Starts the command, waits until it is the sleep itself (chrt execs it) and reads its policy. */
    private static int policyOf(List<String> command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).start();
        try {
            Path proc = Path.of("/proc", String.valueOf(p.pid()));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (!Files.readString(proc.resolve("comm")).strip().equals("sleep")) {
                assertThat(System.nanoTime()).as("exec'd within 10 s").isLessThan(deadline);
                Thread.sleep(10);
            }
            return ProcStat.policy(proc);
        } finally {
            p.destroyForcibly();
            p.waitFor(10, TimeUnit.SECONDS);
        }
    }
}
