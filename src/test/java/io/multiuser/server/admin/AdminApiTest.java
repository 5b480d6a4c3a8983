package io.multiuser.server.admin;

import static io.multiuser.server.admin.AdminApi.BASE;
import static io.multiuser.server.admin.AdminApi.PASSWORD;
import static io.multiuser.server.admin.AdminApi.admin;
import static io.multiuser.server.admin.AdminApi.basePort;
import static io.multiuser.server.admin.AdminApi.kickIfOnline;
import static io.multiuser.server.testclient.TestClient.map;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.multiuser.server.protocol.Node;
import io.multiuser.server.testclient.TestClient;
import io.multiuser.server.testclient.TestClient.Received;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;

/** Every admin endpoint against real protocol traffic on the shared test application. */
@QuarkusTest
class AdminApiTest {

    private static final Duration WAIT = Duration.ofSeconds(10);

    /** The user's entry in GET users, or null when it is not online. */
    private static JsonPath user(String name) {
        String path = "find { it.name == '" + name + "' }";
        JsonPath users = admin().get(BASE + "/users").then().statusCode(200).extract().jsonPath();
        return users.get(path) == null ? null : users.setRootPath(path);
    }

    @Test
    void usersShowsEveryLoginWithStatusLatencyAddressAndJsonSafeMetadata() {
        try (TestClient dave = new TestClient(basePort(), "api-users-dave");
                TestClient erin = new TestClient(basePort(), "api-users-erin")) {
            Instant before = Instant.now().minusSeconds(1);
            assertThat(dave.loginAsClient()).isIn("LOBBY", "RUNNING");
            assertThat(erin.loginAsAdmin(PASSWORD)).isIn("LOBBY", "RUNNING");
            dave.send("api-users-dave", "RepUpdateUserMetadata", map(
                    "color", new Object[] {0.5, 1.0, 0.25},
                    "avatar", new byte[] {1, 2, 3},
                    "view", map("frame", 12, "names", List.of("a", "b"))));

            await().atMost(WAIT).untilAsserted(() -> assertThat(user("api-users-dave").getMap("metadata"))
                    .containsKey("avatar"));
            JsonPath dave1 = user("api-users-dave");
            assertThat(dave1.getBoolean("admin")).isFalse();
            assertThat(dave1.getString("status")).isEqualTo("lobby");
            assertThat(dave1.getString("address")).startsWith("127.0.0.1");
            assertThat(Instant.parse(dave1.getString("connectedSince"))).isBetween(before, Instant.now());
            assertThat(dave1.getList("metadata.color", Float.class)).containsExactly(0.5f, 1.0f, 0.25f);
            assertThat(dave1.getString("metadata.avatar")).isEqualTo("AQID");
            assertThat(dave1.getInt("metadata.view.frame")).isEqualTo(12);
            assertThat(dave1.getList("metadata.view.names")).containsExactly("a", "b");
            assertThat(user("api-users-erin").getBoolean("admin")).isTrue();
            // The first heartbeat round trip replaces the initial 999 ms.
            await().atMost(WAIT).until(() -> user("api-users-dave").getInt("latencyMs") < 999);
        } finally {
            kickIfOnline("api-users-dave");
            kickIfOnline("api-users-erin");
        }
        assertThat(user("api-users-dave")).isNull();
    }

    @Test
    void kickOverRestIsTheProtocolKick() {
        String uuid = AdminApi.scene().get(3).uuid();
        try (TestClient bob = new TestClient(basePort(), "api-kick-bob");
                TestClient carol = new TestClient(basePort(), "api-kick-carol")) {
            assertThat(carol.loginAsClient()).isEqualTo("RUNNING");
            carol.join();
            assertThat(bob.loginAsClient()).isEqualTo("RUNNING");
            bob.join();
            await().atMost(WAIT).until(() -> user("api-kick-bob").getString("status").equals("active"));
            bob.send("api-kick-bob", "RepRightCommand", map("uuid", uuid, "owner", "api-kick-bob"));
            carol.await("RepRightCommand", r -> "api-kick-bob".equals(((Map<?, ?>) r.data()).get("owner")), WAIT);
            assertThat(nodeOwner(uuid)).isEqualTo("api-kick-bob");

            admin().post(BASE + "/users/{name}/kick", "api-kick-bob").then().statusCode(200)
                    .body("message", equalTo("kicked 'api-kick-bob'"));

            Received disconnect = bob.await("RepDisconnectCommand");
            assertThat(disconnect.owner()).isEqualTo("server");
            assertThat(disconnect.data()).isEqualTo(Map.of("reason", "kicked by admin"));
            Received released = carol.await("RepRightCommand", r -> r.owner().equals("server"), WAIT);
            assertThat(released.data()).isEqualTo(Map.of("uuid", uuid, "owner", Node.COMMON));
            carol.await("RepUpdateClientsState", r -> !((Map<?, ?>) r.data()).containsKey("api-kick-bob"), WAIT);
            assertThat(nodeOwner(uuid)).isEqualTo(Node.COMMON);
            assertThat(user("api-kick-bob")).isNull();
            admin().post(BASE + "/users/{name}/kick", "api-kick-bob").then().statusCode(404);
        } finally {
            kickIfOnline("api-kick-bob");
            kickIfOnline("api-kick-carol");
        }
    }

    @Test
    void kickingAnUnknownUserIs404WithAMessage() {
        admin().post(BASE + "/users/{name}/kick", "nobody at all").then().statusCode(404)
                .contentType("application/json")
                .body("status", equalTo(404), "message", equalTo("no user named 'nobody at all'"));
    }

    @Test
    void sessionInfoReflectsTheUploadedScene() {
        List<Node> scene = AdminApi.scene();
        int port = basePort();
        JsonPath info = admin().get(BASE + "/session").then().statusCode(200).extract().jsonPath();
        assertThat(info.getString("state")).isEqualTo("active");
        assertThat(info.getInt("nodes")).isEqualTo(scene.size());
        assertThat(info.getLong("payloadBytes")).isEqualTo(scene.stream().mapToLong(n -> n.payload().length()).sum());
        assertThat(info.getMap("ports")).isEqualTo(Map.of("commands", port, "dataOut", port + 1, "dataIn", port + 2,
                "heartbeat", port + 3));
        try (TestClient probe = new TestClient(info.getInt("ports.commands"), "api-info-probe")) {
            assertThat(probe.loginAsClient()).as("a client can log in on the reported ports").isEqualTo("RUNNING");
        } finally {
            kickIfOnline("api-info-probe");
        }
        // The test profile sets no policy: the versions known to speak protocol 0.1, the default.
        assertThat(info.getString("protocol")).isEqualTo("0.1");
        assertThat(info.getBoolean("privateSession")).isFalse();
        assertThat(info.getString("versionPolicy")).isEqualTo("listed");
        assertThat(info.getList("acceptedVersions")).containsExactly(TestClient.VERSION);
        assertThat(info.getString("bindAddress")).isEqualTo("*");
        Instant startedAt = Instant.parse(info.getString("startedAt"));
        assertThat(startedAt).isBefore(Instant.now());
        assertThat(info.getLong("uptimeSeconds")).isBetween(0L, Duration.between(startedAt, Instant.now())
                .getSeconds() + 1);
    }

    @Test
    void nodesArePagedInCatalogOrderWithTheTotal() {
        List<Node> scene = AdminApi.scene();
        List<String> seen = new ArrayList<>();
        for (int page = 1; page <= 3; page++) {
            JsonPath body = admin().queryParam("page", page).queryParam("size", 10).get(BASE + "/nodes").then()
                    .statusCode(200).extract().jsonPath();
            assertThat(body.getInt("total")).isEqualTo(25);
            assertThat(body.getInt("pages")).isEqualTo(3);
            assertThat(body.getInt("page")).isEqualTo(page);
            assertThat(body.getList("nodes")).hasSize(page < 3 ? 10 : 5);
            seen.addAll(body.getList("nodes.uuid", String.class));
        }
        assertThat(seen).isEqualTo(scene.stream().map(Node::uuid).toList());

        JsonPath all = admin().get(BASE + "/nodes").then().statusCode(200).extract().jsonPath();
        assertThat(all.getInt("size")).isEqualTo(50);
        assertThat(all.getList("nodes")).hasSize(25);
        assertThat(all.getString("nodes[0].type")).isEqualTo("SynthNode");
        assertThat(all.getList("nodes.payloadBytes", Integer.class)).containsOnly(100);
        assertThat(all.getInt("nodes[0].dependencies")).isZero();
        assertThat(all.getInt("nodes[1].dependencies")).isEqualTo(1);

        admin().queryParam("page", 4).queryParam("size", 10).get(BASE + "/nodes").then().statusCode(200)
                .body("nodes.size()", equalTo(0), "total", equalTo(25));
    }

    @Test
    void pageAndSizeOutOfBoundsAre400WithAMessage() {
        for (Map.Entry<String, String> bad : List.of(Map.entry("page", "0"), Map.entry("page", "-1"),
                Map.entry("page", "two"), Map.entry("size", "0"), Map.entry("size", "501"),
                Map.entry("size", "99999999999"))) {
            admin().queryParam(bad.getKey(), bad.getValue()).get(BASE + "/nodes").then().statusCode(400)
                    .contentType("application/json")
                    .body("message", containsString(bad.getKey() + " must be a whole number"));
        }
    }

    @Test
    void helpNamesEveryEndpointAndConsoleCommand() {
        String help = admin().accept("text/plain").get(BASE + "/help").then().statusCode(200)
                .contentType(containsString("text/plain")).extract().asString();
        for (String expected : Arrays.asList("GET  http://localhost:", "/admin/api/users ", "/admin/api/users/{name}/kick",
                "/admin/api/session", "/admin/api/nodes?page=1&size=50", "/admin/api/stop", "/admin/api/help",
                "curl -u admin:PASSWORD", "Bearer", "/q/openapi", "/q/swagger-ui", "kick <user>", "exit")) {
            assertThat(help).contains(expected);
        }
    }

    private static String nodeOwner(String uuid) {
        return admin().get(BASE + "/nodes").then().statusCode(200).extract().jsonPath()
                .getString("nodes.find { it.uuid == '" + uuid + "' }.owner");
    }
}
