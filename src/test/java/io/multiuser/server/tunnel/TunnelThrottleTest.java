package io.multiuser.server.tunnel;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.startsWith;

import java.util.HashMap;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.multiuser.server.security.ServerSecurity;
import io.quarkus.arc.Arc;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.specification.RequestSpecification;

/** Guessing tokens is throttled per address like guessing passwords: 429 before the token is even looked at. */
@QuarkusTest
@TestProfile(TunnelThrottleTest.Strict.class)
class TunnelThrottleTest {

    public static class Strict implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            Map<String, String> config = new HashMap<>(TunnelHttps.TUNNEL_ON);
            config.put("multiuser.security.login-failures-per-minute", "3");
            // long enough that the checks below always fall inside the block, however slow the machine
            config.put("multiuser.security.first-block-seconds", "30");
            return config;
        }
    }

    private static RequestSpecification admin() {
        return given().auth().preemptive().basic("admin", "quarkus-test-password");
    }

    @Test
    void wrongTokensAreThrottledAndAudited() {
        admin().get("/admin/api/audit").then().statusCode(200); // the admin API answers before
        for (int i = 0; i < 3; i++) {
            TunnelHttps.https().header("Authorization", "Bearer mut_guess" + i).get("/tunnel/default/info").then()
                    .statusCode(401);
        }
        // the third failure in the minute blocked the address for 30 s. One throttle for the whole server:
        // the admin API from this address waits too ...
        admin().get("/admin/api/audit").then().statusCode(429);
        // ... and so does the tunnel, whatever the token
        TunnelHttps.https().header("Authorization", "Bearer mut_guess3").get("/tunnel/default/info").then().statusCode(429)
                .header("Retry-After", "30").body("message", startsWith("too many refused tunnel requests"));
        String audit = Arc.container().instance(ServerSecurity.class).get().audit().recent(50).toString();
        assertThat(audit).contains("tunnel-refused").contains("address blocked for 30 s").doesNotContain("mut_guess");
    }
}
