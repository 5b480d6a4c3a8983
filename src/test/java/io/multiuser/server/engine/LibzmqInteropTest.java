package io.multiuser.server.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.multiuser.server.protocol.Node;
import io.multiuser.server.session.SessionSettings;

/**
 * The engine against a real libzmq 4.3 peer (pyzmq, src/test/python/libzmq_client.py) that
 * behaves like the Blender client: the JeroMQ-only tests cannot show ZMTP or socket-type
 * incompatibilities with the library the real client links.
 */
class LibzmqInteropTest {

    private static final String PYTHON = "/usr/bin/python3";
    private static final Path SCRIPT = Paths.get(System.getProperty("user.dir"))
            .resolve("src/test/python/libzmq_client.py");
    private static final String PASSWORD = "secret";
    private static final long PROCESS_TIMEOUT_SECONDS = 60;

    private ZmqEngine engine;

    @BeforeEach
    void requirePyzmq() throws InterruptedException {
        String problem = pyzmqProblem();
        if (problem != null) {
            String message = "python3-zmq is missing (" + problem + "); .ci/setup must install it"
                    + " (apt-get install python3-zmq)";
            if (System.getenv("CI") != null) {
                fail(message); // on CI a missing dependency is a broken setup, not a reason to skip
            }
            Assumptions.assumeTrue(false, message);
        }
    }

    @AfterEach
    void stopEngine() {
        if (engine != null) {
            engine.close();
        }
    }

    @Test
    void libzmqClientUploadsJoinsEditsAndKeepsItsHeartbeat() throws Exception {
        engine = startOnFreePorts();
        Result run = run(List.of(PYTHON, "-u", SCRIPT.toString(), "--host", "127.0.0.1",
                "--port", Integer.toString(engine.basePort()), "--password", PASSWORD));
        System.out.println("libzmq client output:\n" + run.output); // kept in the surefire report
        assertThat(run.exitCode).as("libzmq client exit code; its output:%n%s", run.output).isZero();
        assertThat(run.output).as("libzmq client output").contains(
                "ok admin login", "ok snapshot upload", "ok join", "ok live datablocks",
                "ok owner change and delete", "ok heartbeat", "ALL CHECKS PASSED");

        // The server's graph must be what the client believes it is: owners and payload bytes.
        Map<String, String> expected = new TreeMap<>();
        List<String> deleted = new ArrayList<>();
        for (String line : run.output.lines().toList()) {
            String[] parts = line.split(" ");
            if (parts[0].equals("NODE")) {
                expected.put(parts[1], parts[2] + " " + parts[3]);
            } else if (parts[0].equals("DELETED")) {
                deleted.add(parts[1]);
            }
        }
        assertThat(expected).as("NODE lines from the client (6 uploaded + 1 created - 1 deleted)").hasSize(6);
        Map<String, String> actual = engine.call(session -> {
            Map<String, String> nodes = new TreeMap<>();
            for (Node node : session.graph().nodes()) {
                nodes.put(node.uuid(), node.owner() + " " + sha256(node.payload().toArray()));
            }
            return nodes;
        }).get(10, TimeUnit.SECONDS);
        assertThat(actual).as("server graph: uuid -> owner and payload sha256").isEqualTo(expected);
        assertThat(deleted).as("DELETED lines from the client").hasSize(1);
        assertThat(engine.call(session -> session.graph().isDeleted(deleted.get(0))).get(10, TimeUnit.SECONDS))
                .as("deleted node %s is remembered as deleted", deleted.get(0)).isTrue();
    }

    /** Null when /usr/bin/python3 can import zmq, else why not. */
    private static String pyzmqProblem() throws InterruptedException {
        try {
            Result check = run(List.of(PYTHON, "-c", "import zmq"));
            List<String> lines = check.output.strip().lines().toList(); // the traceback's last line says why
            return check.exitCode == 0 ? null
                    : PYTHON + " -c 'import zmq' failed: " + (lines.isEmpty() ? "" : lines.get(lines.size() - 1));
        } catch (IOException e) {
            return PYTHON + " cannot run: " + e.getMessage();
        }
    }

    /** Four consecutive free ports, probed and then bound by the engine; retried if another process wins. */
    private static ZmqEngine startOnFreePorts() throws IOException {
        EngineStartException last = null;
        for (int attempt = 0; attempt < 20; attempt++) {
            int base = ThreadLocalRandom.current().nextInt(20_000, 60_000);
            if (!freePorts(base, 4)) {
                continue;
            }
            ZmqEngine candidate = new ZmqEngine(
                    EngineSettings.builder().basePort(base).build(),
                    SessionSettings.builder().adminPassword(PASSWORD).acceptedVersions(List.of()).build());
            try {
                candidate.start();
                return candidate;
            } catch (EngineStartException e) {
                last = e;
            }
        }
        throw new IllegalStateException("no 4 consecutive free ports found on 127.0.0.1", last);
    }

    private static boolean freePorts(int base, int count) {
        for (int port = base; port < base + count; port++) {
            try (ServerSocket probe = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
                probe.setReuseAddress(true);
            } catch (IOException e) {
                return false;
            }
        }
        return true;
    }

    private record Result(int exitCode, String output) {
    }

    private static Result run(List<String> command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        process.getOutputStream().close();
        CompletableFuture<String> output = CompletableFuture.supplyAsync(() -> {
            try {
                return new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                return "(output unreadable: " + e + ")";
            }
        });
        if (!process.waitFor(PROCESS_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            String partial;
            try {
                partial = output.get(10, TimeUnit.SECONDS);
            } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                partial = "(output unreadable: " + e + ")";
            }
            fail(String.join(" ", command) + " did not finish within " + PROCESS_TIMEOUT_SECONDS + " s; output:\n"
                    + partial);
        }
        try {
            return new Result(process.exitValue(), output.get(10, TimeUnit.SECONDS));
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            return new Result(process.exitValue(), "(output unreadable: " + e + ")");
        }
    }

    private static String sha256(byte[] data) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
