package io.multiuser.server.admin;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;

import org.junit.jupiter.api.Test;

import io.multiuser.server.testclient.ServerProcess;
import io.multiuser.server.testclient.TestClient;

/** POST /admin/api/stop ends the packaged server's process (it would end a @QuarkusTest's JVM). */
class AdminStopIT {

    private static final String PASSWORD = "stop-it-pw";

    private static HttpResponse<String> postStop(ServerProcess server, String authorization) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + server.httpPort + "/admin/api/stop"))
                .POST(HttpRequest.BodyPublishers.noBody()).timeout(Duration.ofSeconds(10));
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        return HttpClient.newHttpClient().send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void stopWithCredentialsEndsTheProcessAndFreesEveryPort() throws Exception {
        try (ServerProcess server = ServerProcess.start(PASSWORD)) {
            server.awaitStarted();
            try (TestClient alice = new TestClient(server.basePort, "alice")) {
                assertThat(alice.loginAsClient()).isEqualTo("LOBBY");

                assertThat(postStop(server, null).statusCode()).isEqualTo(401);
                assertThat(postStop(server, "Bearer wrong").statusCode()).isEqualTo(403);
                assertThat(server.isAlive()).isTrue();

                String basic = "Basic " + Base64.getEncoder()
                        .encodeToString(("admin:" + PASSWORD).getBytes(StandardCharsets.UTF_8));
                HttpResponse<String> stop = postStop(server, basic);
                assertThat(stop.statusCode()).isEqualTo(202);
                assertThat(stop.body()).contains("stopping");

                assertThat(server.waitForExit(Duration.ofSeconds(10))).as("exited:%n%s", server.log()).isTrue();
            }
            assertThat(server.exitValue()).isZero();
            assertThat(server.log()).contains("Stop requested by admin API (127.0.0.1)")
                    .contains("ports " + server.basePort + "-" + (server.basePort + 3) + " released")
                    .doesNotContain(PASSWORD);
            assertThat(server.portsFree()).isTrue();
        }
    }
}
