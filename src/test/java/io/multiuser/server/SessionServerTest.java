package io.multiuser.server;

import static org.assertj.core.api.Assertions.assertThat;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import io.multiuser.server.testclient.TestClient;
import io.quarkus.test.junit.QuarkusTest;

/** The Quarkus application: config mapping, startup event, engine bean, on the test profile's port. */
@QuarkusTest
class SessionServerTest {

    @Inject
    SessionServer server;

    @Test
    void theEngineIsStartedOnStartupWithTheConfiguredPortAndPassword() {
        assertThat(server.engine()).isNotNull();
        assertThat(server.engine().isRunning()).isTrue();
        int port = server.engine().basePort();
        assertThat(port).isBetween(20_000, 60_000); // the test profile asks for any free ports
        try (TestClient admin = new TestClient(port, "quarkus-admin")) {
            assertThat(admin.loginAsAdmin("wrong")).isEqualTo("FAILED: wrong password");
            assertThat(admin.loginAsAdmin("quarkus-test-password")).isEqualTo("LOBBY");
        }
    }
}
