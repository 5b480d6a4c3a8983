package io.multiuser.server.security;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.multiuser.server.SessionServer;
import io.multiuser.server.testclient.TestClient;
import io.quarkus.arc.Arc;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.specification.RequestSpecification;

/** Bans and the audit trail on the shared test application, with real protocol clients. */
@QuarkusTest
class SecurityApiTest {

    private static final String PASSWORD = "quarkus-test-password";
    private static final String BASE = "/admin/api";
    private static final Duration WAIT = Duration.ofSeconds(10);

    private static RequestSpecification admin() {
        return given().auth().preemptive().basic("admin", PASSWORD).accept(ContentType.JSON);
    }

    private static int port() {
        return Arc.container().instance(SessionServer.class).get().engine().basePort();
    }

    private static String ban(Map<String, Object> body) {
        return admin().contentType(ContentType.JSON).body(body).post(BASE + "/bans").then().statusCode(201)
                .extract().path("ban.id");
    }

    @Test
    void aBannedNameIsKickedRefusedWithTheReasonAndLetInAgainOnceLifted() throws Exception {
        try (TestClient mallory = new TestClient(port(), "sec-mallory")) {
            assertThat(mallory.loginAsClient()).isIn("LOBBY", "RUNNING");
            String id = admin().contentType(ContentType.JSON)
                    .body(Map.of("user", "sec-mallory", "reason", "spamming the chat", "minutes", 60))
                    .post(BASE + "/bans").then().statusCode(201)
                    .body("ban.user", equalTo("sec-mallory")).body("kicked", equalTo(List.of("default/sec-mallory")))
                    .extract().path("ban.id");
            assertThat(mallory.await("RepDisconnectCommand").data()).isEqualTo(Map.of("reason", "kicked by admin"));
            try {
                admin().get(BASE + "/bans").then().statusCode(200).body("id", hasItem(id));
                try (TestClient again = new TestClient(port(), "sec-mallory")) {
                    assertThat(again.loginAsClient()).startsWith("FAILED: banned from this server: spamming the chat");
                }
                Path file = Path.of(Arc.container().instance(SessionServer.class).get().store().directory().toString(),
                        Bans.FILE);
                assertThat(Files.readString(file)).contains("sec-mallory").contains(id); // it survives a restart
            } finally {
                admin().delete(BASE + "/bans/{id}", id).then().statusCode(200);
            }
            try (TestClient back = new TestClient(port(), "sec-mallory")) {
                assertThat(back.loginAsClient()).isIn("LOBBY", "RUNNING");
            }
            admin().post(BASE + "/users/sec-mallory/kick");
        }
        admin().delete(BASE + "/bans/nope").then().statusCode(404).body("message", containsString("no ban with id"));
    }

    @Test
    void aBannedAddressIsRefusedForEveryName() {
        String id = ban(Map.of("address", "127.0.0.1/32", "user", "sec-eve"));
        try (TestClient eve = new TestClient(port(), "sec-eve")) {
            assertThat(eve.loginAsClient()).startsWith("FAILED: banned from this server");
        } finally {
            admin().delete(BASE + "/bans/{id}", id).then().statusCode(200);
        }
        admin().contentType(ContentType.JSON).body(Map.of("address", "not-an-address")).post(BASE + "/bans").then()
                .statusCode(400).body("message", containsString("is not a network range"));
        admin().contentType(ContentType.JSON).body(Map.of("reason", "nothing")).post(BASE + "/bans").then()
                .statusCode(400).body("message", containsString("give a user name"));
    }

    @Test
    void adminActionsAndRefusalsGoToTheAuditTrailAndItsFileWithoutSecrets() throws Exception {
        try (TestClient guess = new TestClient(port(), "sec-guesser")) {
            assertThat(guess.loginAsAdmin("not-the-password")).startsWith("FAILED");
        }
        given().auth().preemptive().basic("admin", "wrong-secret").get(BASE + "/users").then().statusCode(403);
        String id = ban(Map.of("user", "sec-audited"));
        admin().delete(BASE + "/bans/{id}", id).then().statusCode(200);

        await().atMost(WAIT).untilAsserted(() -> admin().get(BASE + "/audit").then().statusCode(200)
                .body("kind", hasItem("login-refused")).body("kind", hasItem("api-auth-refused"))
                .body("kind", hasItem("ban")).body("kind", hasItem("unban")));
        Path file = Path.of(Arc.container().instance(SessionServer.class).get().store().directory().toString(),
                AuditLog.FILE);
        await().atMost(WAIT).until(() -> Files.exists(file) && Files.readString(file).contains("sec-audited"));
        String trail = Files.readString(file);
        assertThat(trail.lines()).allSatisfy(line -> assertThat(line).startsWith("{\"at\":\""));
        assertThat(trail).contains("sec-guesser").doesNotContain("not-the-password").doesNotContain("wrong-secret")
                .doesNotContain(PASSWORD);
    }

    @Test
    void aSessionsAddressListsAreCheckedAtTheHandshakeAndChangeAtRunTime() throws Exception {
        String name = "sec-net";
        try {
            admin().contentType(ContentType.JSON).body(Map.of("name", name, "deny", "127.0.0.1")).post(BASE + "/sessions")
                    .then().statusCode(201).body("deny", equalTo("127.0.0.1"));
            int sessionPort = admin().get(BASE + "/sessions/{s}", name).then().extract().path("ports.commands");
            String refused = "multiuser_connections_refused_total{session=\"" + name + "\"}";
            try (TestClient outsider = new TestClient(sessionPort, "sec-outsider")) {
                // refused at the handshake: no protocol answer, only the count
                await().atMost(WAIT).until(() -> io.multiuser.server.observability.Scrape.now().get(refused) >= 1);
            }
            admin().contentType(ContentType.JSON).body(Map.of("allow", "10.0.0.0/8, nonsense")).put(
                    BASE + "/sessions/{s}/network", name).then().statusCode(400)
                    .body("message", containsString("nonsense"));
            admin().contentType(ContentType.JSON).body(Map.of("allow", "127.0.0.0/8, ::1", "deny", ""))
                    .put(BASE + "/sessions/{s}/network", name).then().statusCode(200)
                    .body("allow", equalTo("127.0.0.0/8, ::1")).body("deny", equalTo(""));
            try (TestClient insider = new TestClient(sessionPort, "sec-insider")) {
                assertThat(insider.loginAsClient()).isEqualTo("LOBBY");
            }
            Path spec = Arc.container().instance(SessionServer.class).get().session(name).orElseThrow().storeSettings()
                    .orElseThrow().directory().resolve("session.properties");
            assertThat(Files.readString(spec)).contains("allow=127.0.0.0/8, \\:\\:1"); // remembered for the next start
            admin().get(BASE + "/audit").then().body("kind", hasItem("network"));
        } finally {
            admin().queryParam("force", true).queryParam("purge", true).delete(BASE + "/sessions/{s}", name);
        }
    }
}
