package io.multiuser.server.admin;

import static io.multiuser.server.admin.AdminApi.BASE;
import static io.multiuser.server.admin.AdminApi.PASSWORD;
import static io.multiuser.server.admin.AdminApi.admin;
import static io.multiuser.server.admin.AdminApi.basePort;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

import java.util.Arrays;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.multiuser.server.FreshSession;
import io.multiuser.server.SessionServer;
import io.multiuser.server.persistence.StoreFormat;
import io.multiuser.server.protocol.Node;
import io.multiuser.server.testclient.Nodes;
import io.multiuser.server.testclient.TestClient;
import io.multiuser.server.testclient.TestClient.Block;
import io.quarkus.arc.Arc;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.response.ExtractableResponse;
import io.restassured.response.Response;

/**
 * Export, import and reset over the admin API, and the scene surviving an application restart,
 * on the shared test application (each test starts from, and leaves, an empty session).
 */
@QuarkusTest
class SessionStoreApiTest {

    private static final List<Node> SCENE = Nodes.scene(40, 300, 77);

    private static SessionServer server() {
        return Arc.container().instance(SessionServer.class).get();
    }

    @BeforeEach
    @AfterEach
    void emptySession() {
        FreshSession.restart(server()); // others expect a waiting session or their own scene
    }

    private static void host(List<Node> scene) {
        try (TestClient host = new TestClient(basePort(), "store-host")) {
            assertThat(host.loginAsAdmin(PASSWORD)).isEqualTo("LOBBY");
            host.upload(scene);
        }
        AdminApi.kickIfOnline("store-host"); // gone now, not after the heartbeat timeout (which may come first)
    }

    private static byte[] export() {
        ExtractableResponse<Response> r = given().auth().preemptive().basic("admin", PASSWORD)
                .get(BASE + "/session/export").then().statusCode(200).contentType("application/octet-stream")
                .header("Content-Disposition", containsString(".musession")).extract();
        return r.asByteArray();
    }

    private static io.restassured.response.ValidatableResponse importFile(byte[] file, boolean force) {
        return given().auth().preemptive().basic("admin", PASSWORD).contentType(ContentType.BINARY).body(file)
                .queryParam("force", force).post(BASE + "/session/import").then();
    }

    private static List<String> uuids() {
        return admin().queryParam("size", 500).get(BASE + "/nodes").then().statusCode(200).extract().jsonPath()
                .getList("nodes.uuid", String.class);
    }

    @Test
    void exportResetImportGivesBackTheSameScene() {
        host(SCENE);
        byte[] exported = export();

        admin().post(BASE + "/session/reset").then().statusCode(200).body("nodes", equalTo(0));
        admin().get(BASE + "/session").then().body("state", equalTo("waiting")).body("nodes", equalTo(0));

        importFile(exported, false).statusCode(200).body("nodes", equalTo(SCENE.size()))
                .body("disconnected", equalTo(List.of()));
        admin().get(BASE + "/session").then().body("state", equalTo("active"));
        assertThat(uuids()).isEqualTo(SCENE.stream().map(Node::uuid).toList());
        assertThat(export()).isEqualTo(exported); // same nodes, order, types, dependencies, payloads, owners

        // A joiner gets the imported scene byte for byte.
        try (TestClient joiner = new TestClient(basePort(), "store-joiner")) {
            assertThat(joiner.loginAsClient()).isEqualTo("RUNNING");
            Map<String, Block> blocks = joiner.join();
            for (Node node : SCENE) {
                assertThat(blocks.get(node.uuid()).payload()).isEqualTo(node.payload().toArray());
                assertThat(blocks.get(node.uuid()).dependencies()).isEqualTo(node.dependencies());
            }
        }
    }

    @Test
    void importAndResetAreRefusedWhileUsersAreConnectedUnlessForced() {
        host(SCENE.subList(0, 5));
        byte[] exported = export();
        try (TestClient bob = new TestClient(basePort(), "store-bob")) {
            assertThat(bob.loginAsClient()).isEqualTo("RUNNING");
            importFile(exported, false).statusCode(409).body("message", containsString("store-bob"))
                    .body("message", containsString("force=true"));
            admin().post(BASE + "/session/reset").then().statusCode(409);
            assertThat(uuids()).hasSize(5); // nothing changed

            admin().queryParam("force", true).post(BASE + "/session/reset").then().statusCode(200)
                    .body("disconnected", equalTo(List.of("store-bob")));
            assertThat(bob.await("RepDisconnectCommand").data().toString()).contains("session reset by an admin");
            admin().get(BASE + "/users").then().body("size()", equalTo(0));
            admin().get(BASE + "/session").then().body("state", equalTo("waiting"));
        }
    }

    @Test
    void aDamagedOrForeignFileIsRefusedAndChangesNothing() {
        host(SCENE.subList(0, 8));
        byte[] exported = export();
        byte[] cut = Arrays.copyOf(exported, exported.length - 50);
        importFile(cut, false).statusCode(400).body("message", containsString("damaged at byte"))
                .body("message", containsString("nothing imported"));
        byte[] flipped = exported.clone();
        flipped[exported.length / 2] ^= 1;
        importFile(flipped, false).statusCode(400).body("message", containsString("checksum mismatch"));
        importFile("PK\u0003\u0004 a zip".getBytes(), false).statusCode(400)
                .body("message", containsString("not a session export"));
        assertThat(uuids()).isEqualTo(SCENE.subList(0, 8).stream().map(Node::uuid).toList());
    }

    @Test
    void aFileCutBetweenRecordsOrEmptyIsRefusedAndChangesNothing() {
        host(SCENE.subList(0, 8));
        byte[] exported = export();
        // Without its last record (the state record) every record left is whole: no checksum can tell.
        int stateRecord = StoreFormat.RECORD_OVERHEAD + 2;
        byte[] withoutEnd = Arrays.copyOf(exported, exported.length - stateRecord);
        byte[] firstNodesOnly = Arrays.copyOf(exported, exported.length - stateRecord
                - (int) StoreFormat.putSize(SCENE.get(7)) - (int) StoreFormat.putSize(SCENE.get(6)));
        for (byte[] cut : List.of(withoutEnd, firstNodesOnly)) {
            importFile(cut, true).statusCode(400).body("message", containsString("cut short"))
                    .body("message", containsString("nothing imported"));
        }
        importFile(StoreFormat.header(), true).statusCode(400).body("message", containsString("no records"));
        importFile(new byte[0], true).statusCode(400).body("message", containsString("it is empty"));
        assertThat(uuids()).isEqualTo(SCENE.subList(0, 8).stream().map(Node::uuid).toList());
        importFile(exported, false).statusCode(200).body("nodes", equalTo(8)); // the whole file still imports
    }

    @Test
    void theSceneSurvivesARestartWithOwnersCommon() throws Exception {
        host(SCENE);
        try (TestClient owner = new TestClient(basePort(), "store-owner")) {
            assertThat(owner.loginAsClient()).isEqualTo("RUNNING");
            owner.join();
            String uuid = SCENE.get(0).uuid();
            owner.send("store-owner", "RepRightCommand", TestClient.map("uuid", uuid, "owner", "store-owner"));
            byte[] edited = new byte[] {1, 2, 3};
            owner.push(new Node(uuid, "store-owner", SCENE.get(0).type(), SCENE.get(0).dependencies(), edited));
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10)).until(() -> admin()
                    .get(BASE + "/nodes").then().extract().jsonPath().getString("nodes[0].owner").equals("store-owner"));
        }
        admin().get(BASE + "/session").then().body("store.directory", containsString("quarkus-test-store"));

        FreshSession.restartKeepingScene(server()); // as a dev-mode reload or a clean stop: everything is written

        admin().get(BASE + "/session").then().statusCode(200).body("state", equalTo("active"))
                .body("nodes", equalTo(SCENE.size())).body("users", equalTo(0));
        assertThat(uuids()).isEqualTo(SCENE.stream().map(Node::uuid).toList());
        admin().get(BASE + "/nodes").then().body("nodes.owner", org.hamcrest.Matchers.everyItem(equalTo("COMMON")));
        try (TestClient joiner = new TestClient(basePort(), "store-after-restart")) {
            assertThat(joiner.loginAsClient()).isEqualTo("RUNNING");
            assertThat(joiner.join().get(SCENE.get(0).uuid()).payload()).containsExactly(1, 2, 3);
        }
    }

    @Test
    void exportNeedsTheAdminSecret() {
        given().get(BASE + "/session/export").then().statusCode(401);
        given().contentType(ContentType.BINARY).body(new byte[] {1}).post(BASE + "/session/import").then()
                .statusCode(401);
        given().post(BASE + "/session/reset").then().statusCode(401);
    }

    @Test
    void theStoreIsInTheMetrics() {
        host(SCENE.subList(0, 3));
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10)).untilAsserted(() -> {
            String scrape = given().get("/q/metrics").then().statusCode(200).extract().asString();
            assertThat(metric(scrape, "multiuser_store_size_bytes")).isGreaterThan(3 * 300);
            assertThat(metric(scrape, "multiuser_store_healthy")).isEqualTo(1.0);
            assertThat(metric(scrape, "multiuser_store_last_flush_seconds"))
                    .isBetween(System.currentTimeMillis() / 1000.0 - 60, System.currentTimeMillis() / 1000.0 + 1);
            assertThat(metric(scrape, "multiuser_store_write_seconds_count")).isGreaterThan(0);
        });
    }

    private static double metric(String scrape, String name) {
        return scrape.lines().filter(l -> l.startsWith(name + " ") || l.startsWith(name + "{"))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).findFirst()
                .orElseThrow(() -> new AssertionError(name + " not in the scrape"));
    }
}
