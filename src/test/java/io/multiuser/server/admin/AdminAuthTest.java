package io.multiuser.server.admin;

import static io.multiuser.server.admin.AdminApi.BASE;
import static io.multiuser.server.admin.AdminApi.PASSWORD;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

import java.util.List;
import java.util.Map;

import org.assertj.core.api.InstanceOfAssertFactories;
import org.junit.jupiter.api.Test;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;

/** Who may call the admin API, and what stays open. */
@QuarkusTest
class AdminAuthTest {

    /** Every endpoint, as [method, path]. */
    private static final List<String[]> ENDPOINTS = List.of(
            new String[] {"GET", "/users"}, new String[] {"POST", "/users/someone/kick"},
            new String[] {"GET", "/session"}, new String[] {"GET", "/nodes"}, new String[] {"POST", "/stop"},
            new String[] {"GET", "/help"});

    @Test
    void everyEndpointWithoutCredentialsIs401WithABasicChallenge() {
        for (String[] e : ENDPOINTS) {
            given().request(e[0], BASE + e[1]).then().statusCode(401)
                    .header("WWW-Authenticate", "Basic realm=\"multi-user-server\"")
                    .contentType("application/json").body("message", containsString("credentials required"));
        }
    }

    @Test
    void everyEndpointWithWrongCredentialsIs403() {
        for (String[] e : ENDPOINTS) {
            given().auth().preemptive().basic("admin", "wrong").request(e[0], BASE + e[1]).then().statusCode(403)
                    .body("message", equalTo("wrong credentials"));
            given().header("Authorization", "Bearer wrong").request(e[0], BASE + e[1]).then().statusCode(403);
        }
    }

    @Test
    void anUnknownSchemeOrAnUnreadableBasicValueIsTreatedAsNoCredentials() {
        given().header("Authorization", "Digest username=admin").get(BASE + "/users").then().statusCode(401);
        given().header("Authorization", "Basic !!!").get(BASE + "/users").then().statusCode(401);
    }

    @Test
    void basicWithAnyUserNameAndTheAdminPasswordIsAccepted() {
        given().auth().preemptive().basic("anyone", PASSWORD).get(BASE + "/session").then().statusCode(200);
        // A client that waits for the challenge (curl -u, browsers) gets in on its second request.
        given().auth().basic("admin", PASSWORD).get(BASE + "/session").then().statusCode(200);
    }

    @Test
    void bearerWithTheAdminPasswordIsAccepted() {
        given().header("Authorization", "Bearer " + PASSWORD).get(BASE + "/users").then().statusCode(200);
    }

    @Test
    void theFilterGuardsOnlyTheAdminApi() {
        given().get("/test-probe").then().statusCode(200).body(equalTo("open"));
    }

    @Test
    void theOpenApiDocumentIsOpenAndDeclaresTheSecurityOfEveryEndpoint() {
        JsonPath doc = given().queryParam("format", "json").get("/q/openapi").then().statusCode(200)
                .contentType("application/json").extract().jsonPath();
        assertThat(doc.getString("info.title")).isEqualTo("multi-user-server admin API");
        assertThat(doc.getMap("components.securitySchemes.basic")).containsEntry("type", "http")
                .containsEntry("scheme", "basic");
        assertThat(doc.getMap("components.securitySchemes.bearer")).containsEntry("scheme", "bearer");
        Map<String, Map<String, Map<String, Object>>> paths = new java.util.HashMap<>(doc.getMap("paths"));
        paths.keySet().removeIf(path -> !path.startsWith(BASE)); // test-only resources are documented too
        assertThat(paths.keySet()).containsExactlyInAnyOrder(BASE + "/users", BASE + "/users/{name}/kick",
                BASE + "/session", BASE + "/nodes", BASE + "/stop", BASE + "/help", BASE + "/session/export",
                BASE + "/session/import", BASE + "/session/reset", BASE + "/sessions", BASE + "/sessions/{session}",
                BASE + "/sessions/{session}/users", BASE + "/sessions/{session}/users/{name}/kick",
                BASE + "/sessions/{session}/nodes", BASE + "/sessions/{session}/export",
                BASE + "/sessions/{session}/import", BASE + "/sessions/{session}/reset",
                BASE + "/sessions/{session}/activity", BASE + "/sessions/{session}/scene", BASE + "/sessions/{session}/live",
                BASE + "/bans", BASE + "/bans/{id}", BASE + "/audit", BASE + "/sessions/{session}/network",
                BASE + "/sessions/{session}/tokens", BASE + "/sessions/{session}/tokens/{id}");
        assertThat(paths.get(BASE + "/sessions").keySet()).containsExactlyInAnyOrder("get", "post");
        assertThat(paths.get(BASE + "/sessions/{session}").keySet()).containsExactlyInAnyOrder("get", "delete");
        paths.forEach((path, operations) -> operations.forEach((method, operation) -> {
            assertThat(operation.get("security")).as("%s %s", method, path)
                    .isEqualTo(List.of(Map.of("basic", List.of()), Map.of("bearer", List.of())));
            assertThat(operation.get("summary")).as("%s %s", method, path).isNotNull();
            assertThat(operation.get("responses")).as("%s %s", method, path)
                    .asInstanceOf(InstanceOfAssertFactories.MAP).containsKeys("401", "403");
        }));
        // Shared answers are described once and referenced: the engine-backed calls document their 503.
        assertThat(doc.getString("components.responses.EngineUnavailable.description")).contains("engine");
        assertThat(doc.getString("paths.'" + BASE + "/users'.get.responses.'503'.$ref"))
                .isEqualTo("#/components/responses/EngineUnavailable");
        assertThat(doc.getString("paths.'" + BASE + "/session/import'.post.responses.'409'.$ref"))
                .isEqualTo("#/components/responses/UsersConnected");
        given().get("/q/openapi").then().statusCode(200).contentType(containsString("yaml"))
                .body(containsString("/admin/api/users/{name}/kick"));
    }

    @Test
    void theSwaggerUiIsOpen() {
        given().get("/q/swagger-ui/").then().statusCode(200).contentType(containsString("text/html"))
                .body(containsString("/q/openapi"));
    }
}
