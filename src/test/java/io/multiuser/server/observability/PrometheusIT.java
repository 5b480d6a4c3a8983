package io.multiuser.server.observability;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.StringReader;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.OptionalDouble;
import java.util.concurrent.TimeUnit;

import jakarta.json.Json;
import jakarta.json.JsonArray;
import jakarta.json.JsonObject;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import io.multiuser.server.testclient.Nodes;
import io.multiuser.server.testclient.ServerProcess;
import io.multiuser.server.testclient.TestClient;

/**
 * A real Prometheus (Debian's, installed by .ci/setup) scrapes the packaged server while
 * protocol clients host and join a session; its query API must then show the users online
 * and the snapshot metrics with the values the traffic produced.
 */
class PrometheusIT {

    private static final Path PROMETHEUS = Path.of("/usr/bin/prometheus");
    private ServerProcess server;
    private Process prometheus;
    private volatile String lastAnswer;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    @AfterEach
    void stop() throws InterruptedException {
        if (prometheus != null) {
            prometheus.destroy();
            if (!prometheus.waitFor(10, TimeUnit.SECONDS)) {
                prometheus.destroyForcibly();
            }
        }
        if (server != null) {
            server.close();
        }
    }

    @Test
    void prometheusScrapesUsersAndSnapshotsFromTheRunningServer() throws Exception {
        if (!Files.isExecutable(PROMETHEUS)) {
            assertThat(System.getenv("CI")).as("/usr/bin/prometheus is missing: .ci/setup installs it").isNull();
            Assumptions.abort("/usr/bin/prometheus is missing (run .ci/setup)");
        }
        Path dir = Files.createTempDirectory("prometheus-it");
        server = ServerProcess.start("prom-pw");
        server.awaitStarted();
        int basePort = server.basePort;
        int httpPort = server.httpPort;
        int prometheusPort = freePort();

        Path config = dir.resolve("prometheus.yml");
        Files.writeString(config, """
                global:
                  scrape_interval: 1s
                scrape_configs:
                  - job_name: multi-user-server
                    metrics_path: /q/metrics
                    static_configs:
                      - targets: ['127.0.0.1:%d']
                """.formatted(httpPort));
        prometheus = new ProcessBuilder(PROMETHEUS.toString(), "--config.file=" + config,
                "--storage.tsdb.path=" + dir.resolve("data"), "--web.listen-address=127.0.0.1:" + prometheusPort)
                .redirectErrorStream(true).redirectOutput(dir.resolve("prometheus.log").toFile()).start();

        try (TestClient admin = new TestClient(basePort, "prom-admin");
                TestClient bob = new TestClient(basePort, "prom-bob")) {
            assertThat(admin.loginAsAdmin("prom-pw")).isEqualTo("LOBBY");
            admin.upload(Nodes.scene(5, 2048, 70));
            assertThat(bob.loginAsClient()).isEqualTo("RUNNING");
            bob.join();

            awaitQuery(prometheusPort, "up{job=\"multi-user-server\"}", 1);
            awaitQuery(prometheusPort, "multiuser_users{status=\"active\"}", 2);
            awaitQuery(prometheusPort, "multiuser_snapshot_duration_seconds_count{direction=\"upload\"}", 1);
            awaitQuery(prometheusPort, "multiuser_snapshot_nodes_total{direction=\"download\"}", 5);
            awaitQuery(prometheusPort, "multiuser_snapshot_bytes_total{direction=\"upload\"}", 5 * 2048);
            awaitQuery(prometheusPort, "multiuser_session_nodes", 5);
        }
    }

    /** Polls Prometheus' query API until the expression evaluates to the expected value (30 s at most). */
    private void awaitQuery(int port, String expression, double expected) throws Exception {
        long deadline = System.currentTimeMillis() + 30_000;
        OptionalDouble last = OptionalDouble.empty();
        while (System.currentTimeMillis() < deadline) {
            last = query(port, expression);
            if (last.isPresent() && last.getAsDouble() == expected) {
                return;
            }
            Thread.sleep(250);
        }
        throw new AssertionError("Prometheus: " + expression + " = " + last + ", expected " + expected
                + "; last answer: " + lastAnswer);
    }

    private OptionalDouble query(int port, String expression) {
        try {
            URI uri = URI.create("http://127.0.0.1:" + port + "/api/v1/query?query="
                    + URLEncoder.encode(expression, StandardCharsets.UTF_8));
            HttpResponse<String> response = http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(2))
                    .build(), HttpResponse.BodyHandlers.ofString());
            lastAnswer = response.body();
            if (response.statusCode() != 200) {
                return OptionalDouble.empty();
            }
            JsonObject body = Json.createReader(new StringReader(response.body())).readObject();
            JsonArray result = body.getJsonObject("data").getJsonArray("result");
            if (result.isEmpty()) {
                return OptionalDouble.empty();
            }
            return OptionalDouble.of(Double.parseDouble(result.getJsonObject(0).getJsonArray("value").getString(1)));
        } catch (java.io.IOException e) {
            return OptionalDouble.empty(); // Prometheus still starting
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return OptionalDouble.empty();
        }
    }

    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
