package io.multiuser.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import io.multiuser.server.testclient.FreePorts;
import io.multiuser.server.testclient.TestClient;

/**
 * The packaged server as its own process, started the way the original was: with its flags
 * ({@code -p -pwd -t}) or its Docker image's environment ({@code port password timeout}).
 */
class LegacyInterfaceIT {

    private final List<Process> processes = new ArrayList<>();
    private Path output;

    @AfterEach
    void stop() throws InterruptedException {
        for (Process p : processes) {
            p.destroy();
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
        }
    }

    private Process launch(List<String> args, Map<String, String> env) throws IOException {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dquarkus.http.port=0", // any free HTTP port: these tests are about the session ports
                "-jar", System.getProperty("server.jar", "target/quarkus-app/quarkus-run.jar")));
        command.addAll(args);
        output = Files.createTempFile("server", ".log");
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(output.toFile());
        pb.environment().keySet().removeIf(k -> k.startsWith("MULTIUSER_") || List.of("port", "password", "timeout")
                .contains(k));
        pb.environment().putAll(env);
        Process p = pb.start();
        processes.add(p);
        return p;
    }

    private String log() throws IOException {
        return Files.readString(output, StandardCharsets.UTF_8);
    }

    private void awaitListening(Process p) throws Exception {
        long deadline = System.currentTimeMillis() + 30_000;
        while (!log().contains("Session server listening")) {
            assertThat(p.isAlive()).as("server exited early:%n%s", log()).isTrue();
            assertThat(System.currentTimeMillis()).as("server did not start:%n%s", log()).isLessThan(deadline);
            Thread.sleep(50);
        }
    }

    /** Password and timeout took effect: a silent client is dropped within about the timeout. */
    private void assertPasswordAndTimeout(int port, String password, long timeoutMillis) {
        try (TestClient admin = new TestClient(port, "admin"); TestClient quiet = new TestClient(port, "quiet")) {
            assertThat(admin.loginAsAdmin("admin")).isEqualTo("FAILED: wrong password");
            assertThat(admin.loginAsAdmin(password)).isEqualTo("LOBBY");
            assertThat(quiet.loginAsClient()).isEqualTo("LOBBY");
            quiet.answerPings(false);
            long start = System.nanoTime();
            admin.await("RepUpdateClientsState", r -> !((Map<?, ?>) r.data()).containsKey("quiet"),
                    java.time.Duration.ofSeconds(10));
            long elapsed = (System.nanoTime() - start) / 1_000_000;
            assertThat(elapsed).isLessThan(timeoutMillis + 1500); // the default 5000 ms would fail this
        }
    }

    @Test
    void theOriginalFlagsSetPortPasswordAndTimeout() throws Exception {
        int port = FreePorts.base();
        Process p = launch(List.of("-p", String.valueOf(port), "-pwd", "toto", "-t", "1000"), Map.of());
        awaitListening(p);
        assertPasswordAndTimeout(port, "toto", 1000);
        assertThat(log()).doesNotContain("toto"); // never a password in the log
    }

    @Test
    void theOriginalDockerEnvironmentSetsPortPasswordAndTimeout() throws Exception {
        int port = FreePorts.base();
        Process p = launch(List.of(), Map.of("port", String.valueOf(port), "password", "envpw", "timeout", "1000"));
        awaitListening(p);
        assertPasswordAndTimeout(port, "envpw", 1000);
        assertThat(log()).doesNotContain("default one");
    }

    @Test
    void theDefaultPasswordIsWarnedAbout() throws Exception {
        int port = FreePorts.base();
        Process p = launch(List.of("-p", String.valueOf(port)), Map.of());
        awaitListening(p);
        assertThat(log()).contains("admin password is the default one");
    }

    @Test
    void invalidConfigurationStopsStartUpWithOneClearLine() throws Exception {
        Process p = launch(List.of("-p", "70000"), Map.of());
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).isNotZero();
        String log = log();
        assertThat(log).contains("multiuser.port=70000 is out of range").doesNotContain("\tat ");
    }

    @Test
    void aPortInUseStopsStartUpNamingThePort() throws Exception {
        int port = FreePorts.base();
        try (java.net.ServerSocket taken = new java.net.ServerSocket(port + 3)) {
            Process p = launch(List.of("-p", String.valueOf(port)), Map.of());
            assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(p.exitValue()).isNotZero();
            assertThat(log()).contains("Cannot bind port " + (port + 3) + " (P+3, heartbeat)").doesNotContain("\tat ");
        }
    }

    @Test
    void logsCanBeSwitchedToJsonForLogShippers() throws Exception {
        int port = FreePorts.base();
        Process p = launch(List.of("-p", String.valueOf(port)), Map.of("QUARKUS_LOG_CONSOLE_JSON_ENABLED", "true"));
        awaitListening(p);
        String line = log().lines().filter(l -> l.contains("Session server listening")).findFirst().orElseThrow();
        jakarta.json.JsonObject json = jakarta.json.Json.createReader(new java.io.StringReader(line)).readObject();
        assertThat(json.getString("level")).isEqualTo("INFO");
        assertThat(json.getString("loggerName")).isEqualTo("io.multiuser.server.engine.ZmqEngine");
        assertThat(json.getString("message")).contains("ports " + port + "-" + (port + 3));
    }

    @Test
    void anUnknownFlagPrintsTheUsage() throws Exception {
        Process p = launch(List.of("--nope"), Map.of());
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).isEqualTo(2);
        assertThat(log()).contains("unknown argument '--nope'").contains("Usage: multi-user-server");
    }

    @Test
    void sigtermStopsTheServerAndReleasesItsPorts() throws Exception {
        int port = FreePorts.base();
        Process p = launch(List.of("-p", String.valueOf(port)), Map.of());
        awaitListening(p);
        p.destroy(); // SIGTERM, as docker stop and Kubernetes send
        assertThat(p.waitFor(10, TimeUnit.SECONDS)).isTrue();
        assertThat(log()).contains("ports " + port + "-" + (port + 3) + " released");
        for (int i = 0; i < 4; i++) {
            assertThat(FreePorts.free(port + i)).isTrue();
        }
    }
}
