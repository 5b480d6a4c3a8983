package io.multiuser.server.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.List;

import org.junit.jupiter.api.Test;

import io.multiuser.server.session.SessionSettings;
import io.multiuser.server.testclient.FreePorts;
import io.multiuser.server.testclient.TestClient;

/** Start, stop and restart on the same ports, as a dev-mode reload or a redeploy does. */
class EngineLifecycleTest {

    private static ZmqEngine engine(int port) {
        return new ZmqEngine(EngineSettings.builder().bindAddress("*").basePort(port).maxMessageBytes(1 << 20)
                .maxQueuedBytesPerClient(1 << 24).build(),
                SessionSettings.builder().adminPassword("pw").acceptedVersions(List.of()).build());
    }

    @Test
    void closeReleasesAllFourPortsAndTheEngineRebindsThemAtOnce() {
        int port = FreePorts.base();
        for (int cycle = 0; cycle < 3; cycle++) {
            ZmqEngine engine = engine(port);
            engine.start();
            try (TestClient client = new TestClient(port, "cycle" + cycle)) {
                assertThat(client.loginAsClient()).isEqualTo("LOBBY");
            } finally {
                engine.close();
            }
            assertThat(engine.isRunning()).isFalse();
            for (int p = port; p < port + 4; p++) {
                assertThat(FreePorts.free(p)).as("port %d free after close", p).isTrue();
            }
        }
    }

    @Test
    void aPortInUseStopsTheStartWithAMessageNamingItAndTheSetting() throws Exception {
        int port = FreePorts.base();
        try (ServerSocket taken = new ServerSocket(port + 2, 1, InetAddress.getByName("0.0.0.0"))) {
            ZmqEngine engine = engine(port);
            assertThatThrownBy(engine::start)
                    .isInstanceOf(EngineStartException.class)
                    .hasMessageContaining("port " + (port + 2))
                    .hasMessageContaining("P+2")
                    .hasMessageContaining("address already in use")
                    .hasMessageContaining("multiuser.port");
            assertThat(engine.isRunning()).isFalse();
        }
        // The ports it did bind before failing are free again.
        assertThat(FreePorts.free(port)).isTrue();
        assertThat(FreePorts.free(port + 1)).isTrue();
    }

    @Test
    void workHandedToTheEngineRunsOnItsThread() throws Exception {
        ZmqEngine engine = engine(FreePorts.base());
        engine.start();
        try {
            String thread = engine.call(s -> Thread.currentThread().getName()).get();
            assertThat(thread).isEqualTo("zmq-engine");
        } finally {
            engine.close();
        }
        assertThat(engine.call(s -> 1)).isCompletedExceptionally();
    }
}
