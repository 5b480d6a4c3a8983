package io.multiuser.server.platform;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.multiuser.server.testclient.ProcStat;
import io.multiuser.server.testclient.ServerProcess;
import io.multiuser.server.testclient.TestClient;

/**
 * The packaged server puts its JIT compiler threads under SCHED_IDLE before it serves, unless told
 * not to, as the kernel reports in /proc; it serves a client either way.
 */
class CompilerThreadsIT {

    private static final int SCHED_OTHER = 0;
    private static final int SCHED_IDLE = 5;

    @Test
    void aServerStartsWithItsCompilerThreadsIdle() throws Exception {
        assertThat(compilerPolicies()).isNotEmpty().allSatisfy((thread, policy) -> assertThat(policy)
                .as("policy of %s", thread).isEqualTo(SCHED_IDLE));
    }

    @Test
    void switchedOffTheyKeepTheNormalPolicy() throws Exception {
        assertThat(compilerPolicies("-Dmultiuser.engine.idle-compiler-threads=false")).isNotEmpty()
                .allSatisfy((thread, policy) -> assertThat(policy).as("policy of %s", thread).isEqualTo(SCHED_OTHER));
    }

    /** Starts a server, checks it serves, and returns the policy of each of its compiler threads by "tid name". */
    private static Map<String, Integer> compilerPolicies(String... options) throws Exception {
        assumeTrue(Files.isDirectory(Path.of("/proc/self/task")), "Linux only");
        try (ServerProcess server = ServerProcess.start("pw", options)) {
            server.awaitStarted();
            try (TestClient client = new TestClient(server.basePort, "artist")) {
                assertThat(client.loginAsClient()).isEqualTo("LOBBY");
            }
            return ProcStat.compilerThreadPolicies(server.pid());
        }
    }
}
