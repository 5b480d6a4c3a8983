package io.multiuser.server.tunnel;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.startsWith;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;

import org.junit.jupiter.api.Test;

import io.multiuser.server.SessionServer;
import io.multiuser.server.connector.Connector;
import io.multiuser.server.connector.ConnectorOptions;
import io.multiuser.server.protocol.Node;
import io.multiuser.server.testclient.FreePorts;
import io.multiuser.server.testclient.Nodes;
import io.multiuser.server.testclient.TestClient;
import io.multiuser.server.testclient.TestClient09;
import io.quarkus.arc.Arc;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import io.restassured.specification.RequestSpecification;

/**
 * The tunnel end to end, on real sockets and real TLS 1.3: the server with the tunnel on and its
 * self-signed certificate, the connector in this JVM, and unmodified-protocol test clients of both
 * generations talking to the connector's local ports as Blender would. A recording relay sits
 * between connector and server where the network would be.
 */
@QuarkusTest
@TestProfile(TunnelTest.Tunnel.class)
class TunnelTest {

    static final String PASSWORD = "quarkus-test-password";
    static final Duration WAIT = Duration.ofSeconds(15);
    /** The tests' own throttle (the test configuration allows 1,000 for everything else). */
    static final int FAILURES_PER_MINUTE = 30;

    public static class Tunnel implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            Map<String, String> config = new HashMap<>(TunnelHttps.TUNNEL_ON);
            config.put("multiuser.security.login-failures-per-minute", String.valueOf(FAILURES_PER_MINUTE));
            config.put("multiuser.sessions.v09.port", "0");
            config.put("multiuser.sessions.v09.protocol", "0.9");
            return config;
        }
    }

    private static RequestSpecification admin() {
        return given().auth().preemptive().basic("admin", PASSWORD).accept(ContentType.JSON);
    }

    private static int basePort(String session) {
        return Arc.container().instance(SessionServer.class).get().session(session).orElseThrow().basePort();
    }

    /** A token made the admin's way; the answer also carries the fingerprint and the connect command. */
    private static JsonPath token(String session, String label, Long expiresInSeconds) {
        return admin().contentType(ContentType.JSON)
                .body(expiresInSeconds == null ? Map.of("label", label) : Map.of("label", label, "expiresInSeconds",
                        expiresInSeconds))
                .post("/admin/api/sessions/" + session + "/tokens").then().statusCode(201).extract().jsonPath();
    }

    /** A connector like {@code connect wss://127.0.0.1:PORT/tunnel/SESSION --token T --fingerprint F --local-port L}. */
    private static Connector connector(int serverPort, String session, String token, String fingerprint, int localPort,
            PrintStream out) throws Exception {
        ConnectorOptions options = ConnectorOptions.parse(new String[] {"wss://127.0.0.1:" + serverPort + "/tunnel/" + session,
            "--token", token, "--fingerprint", fingerprint, "--local-port", String.valueOf(localPort)}, null);
        Connector c = new Connector(options, out);
        c.start();
        return c;
    }

    private static final class Output {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        final PrintStream stream = new PrintStream(bytes, true, StandardCharsets.UTF_8);

        String text() {
            return bytes.toString(StandardCharsets.UTF_8);
        }
    }

    private static List<String> users(String session) {
        return admin().get("/admin/api/sessions/" + session + "/users").then().statusCode(200).extract().jsonPath()
                .getList("name");
    }

    @Test
    void protocol01ThroughTheTunnelAsDirectlyAndNothingReadableOnTheWire() throws Exception {
        JsonPath created = token("default", "alice", null);
        String token = created.getString("token");
        String fingerprint = created.getString("fingerprint");
        assertThat(token).startsWith("mut_");
        assertThat(fingerprint).startsWith("SHA256:");
        assertThat(created.getString("connect")).contains("connect wss://").contains("/tunnel/default --token " + token)
                .contains("--fingerprint " + fingerprint);
        // the token is shown once: the list never has it
        assertThat(admin().get("/admin/api/sessions/default/tokens").asString()).doesNotContain(token).contains("alice");

        int direct = basePort("default");
        int local = FreePorts.base();
        Output out = new Output();
        try (RecordingRelay relay = new RecordingRelay(TunnelHttps.port());
                Connector connector = connector(relay.port(), "default", token, fingerprint, local, out.stream)) {
            assertThat(connector.awaitReady(WAIT)).as(out.text()).isTrue();
            assertThat(out.text()).contains("Connected to session default (protocol 0.1). In Blender, connect to IP"
                    + " 127.0.0.1, port " + local + ".");

            List<Node> scene = Nodes.scene(5, 2000, 18);
            try (TestClient host = new TestClient(local, "tunnel-host");
                    TestClient joiner = new TestClient(direct, "direct-joiner")) {
                // log in and upload through the tunnel; a direct client joins and sees it all
                assertThat(host.loginAsAdmin(PASSWORD)).isIn("LOBBY", "RUNNING");
                if (users("default").size() == 1) {
                    admin().queryParam("force", true).post("/admin/api/session/reset").then().statusCode(200);
                }
                host.upload(scene);
                assertThat(joiner.loginAsClient()).isEqualTo("RUNNING");
                assertThat(joiner.join().keySet()).containsAll(scene.stream().map(Node::uuid).toList());

                // edits both ways
                Node fromTunnel = Nodes.edited(scene.get(0), "edited through the tunnel".getBytes(StandardCharsets.UTF_8));
                host.push(fromTunnel);
                assertThat(joiner.awaitBlock(b -> b.uuid().equals(fromTunnel.uuid()), WAIT)).isNotNull();
                Node fromDirect = Nodes.edited(scene.get(1), "edited directly".getBytes(StandardCharsets.UTF_8));
                joiner.push(fromDirect);
                assertThat(host.awaitBlock(b -> b.uuid().equals(fromDirect.uuid()), WAIT)).isNotNull();

                // a late joiner through the tunnel gets the whole scene
                try (TestClient late = new TestClient(local, "tunnel-late")) {
                    assertThat(late.loginAsClient()).isEqualTo("RUNNING");
                    assertThat(late.join().keySet()).containsAll(scene.stream().map(Node::uuid).toList());
                    assertThat(users("default")).contains("tunnel-host", "direct-joiner", "tunnel-late");

                    // a tunnelled client that stops answering heartbeats times out as a direct one does (3 s)
                    late.answerPings(false);
                    await().atMost(WAIT).until(() -> !users("default").contains("tunnel-late"));
                    assertThat(users("default")).contains("tunnel-host", "direct-joiner");
                }
            }
            byte[] wire = relay.recorded();
            assertThat(wire.length).as("the relay saw the traffic").isGreaterThan(10_000);
            String seen = new String(wire, StandardCharsets.ISO_8859_1);
            for (String secret : List.of(PASSWORD, token, "tunnel-host", "tunnel-late", "ADMIN", "LOGIN", "RepUpdateClientsState",
                    "ReqLogin", "0.1.25", "edited through the tunnel", "edited directly", scene.get(2).uuid(), "/tunnel/default",
                    "Authorization", "Bearer")) {
                assertThat(seen).as("plaintext '%s' on the wire", secret).doesNotContain(secret);
            }
        }
    }

    @Test
    void protocol09ThroughTheTunnel() throws Exception {
        JsonPath created = token("v09", "bob", 3600L);
        int direct = basePort("v09");
        int local = FreePorts.base();
        Output out = new Output();
        try (Connector connector = connector(TunnelHttps.port(), "v09", created.getString("token"),
                created.getString("fingerprint"), local, out.stream)) {
            assertThat(connector.awaitReady(WAIT)).as(out.text()).isTrue();
            assertThat(out.text()).contains("Connected to session v09 (protocol 0.9). In Blender, connect to IP 127.0.0.1,"
                    + " port " + local + ".");
            assertThat(connector.protocol()).isEqualTo("0.9");
            try (TestClient09 host = new TestClient09(local, "tunnel-host09");
                    TestClient09 second = new TestClient09(direct, "direct09")) {
                assertThat(host.login(true, PASSWORD, "", TestClient09.VERSION)).isEqualTo("LOBBY");
                assertThat(host.upload(List.of(new TestClient09.NodeData("tunnel-node-1", "COMMON", List.of(),
                        TestClient09.nodeData("tunnel-node-1", "Mesh", "tunnelled", 70_000))))).isEqualTo("DONE");
                assertThat(second.login(false, "", "", TestClient09.VERSION)).isEqualTo("RUNNING");
                second.join();
                assertThat(second.replica()).containsKey("tunnel-node-1");

                host.pushCommit("tunnel-node-1", List.of(), TestClient09.appendDelta(1, 7));
                assertThat(second.awaitDatablock(d -> d.uuid().equals("tunnel-node-1") && d.type() == TestClient09.COMMIT,
                        WAIT)).isNotNull();

                try (TestClient09 late = new TestClient09(local, "late09")) {
                    assertThat(late.login(false, "", "", TestClient09.VERSION)).isEqualTo("RUNNING");
                    late.join();
                    assertThat(late.replicaDigest()).isEqualTo(second.replicaDigest());
                    assertThat(users("v09")).contains("tunnel-host09", "direct09", "late09");
                    late.stopHeartbeat(); // the heartbeat process dies: dropped after the timeout, as directly
                    await().atMost(WAIT).until(() -> !users("v09").contains("late09"));
                }
            }
        }
    }

    /**
     * Two artists on two machines (two loopback addresses, through relays that connect from them): the
     * session knows each by their own address, one's wrong passwords block that address only, and a
     * banned address is refused before its tunnel opens, though every stream reaches the session from
     * the tunnel's loopback end.
     */
    @Test
    void tunnelledArtistsAreKnownByTheirOwnAddresses() throws Exception {
        JsonPath created = token("default", "carol", null);
        String token = created.getString("token");
        String fingerprint = created.getString("fingerprint");
        try (RecordingRelay fromA = new RecordingRelay(TunnelHttps.port(), InetAddress.getByName("127.0.0.2"));
                RecordingRelay fromB = new RecordingRelay(TunnelHttps.port(), InetAddress.getByName("127.0.0.3"))) {
            int localA = FreePorts.base();
            Output outA = new Output();
            try (Connector a = connector(fromA.port(), "default", token, fingerprint, localA, outA.stream)) {
                assertThat(a.awaitReady(WAIT)).as(outA.text()).isTrue();
                int localB = FreePorts.base();
                Output outB = new Output();
                try (Connector b = connector(fromB.port(), "default", token, fingerprint, localB, outB.stream);
                        TestClient guesser = new TestClient(localA, "addr-guesser")) {
                    assertThat(b.awaitReady(WAIT)).as(outB.text()).isTrue();
                    try (TestClient alice = new TestClient(localB, "addr-alice")) {
                        assertThat(alice.loginAsClient()).isIn("LOBBY", "RUNNING");
                        assertThat(address("addr-alice")).as("the admin sees the artist's address").startsWith("127.0.0.3:");
                    }
                    for (int i = 1; i <= FAILURES_PER_MINUTE; i++) {
                        assertThat(guesser.loginAsAdmin("guess-" + i)).as("attempt %d", i).isEqualTo("FAILED: wrong password");
                    }
                    assertThat(guesser.loginAsAdmin("guess-more"))
                            .startsWith("FAILED: too many wrong passwords from this address");
                    assertThat(guesser.loginAsAdmin(PASSWORD)).as("even the right one, while blocked")
                            .startsWith("FAILED: too many wrong passwords");
                    try (TestClient other = new TestClient(localB, "addr-bob")) {
                        assertThat(other.loginAsAdmin(PASSWORD)).as("another artist's address is not blocked")
                                .isIn("LOBBY", "RUNNING");
                    }
                }
            }
        }
        String ban = admin().contentType(ContentType.JSON).body(Map.of("address", "127.0.0.4", "reason", "tunnel test"))
                .post("/admin/api/bans").then().statusCode(201).extract().path("ban.id");
        try (RecordingRelay fromBanned = new RecordingRelay(TunnelHttps.port(), InetAddress.getByName("127.0.0.4"));
                Connector banned = connector(fromBanned.port(), "default", token, fingerprint, FreePorts.base(),
                        new Output().stream)) {
            assertExit(banned, Connector.EXIT_TOKEN_REFUSED, "connect: the server does not accept connections from"
                    + " your address (403)");
        } finally {
            admin().delete("/admin/api/bans/{id}", ban).then().statusCode(200);
        }
    }

    private static String address(String user) {
        return admin().get("/admin/api/sessions/default/users").then().statusCode(200).extract().jsonPath()
                .getString("find { it.name == '" + user + "' }.address");
    }

    @Test
    void refusalsAreClearAndEndTheConnector() throws Exception {
        String fingerprint = token("default", "probe", null).getString("fingerprint");
        // unknown token
        assertExit(connector(TunnelHttps.port(), "default", "mut_not-a-token", fingerprint, FreePorts.base(),
                new Output().stream),
                Connector.EXIT_UNKNOWN_TOKEN,
                "connect: the server does not know this token (401). Ask your admin for a new one.");
        // revoked
        JsonPath revoked = token("default", "carol", null);
        admin().delete("/admin/api/sessions/default/tokens/" + revoked.getString("info.id")).then().statusCode(200)
                .body("state", equalTo("revoked"));
        assertExit(connector(TunnelHttps.port(), "default", revoked.getString("token"), fingerprint, FreePorts.base(),
                new Output().stream), Connector.EXIT_TOKEN_REFUSED,
                "connect: this token was revoked (403). Ask your admin for a new one.");
        // expired
        JsonPath expiring = token("default", "dave", 1L);
        Thread.sleep(1_100);
        assertExit(connector(TunnelHttps.port(), "default", expiring.getString("token"), fingerprint, FreePorts.base(),
                new Output().stream), Connector.EXIT_TOKEN_REFUSED,
                "connect: this token has expired (403). Ask your admin for a new one.");
        // another session's token, and a session that does not exist
        String valid = token("default", "erin", null).getString("token");
        assertExit(connector(TunnelHttps.port(), "v09", valid, fingerprint, FreePorts.base(), new Output().stream),
                Connector.EXIT_TOKEN_REFUSED, "(403)");
        assertExit(connector(TunnelHttps.port(), "no-such-session", valid, fingerprint, FreePorts.base(), new Output().stream),
                Connector.EXIT_UNKNOWN_SESSION, "connect: the server has no session named 'no-such-session' (404).");
        // a wrong fingerprint: someone in the middle
        String wrong = "SHA256:" + "AB:".repeat(31) + "AB";
        assertExit(connector(TunnelHttps.port(), "default", valid, wrong, FreePorts.base(), new Output().stream),
                Connector.EXIT_CERTIFICATE, "connect: the server's certificate fingerprint " + fingerprint
                        + " is not the expected " + wrong);

        // refused before any upgrade: no token, a wrong one, plain HTTP
        TunnelHttps.https().get("/tunnel/default/info").then().statusCode(401)
                .body("message", equalTo(TunnelHttps.TOKEN_REQUIRED));
        TunnelHttps.https().header("Authorization", "Bearer nope")
                .header("Connection", "Upgrade").header("Upgrade", "websocket").get("/tunnel/default?port=0").then()
                .statusCode(401).body("message", equalTo("unknown token"));
        given().header("Authorization", "Bearer " + valid).get("/tunnel/default/info").then().statusCode(403)
                .body("message", startsWith("the tunnel is served over HTTPS only"));
        TunnelHttps.https().header("Authorization", "Bearer " + valid)
                .get("/tunnel/default/info").then().statusCode(200).body("protocol", equalTo("0.1")).body("ports", equalTo(4));

        // TLS 1.3 only: a TLS 1.2 client does not get through the handshake
        SSLContext tls12 = SSLContext.getInstance("TLSv1.2");
        tls12.init(null, new TrustManager[] {new TrustAll()}, null);
        try (SSLSocket socket = (SSLSocket) tls12.getSocketFactory().createSocket("127.0.0.1", TunnelHttps.port())) {
            socket.setEnabledProtocols(new String[] {"TLSv1.2"});
            socket.setSoTimeout(5_000);
            assertThatThrownBy(socket::startHandshake).isInstanceOf(IOException.class);
        }

        // every refusal is audited, never with the token
        String audit = admin().get("/admin/api/audit?limit=200").asString();
        assertThat(audit).contains("tunnel-refused").contains("token revoked").contains("token expired")
                .contains("tunnel-token-created").contains("tunnel-token-revoked").doesNotContain(valid);
    }

    @Test
    void reconnectsWhenTheNetworkComesBack() throws Exception {
        JsonPath created = token("default", "frank", null);
        int local = FreePorts.base();
        Output out = new Output();
        try (RecordingRelay relay = new RecordingRelay(TunnelHttps.port());
                Connector connector = connector(relay.port(), "default", created.getString("token"),
                        created.getString("fingerprint"), local, out.stream)) {
            assertThat(connector.awaitReady(WAIT)).as(out.text()).isTrue();
            try (TestClient before = new TestClient(local, "before-drop")) {
                assertThat(before.loginAsClient()).isIn("RUNNING", "LOBBY");
                await().atMost(WAIT).until(() -> connector.openStreams() == 4);
                relay.kill(); // the network drops mid-session
                await().atMost(WAIT).until(connector::isDown);
                assertThat(connector.openStreams()).isZero();
                relay.restore();
                await().atMost(Duration.ofSeconds(40)).until(() -> !connector.isDown());
            }
            assertThat(out.text()).contains("Cannot reach the server").contains("Reconnected to session default.");
            try (TestClient after = new TestClient(local, "after-drop")) {
                assertThat(after.loginAsClient()).isIn("RUNNING", "LOBBY");
                assertThat(users("default")).contains("after-drop");
            }
        }
    }

    /** Trusts anything: only for the TLS 1.2 probe, which must fail before the certificate matters. */
    private static final class TrustAll implements X509TrustManager {
        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) {
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) {
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[0];
        }
    }

    private static void assertExit(Connector connector, int code, String message) throws InterruptedException {
        try (connector) {
            Optional<Connector.Exit> exit = connector.awaitExit(WAIT);
            assertThat(exit).isPresent();
            assertThat(exit.get().code()).as(exit.get().message()).isEqualTo(code);
            assertThat(exit.get().message()).contains(message);
        }
    }
}
