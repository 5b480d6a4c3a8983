package io.multiuser.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import io.multiuser.server.testclient.FreePorts;
import io.multiuser.server.testclient.ServerProcess;
import io.multiuser.server.testclient.TestClient;

/**
 * The packaged server as its own process, started the way the original was: with its flags
 * ({@code -p -pwd -t}) or its Docker image's environment ({@code port password timeout}).
 */
class LegacyInterfaceIT {

    private static final Duration START = Duration.ofSeconds(30);
    private ServerProcess server;

    @AfterEach
    void stop() throws InterruptedException {
        if (server != null) {
            server.close();
        }
    }

    private ServerProcess launch(int basePort, List<String> args, Map<String, String> env) throws Exception {
        server = ServerProcess.launch(basePort, args, env);
        return server;
    }

    /** Password and timeout took effect: a silent client is dropped within about the timeout. */
    private static void assertPasswordAndTimeout(int port, String password, long timeoutMillis) {
        try (TestClient admin = new TestClient(port, "admin"); TestClient quiet = new TestClient(port, "quiet")) {
            assertThat(admin.loginAsAdmin("admin")).isEqualTo("FAILED: wrong password");
            assertThat(admin.loginAsAdmin(password)).isEqualTo("LOBBY");
            assertThat(quiet.loginAsClient()).isEqualTo("LOBBY");
            quiet.answerPings(false);
            long start = System.nanoTime();
            admin.await("RepUpdateClientsState", r -> !((Map<?, ?>) r.data()).containsKey("quiet"),
                    Duration.ofSeconds(10));
            long elapsed = (System.nanoTime() - start) / 1_000_000;
            assertThat(elapsed).isLessThan(timeoutMillis + 1500); // the default 5000 ms would fail this
        }
    }

    @Test
    void theOriginalFlagsSetPortPasswordAndTimeout() throws Exception {
        int port = FreePorts.base();
        launch(port, List.of("-p", String.valueOf(port), "-pwd", "toto", "-t", "1000"), Map.of())
                .awaitOutput("Session server listening", START);
        assertPasswordAndTimeout(port, "toto", 1000);
        assertThat(server.log()).doesNotContain("toto"); // never a password in the log
        // every line of a session's threads names it
        assertThat(server.log()).contains("[ZmqEngine] [default] Session server listening");
        server.awaitOutput("[Session] [default] Login: ", START);
        assertThat(server.log().lines().filter(l -> l.contains("Login: ")).toList())
                .allSatisfy(l -> assertThat(l).contains("[Session] [default] Login: "));
    }

    @Test
    void theOriginalDockerEnvironmentSetsPortPasswordAndTimeout() throws Exception {
        int port = FreePorts.base();
        launch(port, List.of(), Map.of("port", String.valueOf(port), "password", "envpw", "timeout", "1000"))
                .awaitOutput("Session server listening", START);
        assertPasswordAndTimeout(port, "envpw", 1000);
        assertThat(server.log()).doesNotContain("default one");
    }

    @Test
    void theDefaultPasswordIsWarnedAbout() throws Exception {
        int port = FreePorts.base();
        launch(port, List.of("-p", String.valueOf(port)), Map.of()).awaitOutput("Session server listening", START);
        assertThat(server.log()).contains("admin password is a published default");
    }

    @Test
    void invalidConfigurationStopsStartUpWithOneClearLine() throws Exception {
        launch(5555, List.of("-p", "70000"), Map.of());
        assertThat(server.waitForExit(START)).isTrue();
        assertThat(server.exitValue()).isNotZero();
        assertThat(server.log()).contains("multiuser.port=70000 is out of range").doesNotContain("\tat ");
    }

    @Test
    void aNegativeIdleTrimStopsStartUpBeforeAnyPortIsBound() throws Exception {
        int port = FreePorts.base();
        server = ServerProcess.launch(port, List.of("-p", String.valueOf(port)), Map.of(),
                "-Dmultiuser.memory.idle-trim-after=-5s");
        assertThat(server.waitForExit(START)).isTrue();
        assertThat(server.exitValue()).isNotZero();
        assertThat(server.log()).contains("multiuser.memory.idle-trim-after=-5s: must not be negative")
                .doesNotContain("\tat ").doesNotContain("Session server listening");
    }

    @Test
    void aPortInUseStopsStartUpNamingThePort() throws Exception {
        int port = FreePorts.base();
        try (java.net.ServerSocket taken = new java.net.ServerSocket(port + 3)) {
            launch(port, List.of("-p", String.valueOf(port)), Map.of());
            assertThat(server.waitForExit(START)).isTrue();
            assertThat(server.exitValue()).isNotZero();
            assertThat(server.log()).contains("Cannot bind port " + (port + 3) + " (P+3, heartbeat)")
                    .doesNotContain("\tat ");
        }
    }

    @Test
    void logsCanBeSwitchedToJsonForLogShippers() throws Exception {
        int port = FreePorts.base();
        launch(port, List.of("-p", String.valueOf(port)), Map.of("QUARKUS_LOG_CONSOLE_JSON_ENABLED", "true"))
                .awaitOutput("Session server listening", START);
        String line = server.log().lines().filter(l -> l.contains("Session server listening")).findFirst()
                .orElseThrow();
        jakarta.json.JsonObject json = jakarta.json.Json.createReader(new java.io.StringReader(line)).readObject();
        assertThat(json.getString("level")).isEqualTo("INFO");
        assertThat(json.getString("loggerName")).isEqualTo("io.multiuser.server.engine.ZmqEngine");
        assertThat(json.getString("message")).contains("ports " + port + "-" + (port + 3));
        assertThat(json.getJsonObject("mdc").getString("session")).isEqualTo("default"); // for log shippers' filters
    }

    @Test
    void anUnknownFlagPrintsTheUsage() throws Exception {
        launch(5555, List.of("--nope"), Map.of());
        assertThat(server.waitForExit(START)).isTrue();
        assertThat(server.exitValue()).isEqualTo(2);
        assertThat(server.log()).contains("unknown argument '--nope'").contains("Usage: multi-user-server");
    }

    @Test
    void sigtermStopsTheServerAndReleasesItsPorts() throws Exception {
        int port = FreePorts.base();
        launch(port, List.of("-p", String.valueOf(port)), Map.of()).awaitStarted();
        server.close(); // SIGTERM, as docker stop and Kubernetes send
        assertThat(server.isAlive()).isFalse();
        assertThat(server.log()).contains("ports " + port + "-" + (port + 3) + " released");
        assertThat(server.portsFree()).isTrue();
    }
}
