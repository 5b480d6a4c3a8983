package io.multiuser.server.admin;

import static io.restassured.RestAssured.given;

import java.util.List;

import io.multiuser.server.SessionServer;
import io.multiuser.server.protocol.Node;
import io.multiuser.server.testclient.Nodes;
import io.multiuser.server.testclient.TestClient;
import io.quarkus.arc.Arc;
import io.restassured.http.ContentType;
import io.restassured.specification.RequestSpecification;

/**
 * Helpers for tests against the @QuarkusTest application, which every test class of the test
 * profile shares: one engine, one session. The scene is uploaded once; no test adds or deletes nodes.
 */
final class AdminApi {

    static final String PASSWORD = "quarkus-test-password";
    static final String BASE = "/admin/api";
    /** 25 nodes of 100 bytes, each depending on the one before. */
    static final List<Node> SCENE = Nodes.scene(25, 100, 4242);

    private AdminApi() {
    }

    /** The ports the engine bound (a configured 0 lets it pick them). */
    static int basePort() {
        return Arc.container().instance(SessionServer.class).get().engine().basePort();
    }

    /** A request with the admin password, sent with the first request (no challenge round trip). */
    static RequestSpecification admin() {
        return given().auth().preemptive().basic("admin", PASSWORD).accept(ContentType.JSON);
    }

    /** Uploads {@link #SCENE} unless the session already holds it; the session is ACTIVE afterwards. */
    static synchronized List<Node> scene() {
        String state = admin().get(BASE + "/session").then().statusCode(200).extract().path("state");
        if (state.equals("waiting")) {
            try (TestClient host = new TestClient(basePort(), "scene-host")) {
                if (!host.loginAsAdmin(PASSWORD).equals("LOBBY")) {
                    throw new AssertionError("scene host was not put in the lobby");
                }
                host.upload(SCENE);
            }
            // Gone now rather than after the heartbeat timeout: later tests see only their own users.
            admin().post(BASE + "/users/scene-host/kick").then().statusCode(200);
        }
        List<String> uuids = admin().queryParam("size", 500).get(BASE + "/nodes").then().statusCode(200).extract()
                .jsonPath().getList("nodes.uuid", String.class);
        if (!uuids.equals(SCENE.stream().map(Node::uuid).toList())) {
            throw new AssertionError("the shared session holds another scene (" + state + ", " + uuids.size()
                    + " nodes): a test changed it");
        }
        return SCENE;
    }

    /** Cleanup of a user a test logged in (closing a client leaves it online until the heartbeat timeout). */
    static void kickIfOnline(String name) {
        admin().post(BASE + "/users/{name}/kick", name).then().statusCode(org.hamcrest.Matchers.oneOf(200, 404));
    }
}
