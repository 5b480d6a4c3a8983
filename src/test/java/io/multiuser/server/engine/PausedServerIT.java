package io.multiuser.server.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

import io.multiuser.server.protocol.Node;
import io.multiuser.server.testclient.Nodes;
import io.multiuser.server.testclient.ServerProcess;
import io.multiuser.server.testclient.TestClient;

/**
 * The packaged server stopped as a whole (SIGSTOP: every thread, as when its virtual machine or
 * its JVM pauses) for longer than its heartbeat timeout. After SIGCONT its clients are still in
 * the session and an edit pushed during the pause reaches the others.
 */
class PausedServerIT {

    private static final String PASSWORD = "pause-it-pw";
    private static final long TIMEOUT_MILLIS = 2000;
    private static final Duration WAIT = Duration.ofSeconds(10);

    @Test
    void aServerPausedLongerThanItsTimeoutKeepsItsClientsAndTheEditsSentMeanwhile() throws Exception {
        try (ServerProcess server = ServerProcess.start(PASSWORD, "-Dmultiuser.timeout=" + TIMEOUT_MILLIS)) {
            server.awaitOutput("Listening on: http", Duration.ofSeconds(90));
            List<Node> scene = Nodes.scene(2, 64, 31);
            try (TestClient alice = new TestClient(server.basePort, "alice");
                    TestClient bob = new TestClient(server.basePort, "bob")) {
                assertThat(alice.loginAsAdmin(PASSWORD)).isEqualTo("LOBBY");
                alice.upload(scene);
                assertThat(bob.loginAsClient()).isEqualTo("RUNNING");
                bob.join();
                alice.await("RepUpdateClientsState", r -> bothListed(r.data()), WAIT);
                int pingsBefore = bob.pingsReceived();

                signal("STOP", server.pid());
                try {
                    Thread.sleep(300);
                    byte[] payload = Nodes.payload(new Random(32), 64);
                    bob.push(Nodes.edited(scene.get(0), payload));
                    Thread.sleep(TIMEOUT_MILLIS + 1500);
                } finally {
                    signal("CONT", server.pid());
                }

                assertThat(alice.awaitBlock(b -> b.uuid().equals(scene.get(0).uuid()), WAIT)).isNotNull();
                Thread.sleep(TIMEOUT_MILLIS + 500); // a timeout after the pause: both keep answering PINGs
                assertThat(bob.pingsReceived()).as("pinged again after the pause").isGreaterThan(pingsBefore);
                alice.drain(200);
                assertThat(alice.receivedLog().stream().filter(r -> r.type().equals("RepUpdateClientsState"))
                        .reduce((first, second) -> second).map(r -> bothListed(r.data())))
                        .as("the latest user list after the pause").hasValue(true);
                String log = server.log();
                assertThat(log).contains("The engine stood still for").doesNotContain("Heartbeat timeout");
            }
        }
    }

    private static boolean bothListed(Object users) {
        return users instanceof Map<?, ?> m && m.containsKey("alice") && m.containsKey("bob");
    }

    private static void signal(String name, long pid) throws Exception {
        Process kill = new ProcessBuilder("kill", "-" + name, String.valueOf(pid)).inheritIO().start();
        assertThat(kill.waitFor(10, TimeUnit.SECONDS) && kill.exitValue() == 0).as("kill -%s", name).isTrue();
    }
}
