package io.multiuser.server.console;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import io.multiuser.server.SessionServer;
import io.multiuser.server.testclient.TestClient;
import io.quarkus.test.junit.QuarkusTest;

/** The console's commands on the shared test application (the stdin loop itself: AdminConsoleIT). */
@QuarkusTest
class ConsoleCommandsTest {

    @Inject
    ConsoleCommands console;
    @Inject
    SessionServer server;

    private int basePort() {
        return server.engine().basePort();
    }

    @Test
    void usersPrintsTheCountThenNameAdminMarkAndLatency() {
        try (TestClient fred = new TestClient(basePort(), "console-fred");
                TestClient gina = new TestClient(basePort(), "console-gina-admin")) {
            fred.loginAsClient();
            gina.loginAsAdmin("quarkus-test-password");

            ConsoleCommands.Reply reply = console.run("users");

            assertThat(reply.exit()).isFalse();
            String[] lines = reply.text().split("\\R");
            assertThat(lines[0]).matches("\\d+ users? online");
            assertThat(Integer.parseInt(lines[0].split(" ")[0])).isEqualTo(lines.length - 1).isGreaterThanOrEqualTo(2);
            assertThat(reply.text()).containsPattern("\\R  console-fred +\\d+ ms")
                    .containsPattern("\\R  console-gina-admin  admin  +\\d+ ms");
        } finally {
            console.run("kick console-fred");
            console.run("kick console-gina-admin");
        }
    }

    @Test
    void kickDisconnectsTheUserAsTheProtocolKickDoes() {
        try (TestClient hank = new TestClient(basePort(), "console-hank")) {
            hank.loginAsClient();

            assertThat(console.run("kick console-hank").text()).isEqualTo("Kicked 'console-hank'.");

            assertThat(hank.await("RepDisconnectCommand").data()).isEqualTo(Map.of("reason", "kicked by admin"));
            assertThat(console.run("users").text()).doesNotContain("console-hank");
        }
    }

    @Test
    void kickOfAnUnknownUserSaysSo() {
        assertThat(console.run("kick nobody-here").text())
                .isEqualTo("Error: no user named 'nobody-here'. Type 'users' for the list.");
        assertThat(console.run("kick").text()).isEqualTo("Usage: kick <user> [session]");
    }

    @Test
    void helpListsTheFourCommands() {
        assertThat(console.run("help").text()).contains("help", "users", "kick <user>", "exit");
    }

    @Test
    void blankAndUnknownLinesDoNothing() {
        assertThat(console.run("   ")).isEqualTo(new ConsoleCommands.Reply("", false));
        assertThat(console.run("frobnicate now").text())
                .isEqualTo("Unknown command 'frobnicate'. Type 'help' for the commands.");
    }
}
