package io.multiuser.server.admin;

import static io.multiuser.server.admin.AdminApi.BASE;
import static io.multiuser.server.admin.AdminApi.PASSWORD;
import static io.multiuser.server.admin.AdminApi.admin;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.startsWith;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.multiuser.server.SessionServer;
import io.multiuser.server.console.ConsoleCommands;
import io.multiuser.server.protocol.Node;
import io.multiuser.server.testclient.Nodes;
import io.multiuser.server.testclient.TestClient;
import io.multiuser.server.testclient.TestClient.Block;
import io.multiuser.server.testclient.TestClient09;
import io.quarkus.arc.Arc;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;

/**
 * One server, three sessions from configuration: {@code default} and {@code other} speak 0.1,
 * {@code side} speaks 0.9 with a session password. Real clients on real sockets in each; what
 * happens in one session never reaches another.
 */
@QuarkusTest
@TestProfile(TwoSessionsTest.ThreeSessions.class)
class TwoSessionsTest {

    private static final Duration WAIT = Duration.ofSeconds(10);

    public static class ThreeSessions implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of(
                    "multiuser.sessions.other.port", "0",
                    "multiuser.sessions.other.password", "other-admin",
                    "multiuser.sessions.side.port", "0",
                    "multiuser.sessions.side.protocol", "0.9",
                    "multiuser.sessions.side.session-password", "side-pw",
                    "multiuser.sessions.side.max-users", "2");
        }
    }

    private static int port(String session) {
        return Arc.container().instance(SessionServer.class).get().session(session).orElseThrow().basePort();
    }

    @Test
    void editsInOneSessionNeverReachAnother() {
        List<Node> sceneA = Nodes.scene(3, 64, 1);
        List<Node> sceneB = Nodes.scene(3, 64, 2);
        try (TestClient hostA = new TestClient(port("default"), "host-a");
                TestClient joinerA = new TestClient(port("default"), "joiner-a");
                TestClient hostB = new TestClient(port("other"), "host-b");
                TestClient joinerB = new TestClient(port("other"), "joiner-b")) {
            assertThat(hostA.loginAsAdmin(PASSWORD)).isEqualTo("LOBBY");
            hostA.upload(sceneA);
            // each session has its own admin password
            assertThat(hostB.login(true, PASSWORD, TestClient.VERSION)).startsWith("FAILED");
            assertThat(hostB.loginAsAdmin("other-admin")).isEqualTo("LOBBY");
            hostB.upload(sceneB);
            assertThat(joinerA.loginAsClient()).isEqualTo("RUNNING");
            joinerA.join();
            assertThat(joinerB.loginAsClient()).isEqualTo("RUNNING");
            joinerB.join();

            Node editA = new Node(sceneA.get(0).uuid(), "COMMON", sceneA.get(0).type(), List.of(), new byte[] {1, 2, 3});
            hostA.push(editA);
            Block got = joinerA.awaitBlock(b -> b.uuid().equals(editA.uuid()), WAIT);
            assertThat(got.payload()).containsExactly(1, 2, 3);
            Node editB = new Node(sceneB.get(1).uuid(), "COMMON", sceneB.get(1).type(), List.of(), new byte[] {9});
            hostB.push(editB);
            joinerB.awaitBlock(b -> b.uuid().equals(editB.uuid()), WAIT);

            // Each edit went to its own session only: the other session's joiner saw nothing of it
            // (its own edit came after the first one, so the first one would have been there).
            assertThat(joinerB.pollBlocks()).extracting(Block::uuid).doesNotContain(editA.uuid());
            assertThat(joinerA.pollBlocks()).extracting(Block::uuid).doesNotContain(editB.uuid());
            admin().get(BASE + "/sessions/other/nodes").then().statusCode(200)
                    .body("nodes.uuid", equalTo(sceneB.stream().map(Node::uuid).toList()));
            admin().get(BASE + "/nodes").then().statusCode(200)
                    .body("nodes.uuid", equalTo(sceneA.stream().map(Node::uuid).toList()));
            admin().get(BASE + "/sessions/other/users").then().statusCode(200)
                    .body("name", equalTo(List.of("host-b", "joiner-b")));
        } finally {
            admin().queryParam("force", true).post(BASE + "/session/reset");
            admin().queryParam("force", true).post(BASE + "/sessions/other/reset");
        }
    }

    @Test
    void theThreePortSessionServesNextToTheFourPortOnesWithItsOwnPasswordAndLimit() {
        int port = port("side");
        try (TestClient09 host = new TestClient09(port, "side-host");
                TestClient09 second = new TestClient09(port, "side-second");
                TestClient09 third = new TestClient09(port, "side-third")) {
            assertThat(host.login(true, PASSWORD, "wrong", TestClient09.VERSION)).isEqualTo("FAILED: wrong server password");
            assertThat(host.login(true, PASSWORD, "side-pw", TestClient09.VERSION)).isEqualTo("LOBBY");
            assertThat(host.upload(List.of(new TestClient09.NodeData("side-node-1", "COMMON", List.of(),
                    new byte[] {7, 7})))).isEqualTo("DONE");
            assertThat(second.login(false, "", "side-pw", TestClient09.VERSION)).isEqualTo("RUNNING");
            assertThat(third.login(false, "", "side-pw", TestClient09.VERSION)).isEqualTo("FAILED: session is full (2 users)");
            admin().get(BASE + "/sessions/side").then().statusCode(200).body("protocol", equalTo("0.9"))
                    .body("maxUsers", equalTo(2)).body("ports.dataIn", equalTo(port + 1))
                    .body("ports.heartbeat", equalTo(port + 2));
            admin().get(BASE + "/sessions/side/nodes").then().body("nodes.uuid", equalTo(List.of("side-node-1")));
            admin().get(BASE + "/nodes").then().body("nodes.uuid", org.hamcrest.Matchers.not(
                    org.hamcrest.Matchers.hasItem("side-node-1")));
        } finally {
            admin().queryParam("force", true).post(BASE + "/sessions/side/reset");
        }
    }

    @Test
    void readinessAndTheConsoleNameEverySession() {
        given().get("/q/health/ready").then().statusCode(200)
                .body("checks.find { it.name == 'session-ports' }.data.default", startsWith("UP: protocol 0.1"))
                .body("checks.find { it.name == 'session-ports' }.data.other", startsWith("UP: protocol 0.1"))
                .body("checks.find { it.name == 'session-ports' }.data.side", startsWith("UP: protocol 0.9"));
        admin().get(BASE + "/sessions").then().body("name", equalTo(List.of("default", "other", "side")))
                .body("origin", equalTo(List.of("configuration", "configuration", "configuration")));
        admin().delete(BASE + "/sessions/other").then().statusCode(409)
                .body("message", containsString("comes from the configuration"));

        ConsoleCommands console = Arc.container().instance(ConsoleCommands.class).get();
        String sessions = console.run("sessions").text();
        assertThat(sessions).startsWith("3 sessions").contains("default").contains("other").contains("side");
        assertThat(console.run("help").text()).contains("side: Session: protocol 0.9").contains("private");
        try (TestClient user = new TestClient(port("other"), "console user")) {
            assertThat(user.loginAsClient()).isIn("LOBBY", "RUNNING");
            assertThat(console.run("users other").text()).startsWith("1 user online").contains("console user");
            assertThat(console.run("users").text()).doesNotContain("console user");
            assertThat(console.run("kick console user").text()).startsWith("Error: no user named 'console user'");
            assertThat(console.run("kick console user other").text())
                    .isEqualTo("Kicked 'console user' in session 'other'.");
            await().atMost(WAIT).until(() -> !console.run("users other").text().contains("console user"));
        }
    }
}
