package io.multiuser.server.admin;

import static io.multiuser.server.admin.AdminApi.BASE;
import static io.multiuser.server.admin.AdminApi.PASSWORD;
import static io.restassured.RestAssured.given;

import java.util.Map;

import org.junit.jupiter.api.Test;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;

/** With multiuser.admin.token set, the token and only the token opens the admin API. */
@QuarkusTest
@TestProfile(AdminTokenTest.WithToken.class)
class AdminTokenTest {

    static final String TOKEN = "api-token-123";

    public static class WithToken implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("multiuser.admin.token", TOKEN);
        }
    }

    @Test
    void theTokenWorksAsBearerAndAsBasicPassword() {
        given().header("Authorization", "Bearer " + TOKEN).get(BASE + "/users").then().statusCode(200);
        given().auth().preemptive().basic("admin", TOKEN).get(BASE + "/users").then().statusCode(200);
    }

    @Test
    void theAdminPasswordNoLongerOpensTheApi() {
        given().header("Authorization", "Bearer " + PASSWORD).get(BASE + "/users").then().statusCode(403);
        given().auth().preemptive().basic("admin", PASSWORD).get(BASE + "/users").then().statusCode(403);
    }
}
