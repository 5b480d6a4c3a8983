package io.multiuser.server.console;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Map;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

import io.multiuser.server.testclient.ServerProcess;
import io.multiuser.server.testclient.TestClient;

/** The real stdin loop of the packaged server, fed through a pipe. */
class AdminConsoleIT {

    private static final String PASSWORD = "console-it-pw";
    private static final Duration WAIT = Duration.ofSeconds(10);

    @Test
    void theFourCommandsWorkOnStandardInput() throws Exception {
        try (ServerProcess server = ServerProcess.start(PASSWORD, "-Dmultiuser.console.enabled=true")) {
            server.awaitOutput("Console ready", Duration.ofSeconds(30));
            try (TestClient alice = new TestClient(server.basePort, "alice");
                    TestClient bob = new TestClient(server.basePort, "bob")) {
                assertThat(alice.loginAsAdmin(PASSWORD)).isEqualTo("LOBBY");
                assertThat(bob.loginAsClient()).isEqualTo("LOBBY");

                server.typeLine("users");
                // The count on a line of its own (a login log line also says "2 users online"), then one line each.
                server.awaitOutput(Pattern.compile("\\R2 users online\\R  alice  admin +\\d+ ms\\R  bob +\\d+ ms\\R"),
                        WAIT);

                server.typeLine("kick bob");
                assertThat(bob.await("RepDisconnectCommand").data()).isEqualTo(Map.of("reason", "kicked by admin"));
                alice.await("RepUpdateClientsState", r -> !((Map<?, ?>) r.data()).containsKey("bob"), WAIT);
                server.awaitOutput("Kicked 'bob'.", WAIT);
                assertThat(server.log()).contains("Kick: 'bob' kicked by console");

                server.typeLine("kick nobody");
                server.awaitOutput("Error: no user named 'nobody'", WAIT);

                server.typeLine("help");
                server.awaitOutput("kick <user>", WAIT);

                server.typeLine("exit");
                assertThat(server.waitForExit(WAIT)).as("exited:%n%s", server.log()).isTrue();
            }
            assertThat(server.exitValue()).isZero();
            assertThat(server.log()).contains("Stopping the server.").contains("Stop requested by console");
            assertThat(server.portsFree()).isTrue();
        }
    }

    @Test
    void endOfInputEndsTheConsoleButNotTheServer() throws Exception {
        try (ServerProcess server = ServerProcess.start(PASSWORD, "-Dmultiuser.console.enabled=true")) {
            server.awaitOutput("Console ready", Duration.ofSeconds(30));
            server.closeStdin();
            server.awaitOutput("Standard input closed", WAIT);
            try (TestClient carol = new TestClient(server.basePort, "carol")) {
                assertThat(carol.loginAsClient()).isEqualTo("LOBBY");
            }
            assertThat(server.isAlive()).isTrue();
        }
    }

    @Test
    void withoutATerminalTheConsoleIsOff() throws Exception {
        try (ServerProcess server = ServerProcess.start(PASSWORD)) {
            server.awaitStarted();
            server.typeLine("exit"); // auto: stdin is a pipe, not a terminal, so nobody reads this
            try (TestClient dave = new TestClient(server.basePort, "dave")) {
                assertThat(dave.loginAsClient()).isEqualTo("LOBBY");
            }
            assertThat(server.waitForExit(Duration.ofSeconds(2))).as("nothing reads the 'exit'").isFalse();
            assertThat(server.log()).doesNotContain("Console ready");
        }
    }
}
