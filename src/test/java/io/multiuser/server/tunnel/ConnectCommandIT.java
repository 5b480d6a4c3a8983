package io.multiuser.server.tunnel;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.multiuser.server.testclient.FreePorts;
import io.multiuser.server.testclient.ProcStat;
import io.multiuser.server.testclient.ServerProcess;
import io.multiuser.server.testclient.TestClient;

/**
 * The packaged jar both ways: a server with the tunnel on makes and logs its certificate, and
 * {@code java -jar quarkus-run.jar connect ...} (its own process, as an artist runs it) connects to
 * it without starting any server of its own.
 */
class ConnectCommandIT {

    private static final String PASSWORD = "it-password";
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final int SCHED_IDLE = 5;

    private static Process connect(Path workingDirectory, Path log, String token, String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar", Path.of(System.getProperty("server.jar", "target/quarkus-app/quarkus-run.jar")).toAbsolutePath()
                        .toString(), "connect"));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command).directory(workingDirectory.toFile()).redirectErrorStream(true)
                .redirectOutput(log.toFile());
        pb.environment().keySet().removeIf(k -> k.startsWith("MULTIUSER_"));
        if (token != null) {
            pb.environment().put("MULTIUSER_TOKEN", token);
        }
        return pb.start();
    }

    private static void awaitText(Path log, String text, Process process) throws Exception {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!Files.readString(log).contains(text)) {
            assertThat(System.nanoTime()).as("'%s' in:%n%s", text, Files.readString(log)).isLessThan(deadline);
            assertThat(process.isAlive() || Files.readString(log).contains(text)).as(Files.readString(log)).isTrue();
            Thread.sleep(50);
        }
    }

    @Test
    void usageErrorsAndAnUnreachableServerStartNothing(@TempDir Path dir) throws Exception {
        Path log = dir.resolve("usage.log");
        Path work = Files.createDirectories(dir.resolve("work"));
        Process usage = connect(work, log, null, "https://example.com/");
        assertThat(usage.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(usage.exitValue()).isEqualTo(2);
        assertThat(Files.readString(log)).contains("connect: ").contains("Usage: java -jar quarkus-run.jar connect");

        int closed;
        try (ServerSocket s = new ServerSocket(0)) {
            closed = s.getLocalPort();
        }
        Path retry = dir.resolve("retry.log");
        Process retrying = connect(work, retry, "mut_whatever", "wss://127.0.0.1:" + closed + "/tunnel/default",
                "--local-port", String.valueOf(FreePorts.base()));
        try {
            awaitText(retry, "Cannot reach the server", retrying);
            assertThat(retrying.isAlive()).as("it keeps retrying").isTrue();
        } finally {
            retrying.destroy();
            retrying.waitFor(10, TimeUnit.SECONDS);
        }
        String out = Files.readString(retry);
        assertThat(out).doesNotContain("Listening on").doesNotContain("started in").doesNotContain("Session server");
        try (var files = Files.list(work)) {
            assertThat(files.toList()).as("no data directory, no cache: nothing written").isEmpty();
        }
    }

    @Test
    void thePackagedServerAndTheConnectCommandCarryASession(@TempDir Path dir) throws Exception {
        int sslPort;
        try (ServerSocket s = new ServerSocket(0)) {
            sslPort = s.getLocalPort();
        }
        Path tls = dir.resolve("tls");
        try (ServerProcess server = ServerProcess.start(PASSWORD, "-Dmultiuser.tunnel.enabled=true",
                "-Dquarkus.http.ssl-port=" + sslPort, "-Dmultiuser.tunnel.certificate-directory=" + tls)) {
            server.awaitOutput("Listening on: http", WAIT);
            Matcher logged = Pattern.compile("Tunnel certificate SHA-256 fingerprint: (SHA256:[0-9A-F:]{95})")
                    .matcher(server.log());
            assertThat(logged.find()).as(server.log()).isTrue();
            assertThat(TunnelCertificate.fingerprint(tls.resolve(TunnelCertificate.CERT))).isEqualTo(logged.group(1));
            // the engine HTTPS got, named once it listens
            server.awaitOutput("Tunnel: wss://HOST:" + sslPort + "/tunnel/SESSION (TLS 1.3 in "
                    + TunnelTlsEngine.describe(TunnelTlsEngine.preferred(null)) + " engine), self-signed certificate", WAIT);
            assertThat(Files.getPosixFilePermissions(tls.resolve(TunnelCertificate.KEY)))
                    .isEqualTo(Set.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE));

            HttpResponse<String> created = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + server.httpPort + "/admin/api/sessions/default/tokens"))
                    .header("Authorization", "Basic " + Base64.getEncoder().encodeToString(("admin:" + PASSWORD)
                            .getBytes(StandardCharsets.UTF_8))).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"label\":\"it\"}")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(created.statusCode()).isEqualTo(201);
            JsonNode token = new ObjectMapper().readTree(created.body());
            assertThat(token.get("fingerprint").asText()).isEqualTo(logged.group(1));
            assertThat(Files.readString(tls.resolve(TunnelCertificate.KEY))).doesNotContain(token.get("token").asText());

            int local = FreePorts.base();
            Path log = dir.resolve("connector.log");
            Process connector = connect(Files.createDirectories(dir.resolve("artist")), log, token.get("token").asText(),
                    "wss://127.0.0.1:" + sslPort + "/tunnel/default", "--fingerprint", logged.group(1), "--local-port",
                    String.valueOf(local));
            try {
                awaitText(log, "Connected to session default (protocol 0.1). In Blender, connect to IP 127.0.0.1, port "
                        + local + ".", connector);
                // the artist's Blender comes first: the connector's JIT yields to it
                assertThat(ProcStat.compilerThreadPolicies(connector.pid())).isNotEmpty()
                        .allSatisfy((thread, policy) -> assertThat(policy).as(thread).isEqualTo(SCHED_IDLE));
                try (TestClient artist = new TestClient(local, "jar-artist")) {
                    assertThat(artist.loginAsAdmin(PASSWORD)).isIn("LOBBY", "RUNNING");
                }
                assertThat(server.log()).contains("Tunnel: stream").contains("'it' (token ");
            } finally {
                connector.destroy();
                connector.waitFor(10, TimeUnit.SECONDS);
            }
            assertThat(server.log()).doesNotContain(token.get("token").asText());
        }
    }
}
