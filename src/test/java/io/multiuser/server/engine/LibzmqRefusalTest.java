package io.multiuser.server.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.multiuser.server.security.AddressPolicy;
import io.multiuser.server.session.SessionListener;
import io.multiuser.server.session.SessionSettings;
import io.multiuser.server.testclient.FreePorts;

/**
 * The network allow and deny lists against a real libzmq 4.3 peer (pyzmq,
 * src/test/python/libzmq_refused_client.py) with the Blender client's four sockets: refused, each
 * socket sees its handshake fail with the ZAP status 400 and is disconnected, without hammering the
 * server (libzmq normally does not try again), and nothing of the protocol reaches it; allowed, the
 * same client is answered.
 */
class LibzmqRefusalTest {

    private static final String PYTHON = "/usr/bin/python3";
    private static final Path SCRIPT = Paths.get(System.getProperty("user.dir"))
            .resolve("src/test/python/libzmq_refused_client.py");

    private final AtomicInteger refused = new AtomicInteger();
    private ZmqEngine engine;

    @BeforeEach
    void requirePyzmq() throws Exception {
        Process check = new ProcessBuilder(PYTHON, "-c", "import zmq").redirectErrorStream(true).start();
        boolean ok;
        try {
            ok = check.waitFor(30, TimeUnit.SECONDS) && check.exitValue() == 0;
        } finally {
            check.destroyForcibly();
        }
        if (!ok) {
            String message = "python3-zmq is missing; .ci/setup must install it (apt-get install python3-zmq)";
            if (System.getenv("CI") != null) {
                fail(message);
            }
            Assumptions.assumeTrue(false, message);
        }
    }

    @AfterEach
    void stop() {
        if (engine != null) {
            engine.close();
        }
    }

    private void start(AddressPolicy policy) {
        engine = new ZmqEngine(EngineSettings.builder().basePort(FreePorts.base()).addressPolicy(policy).build(),
                SessionSettings.builder().adminPassword("s3cret").acceptedVersions(List.of()).build(),
                new SessionListener() {
                    @Override
                    public void connectionRefused() {
                        refused.incrementAndGet();
                    }
                });
        engine.start();
    }

    private List<String> runClient() throws IOException, InterruptedException {
        Process process = new ProcessBuilder(PYTHON, "-u", SCRIPT.toString(), "--port",
                Integer.toString(engine.basePort()), "--seconds", "2").redirectErrorStream(true).start();
        process.getOutputStream().close();
        String output;
        try {
            output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(process.waitFor(30, TimeUnit.SECONDS)).as("the client ends").isTrue();
        } finally {
            process.destroyForcibly();
        }
        System.out.println("libzmq client output:\n" + output); // kept in the surefire report
        assertThat(output).as("client output").contains("END");
        return output.lines().toList();
    }

    private static List<String> events(List<String> lines, String name) {
        return lines.stream().filter(l -> l.startsWith("EVENT ") && l.split(" ")[2].equals(name)).toList();
    }

    @Test
    void aRefusedLibzmqClientIsToldOnceOnEverySocketAndHearsNothing() throws Exception {
        start(AddressPolicy.parse(null, "127.0.0.1"));
        List<String> lines = runClient();

        List<String> failures = events(lines, "EVENT_HANDSHAKE_FAILED_AUTH");
        assertThat(failures).as("every attempt refused with the ZAP status 400")
                .allMatch(l -> l.endsWith(" EVENT_HANDSHAKE_FAILED_AUTH 400"));
        for (int offset = 0; offset < 4; offset++) {
            String prefix = "EVENT " + offset + " ";
            // libzmq normally gives up after the ERROR; on a loaded machine it was seen to reconnect now
            // and then (a clean-clone run: twice in 2 s at most, why not known). At its 100 ms reconnect
            // interval a socket that always retried would be refused about 20 times.
            assertThat(failures.stream().filter(l -> l.startsWith(prefix)).count())
                    .as("refusals of socket P+%d", offset).isBetween(1L, 5L);
        }
        for (int offset = 0; offset < 4; offset++) {
            String disconnected = "EVENT " + offset + " EVENT_DISCONNECTED";
            assertThat(lines).as("socket P+%d disconnected", offset).anyMatch(l -> l.startsWith(disconnected));
        }
        assertThat(events(lines, "EVENT_HANDSHAKE_SUCCEEDED")).isEmpty();
        assertThat(lines).noneMatch(l -> l.startsWith("GOT "));
        // a refusal the client had no time left to report is still counted by the server
        assertThat(refused.get()).as("the server counts every refusal").isBetween(failures.size(), failures.size() + 4);
        assertThat(engine.call(s -> s.users().size()).get(5, TimeUnit.SECONDS)).isZero();
    }

    @Test
    void anAllowedLibzmqClientIsAnswered() throws Exception {
        start(AddressPolicy.parse("127.0.0.0/8, ::1", "10.0.0.0/8"));
        List<String> lines = runClient();

        assertThat(events(lines, "EVENT_HANDSHAKE_SUCCEEDED")).hasSize(4);
        assertThat(events(lines, "EVENT_HANDSHAKE_FAILED_AUTH")).isEmpty();
        assertThat(lines).anyMatch(l -> l.startsWith("GOT 0 ") && l.contains("RepAuthCommand") && l.contains("LOBBY"));
        assertThat(refused.get()).isZero();
    }
}
