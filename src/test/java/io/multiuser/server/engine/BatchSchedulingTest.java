package io.multiuser.server.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

import io.multiuser.server.session.SessionSettings;
import io.multiuser.server.testclient.FreePorts;
import io.multiuser.server.testclient.ProcStat;
import io.multiuser.server.testclient.TestClient;

/**
 * The engine thread and the JeroMQ I/O thread it starts run under SCHED_BATCH (unless configured
 * off), as the kernel reports in /proc; the session works the same either way.
 */
class BatchSchedulingTest {

    private static final int SCHED_OTHER = 0;
    private static final int SCHED_BATCH = 3;

    @Test
    void engineAndItsIoThreadRunUnderBatchPolicy() throws Exception {
        assertThat(policiesOfNewEngineThreads(true)).isNotEmpty().allSatisfy((name, policy) -> assertThat(policy)
                .as("policy of %s", name).isEqualTo(SCHED_BATCH));
    }

    @Test
    void switchedOffTheThreadsKeepTheNormalPolicy() throws Exception {
        assertThat(policiesOfNewEngineThreads(false)).isNotEmpty().allSatisfy((name, policy) -> assertThat(policy)
                .as("policy of %s", name).isEqualTo(SCHED_OTHER));
    }

    @Test
    void theCallingThreadItselfSwitchesAndReportsNoProblem() throws Exception {
        assumeTrue(Files.isDirectory(Path.of("/proc/thread-self")), "Linux only");
        Map<String, Integer> seen = new HashMap<>();
        Thread t = new Thread(() -> {
            seen.put("result", BatchScheduling.applyToCurrentThread().isEmpty() ? 1 : 0);
            seen.put("policy", policy(Path.of("/proc/thread-self")));
        });
        t.start();
        t.join();
        assertThat(seen).containsEntry("result", 1).containsEntry("policy", SCHED_BATCH);
    }

    /**
     * Starts an engine and returns the policy of each engine or I/O thread that appeared with it,
     * by "tid:name"; then checks that the engine serves a client as usual.
     */
    private static Map<String, Integer> policiesOfNewEngineThreads(boolean batch) throws Exception {
        assumeTrue(Files.isDirectory(Path.of("/proc/self/task")), "Linux only");
        Map<String, Integer> before = threads();
        int port = FreePorts.base();
        ZmqEngine engine = new ZmqEngine(EngineSettings.builder().basePort(port).maxMessageBytes(1 << 20)
                .maxQueuedBytesPerClient(1 << 24).batchScheduling(batch).build(),
                SessionSettings.builder().adminPassword("pw").acceptedVersions(List.of()).build());
        engine.start(); // returns once the four sockets are bound, so the I/O thread is running
        try {
            // a thread that has just started may not carry its name yet: look again for a moment
            Map<String, Integer> engineThreads = new HashMap<>();
            long deadline = System.nanoTime() + 2_000_000_000L;
            do {
                engineThreads.clear();
                threads().forEach((key, policy) -> {
                    String name = key.substring(key.indexOf(':') + 1);
                    if (!before.containsKey(key) && (name.equals("zmq-engine") || name.startsWith("iothread"))) {
                        engineThreads.put(key, policy);
                    }
                });
                if (engineThreads.keySet().stream().anyMatch(k -> k.contains(":iothread"))) {
                    break;
                }
                Thread.sleep(20);
            } while (System.nanoTime() < deadline);
            assertThat(engineThreads.keySet()).anyMatch(k -> k.endsWith(":zmq-engine"))
                    .anyMatch(k -> k.contains(":iothread"));
            try (TestClient client = new TestClient(port, "policy")) {
                assertThat(client.loginAsClient()).isEqualTo("LOBBY");
            }
            return engineThreads;
        } finally {
            engine.close();
        }
    }

    /** "tid:name" → scheduling policy, for every thread of this JVM. */
    private static Map<String, Integer> threads() throws IOException {
        Map<String, Integer> result = new HashMap<>();
        try (Stream<Path> tasks = Files.list(Path.of("/proc/self/task"))) {
            for (Path task : tasks.toList()) {
                try {
                    String name = Files.readString(task.resolve("comm")).strip();
                    result.put(task.getFileName() + ":" + name, policy(task));
                } catch (IOException gone) {
                    // the thread ended while we looked
                }
            }
        }
        return result;
    }

    /** The scheduling policy: field 41 of the thread's stat file. */
    private static int policy(Path task) {
        try {
            return ProcStat.policy(task);
        } catch (IOException e) {
            return -1;
        }
    }
}
