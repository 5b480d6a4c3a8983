package io.multiuser.server.admin;

import static io.multiuser.server.admin.AdminApi.BASE;
import static io.multiuser.server.admin.AdminApi.PASSWORD;
import static io.multiuser.server.admin.AdminApi.admin;
import static io.multiuser.server.admin.AdminApi.basePort;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.not;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.multiuser.server.FreshSession;
import io.multiuser.server.SessionServer;
import io.multiuser.server.hosting.HostedSession;
import io.multiuser.server.hosting.RuntimeSessions;
import io.multiuser.server.observability.Scrape;
import io.multiuser.server.protocol.Node;
import io.multiuser.server.testclient.FreePorts;
import io.multiuser.server.testclient.Nodes;
import io.multiuser.server.testclient.TestClient;
import io.multiuser.server.testclient.TestClient09;
import io.quarkus.arc.Arc;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.response.ValidatableResponse;

/**
 * Sessions as resources on the shared test application: created over REST, served on their own
 * ports next to the default session, remembered across a restart with their scene, deleted.
 */
@QuarkusTest
class SessionsApiTest {

    private static final Duration WAIT = Duration.ofSeconds(10);

    private static SessionServer server() {
        return Arc.container().instance(SessionServer.class).get();
    }

    private static ValidatableResponse create(Map<String, Object> body) {
        return admin().contentType(ContentType.JSON).body(body).post(BASE + "/sessions").then();
    }

    private static int port(String session) {
        return admin().get(BASE + "/sessions/{s}", session).then().statusCode(200).extract().path("ports.commands");
    }

    private static void deleteQuietly(String session) {
        admin().queryParam("force", true).queryParam("purge", true).delete(BASE + "/sessions/{s}", session);
    }

    @Test
    void aSessionCreatedAtRunTimeServesItsOwnSceneAndIsDeletedWithItsUsersKicked() {
        String name = "api-shot-1";
        try {
            create(Map.of("name", name, "port", 0, "adminPassword", "shot-pw")).statusCode(201)
                    .header("Location", containsString(BASE + "/sessions/" + name))
                    .body("name", equalTo(name)).body("origin", equalTo("runtime")).body("serving", equalTo(true))
                    .body("protocol", equalTo("0.1")).body("state", equalTo("waiting"));
            int port = port(name);
            assertThat(port).isNotEqualTo(basePort());
            admin().get(BASE + "/sessions").then().statusCode(200)
                    .body("name", hasItem("default")).body("name", hasItem(name));

            List<Node> scene = Nodes.scene(3, 50, 77);
            try (TestClient host = new TestClient(port, "shot-host");
                    TestClient joiner = new TestClient(port, "shot-joiner")) {
                // the session's own admin password, not the server's
                assertThat(host.login(true, PASSWORD, TestClient.VERSION)).startsWith("FAILED");
                assertThat(host.loginAsAdmin("shot-pw")).isEqualTo("LOBBY");
                host.upload(scene);
                assertThat(joiner.loginAsClient()).isEqualTo("RUNNING");
                assertThat(joiner.join().keySet()).containsExactlyInAnyOrderElementsOf(
                        scene.stream().map(Node::uuid).toList());

                admin().get(BASE + "/sessions/{s}/users", name).then().statusCode(200)
                        .body("name", hasItem("shot-joiner"));
                // the default session neither sees these users nor this scene
                admin().get(BASE + "/users").then().statusCode(200).body("name", not(hasItem("shot-joiner")));
                admin().get(BASE + "/nodes").then().statusCode(200)
                        .body("nodes.uuid", not(hasItem(scene.get(0).uuid())));
                admin().get(BASE + "/sessions/{s}/nodes", name).then().statusCode(200).body("total", equalTo(3));

                admin().delete(BASE + "/sessions/{s}", name).then().statusCode(409)
                        .body("message", containsString("repeat with force=true"));
                admin().queryParam("force", true).delete(BASE + "/sessions/{s}", name).then().statusCode(200);
                assertThat(joiner.await("RepDisconnectCommand").data()).isEqualTo(Map.of("reason", "kicked by admin"));
            }
            admin().get(BASE + "/sessions/{s}", name).then().statusCode(404);
            await().atMost(WAIT).until(() -> FreePorts.free(port) && FreePorts.free(port + 3));
        } finally {
            deleteQuietly(name);
        }
    }

    @Test
    void aRunTimeSessionComesBackAfterARestartWithItsScene() throws Exception {
        String name = "api-kept";
        try {
            create(Map.of("name", name, "protocol", "0.9", "sessionPassword", "artists")).statusCode(201)
                    .body("privateSession", equalTo(true)).body("ports.dataIn", equalTo(port(name) + 1));
            HostedSession before = server().session(name).orElseThrow();
            List<TestClient09.NodeData> scene = List.of(new TestClient09.NodeData("kept-1", "COMMON", List.of(),
                    new byte[] {1, 2}), new TestClient09.NodeData("kept-2", "COMMON", List.of("kept-1"), new byte[] {3}));
            try (TestClient09 host = new TestClient09(before.basePort(), "kept-host")) {
                assertThat(host.login(true, PASSWORD, "artists", TestClient09.VERSION)).isEqualTo("LOBBY");
                assertThat(host.upload(scene)).isEqualTo("DONE");
            }
            Path directory = before.storeSettings().orElseThrow().directory();
            assertThat(directory.resolve(RuntimeSessions.SPEC_FILE)).exists();
            int port = before.basePort();

            FreshSession.restartKeepingScene(server());

            HostedSession after = server().session(name).orElseThrow();
            assertThat(after).isNotSameAs(before);
            assertThat(after.basePort()).isEqualTo(port); // the block it got, kept: clients find it again
            assertThat(after.spec().sessionPassword()).isEqualTo("artists");
            admin().get(BASE + "/sessions/{s}", name).then().statusCode(200).body("serving", equalTo(true))
                    .body("origin", equalTo("runtime")).body("protocol", equalTo("0.9")).body("state", equalTo("active"));
            admin().get(BASE + "/sessions/{s}/nodes", name).then().statusCode(200)
                    .body("nodes.uuid", equalTo(List.of("kept-1", "kept-2")));
        } finally {
            deleteQuietly(name);
        }
        assertThat(server().session(name)).isEmpty();
    }

    @Test
    void deletingKeepsTheDataUnlessPurgedAndCreatingAgainBringsTheSceneBack() throws Exception {
        String name = "api-again";
        try {
            create(Map.of("name", name)).statusCode(201);
            int port = port(name);
            List<Node> scene = Nodes.scene(2, 40, 78);
            try (TestClient host = new TestClient(port, "again-host")) {
                assertThat(host.loginAsAdmin(PASSWORD)).isEqualTo("LOBBY");
                host.upload(scene);
            }
            Path directory = server().session(name).orElseThrow().storeSettings().orElseThrow().directory();
            admin().queryParam("force", true).delete(BASE + "/sessions/{s}", name).then().statusCode(200)
                    .body("message", equalTo("deleted session '" + name + "'"));
            assertThat(directory.resolve(RuntimeSessions.SPEC_FILE)).doesNotExist();
            assertThat(directory).isDirectory();

            create(Map.of("name", name)).statusCode(201).body("nodes", equalTo(2)).body("state", equalTo("active"));
            admin().queryParam("force", true).queryParam("purge", true).delete(BASE + "/sessions/{s}", name).then()
                    .statusCode(200).body("message", containsString("and its data"));
            assertThat(Files.exists(directory)).isFalse();
        } finally {
            deleteQuietly(name);
        }
    }

    @Test
    void badRequestsSayWhatToChange() {
        create(Map.of("name", "Bad Name!")).statusCode(400).body("message", containsString("is not valid"));
        create(Map.of("port", 6000)).statusCode(400).body("message", containsString("name is missing"));
        create(Map.of("name", "api-bad", "protocol", "2.0")).statusCode(400)
                .body("message", containsString("'2.0' is not a protocol"));
        create(Map.of("name", "api-bad", "port", 70000)).statusCode(400)
                .body("message", containsString("port=70000 is out of range"));
        create(Map.of("name", "api-bad", "sessionPassword", "x", "protocol", "0.1")).statusCode(400)
                .body("message", containsString("sessionPassword applies to protocol 0.9 only"));
        create(Map.of("name", "api-bad", "maxUsers", -1)).statusCode(400)
                .body("message", containsString("maxUsers=-1"));
        create(Map.of("name", "api-bad", "port", "not a number")).statusCode(400);
        admin().contentType(ContentType.JSON).body("{\"name\": ").post(BASE + "/sessions").then().statusCode(400);
        create(Map.of("name", "default")).statusCode(409).body("message", containsString("exists already"));
        create(Map.of("name", "api-bad", "port", basePort() + 2)).statusCode(409)
                .body("message", containsString("overlap session 'default'"));
        admin().delete(BASE + "/sessions/default").then().statusCode(409)
                .body("message", containsString("cannot be deleted"));
        admin().delete(BASE + "/sessions/api-none").then().statusCode(404)
                .body("message", containsString("no session named 'api-none'"));
        admin().get(BASE + "/sessions/api-none/users").then().statusCode(404);
        assertThat(server().session("api-bad")).isEmpty();
    }

    @Test
    void aPortTakenByAnotherProcessIs409AndLeavesNothingBehind() throws Exception {
        int port = FreePorts.base();
        try (java.net.ServerSocket taken = new java.net.ServerSocket(port + 1)) {
            create(Map.of("name", "api-taken", "port", port)).statusCode(409)
                    .body("message", containsString("Cannot bind port " + (port + 1)));
        }
        assertThat(server().session("api-taken")).isEmpty();
        admin().get(BASE + "/sessions").then().body("name", not(hasItem("api-taken")));
    }

    @Test
    void everySeriesCarriesTheSessionLabelAndADeletedSessionsSeriesGo() {
        String name = "api-metrics";
        try {
            create(Map.of("name", name)).statusCode(201);
            try (TestClient c = new TestClient(port(name), "metrics-user")) {
                assertThat(c.loginAsClient()).isEqualTo("LOBBY");
            }
            // gauges read the figures the engine publishes a few times a second
            await().atMost(WAIT).until(() -> Scrape.now().get(
                    "multiuser_users{session=\"" + name + "\",status=\"lobby\"}") == 1.0);
            Scrape scrape = Scrape.now();
            assertThat(scrape.get("multiuser_logins_total{result=\"accepted\",session=\"" + name + "\"}"))
                    .isEqualTo(1.0);
            assertThat(scrape.written().stream()
                    .filter(s -> s.startsWith("multiuser_") && !s.startsWith("multiuser_server_")
                            && !s.contains("session=\"")).toList())
                    .as("multiuser_ series without a session label (only multiuser_server_ ones are server-wide)")
                    .isEmpty();
            admin().queryParam("force", true).queryParam("purge", true).delete(BASE + "/sessions/{s}", name).then()
                    .statusCode(200);
            assertThat(Scrape.now().series().keySet()).noneMatch(s -> s.contains("session=\"" + name + "\""));
        } finally {
            deleteQuietly(name);
        }
    }
}
