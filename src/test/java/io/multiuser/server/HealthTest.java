package io.multiuser.server;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import io.quarkus.test.junit.QuarkusTest;

/** Liveness follows the engine loop, readiness the four ports (test profile: 1 s stall limit). */
@QuarkusTest
class HealthTest {

    @Inject
    SessionServer server;

    @Test
    void allChecksAreUpWhileTheEngineServes() {
        int port = server.engine().basePort();
        given().get("/q/health/live").then().statusCode(200).body("status", equalTo("UP"))
                .body("checks.name", hasItem("engine-loop"));
        given().get("/q/health/ready").then().statusCode(200).body("status", equalTo("UP"))
                .body("checks.find { it.name == 'session-ports' }.data.ports", equalTo(port + "-" + (port + 3)));
        given().get("/q/health/started").then().statusCode(200).body("status", equalTo("UP"));
    }

    @Test
    void aStalledEngineLoopFailsLiveness() {
        CompletableFuture<Object> stall = server.engine().call(session -> {
            try {
                Thread.sleep(2500); // the loop cannot turn while it runs this
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return null;
        });
        await().atMost(Duration.ofSeconds(3)).pollInterval(Duration.ofMillis(100)).untilAsserted(() ->
                given().get("/q/health/live").then().statusCode(503).body("status", equalTo("DOWN"))
                        .body("checks.find { it.name == 'engine-loop' }.status", equalTo("DOWN")));
        stall.join();
        await().atMost(Duration.ofSeconds(3)).untilAsserted(() ->
                given().get("/q/health/live").then().statusCode(200));
    }

    @Test
    void unboundPortsFailReadiness() {
        server.onStop(null);
        try {
            given().get("/q/health/ready").then().statusCode(503)
                    .body("checks.find { it.name == 'session-ports' }.data.bound", equalTo(false));
            given().get("/q/health/live").then().statusCode(503);
        } finally {
            server.onStart(null);
        }
        given().get("/q/health/ready").then().statusCode(200);
    }
}
