package io.multiuser.server;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import io.multiuser.server.console.ConsoleCommands;
import io.quarkus.test.junit.QuarkusTest;

/** The protocol the session speaks is visible to admins: readiness data and the console (the API: AdminApiTest). */
@QuarkusTest
class ProtocolShownTest {

    @Inject
    ConsoleCommands console;

    @Test
    void readinessNamesTheProtocol() {
        given().get("/q/health/ready").then().statusCode(200)
                .body("checks.find { it.name == 'session-ports' }.data.protocol", equalTo("0.1"));
    }

    @Test
    void theConsoleHelpStartsWithTheSessionLine() {
        assertThat(console.run("help").text().lines().findFirst().orElseThrow())
                .isEqualTo("Session: protocol 0.1 (add-on 2020, four ports P..P+3), public, client versions 0.1.25");
    }
}
