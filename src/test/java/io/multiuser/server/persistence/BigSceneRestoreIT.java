package io.multiuser.server.persistence;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.multiuser.server.protocol.Node;
import io.multiuser.server.session.SessionState;
import io.multiuser.server.testclient.Nodes;
import io.multiuser.server.testclient.ServerProcess;
import io.multiuser.server.testclient.TestClient;
import io.multiuser.server.testclient.TestClient.Block;

/**
 * The packaged server restarts on a stored scene half again as big as its heap: the big payloads go
 * from the log into a spill file as they are read, and a late joiner gets every byte of them, sent
 * from that file's pages. Before, such a restore ended in an OutOfMemoryError.
 */
class BigSceneRestoreIT {

    private static final String PASSWORD = "big-restore-it-pw";
    private static final int NODES = 96;
    private static final int NODE_BYTES = 1 << 20;

    @TempDir
    Path temp;

    @Test
    void aSceneBiggerThanTheHeapRestoresAndJoinsByteIdentical() throws Exception {
        Path dir = temp.resolve("data");
        List<Node> scene = Nodes.scene(NODES, NODE_BYTES, 31);
        try (SessionStore store = SessionStore.open(new StoreSettings(dir, 200, Long.MAX_VALUE), StoreListener.NONE)) {
            scene.forEach(store::put);
            store.stateChanged(SessionState.ACTIVE);
        }

        try (ServerProcess server = ServerProcess.start(PASSWORD, "-Xmx64m", "-Dmultiuser.store.directory=" + dir,
                "-Dmultiuser.payloads.spill-directory=" + temp.resolve("spill"))) {
            server.awaitOutput("Listening on: http", Duration.ofSeconds(90));
            server.awaitOutput(NODES + " nodes, " + (long) NODES * NODE_BYTES + " bytes in", Duration.ofSeconds(5));
            server.awaitOutput((long) NODES * NODE_BYTES + " bytes of big payloads read straight into a spill file",
                    Duration.ofSeconds(5));

            try (TestClient late = new TestClient(server.basePort, "late")) {
                assertThat(late.loginAsClient()).isEqualTo("RUNNING");
                Map<String, Block> received = late.join();
                assertThat(received).hasSize(NODES);
                for (Node node : scene) {
                    assertThat(received.get(node.uuid()).payload()).as(node.uuid())
                            .isEqualTo(node.payload().toArray());
                }
            }
            assertThat(server.log()).doesNotContain("OutOfMemoryError");
        }
    }
}
