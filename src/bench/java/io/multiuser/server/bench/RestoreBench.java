package io.multiuser.server.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

import io.multiuser.server.persistence.SessionStore;
import io.multiuser.server.protocol.Node;
import io.multiuser.server.testclient.AdminHttp;
import io.multiuser.server.testclient.ClientPickler;
import io.multiuser.server.testclient.Nodes;
import io.multiuser.server.testclient.ServerProcess;
import io.multiuser.server.testclient.TestClient;

/**
 * The session store with a big scene: the admin's upload with the store on (and off, to compare),
 * the log's size on disk after a clean stop, and the restart on that directory: process start →
 * {@code /q/health/ready} 200, and the restore's own time from its log line. Part of {@link Bench};
 * {@code main} runs it alone at full size and writes {@code store-results.json}.
 */
final class RestoreBench {

    private static final String PASSWORD = "bench";
    private static final Duration LIMIT = Duration.ofMinutes(5); // bound on each wait, far above the figures
    private static final Pattern RESTORED = Pattern.compile("Restored the session from \\S+: (\\d+) nodes, (\\d+)"
            + " bytes in ([0-9.]+) s \\((\\d+) records\\)");
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private RestoreBench() {
    }

    public static void main(String[] args) throws Exception {
        Path out = Path.of(System.getProperty("bench.out", "target/bench"));
        Files.createDirectories(out);
        Map<String, Object> r = run(false);
        Files.writeString(out.resolve("store-results.json"), new ObjectMapper()
                .enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(r));
        System.out.println(markdown(r));
    }

    /** 10,000 × 64 KiB (quick: 1,000 × 64 KiB). */
    static Map<String, Object> run(boolean quick) throws Exception {
        int count = quick ? 1000 : 10_000;
        int size = 64 * 1024;
        System.out.printf("session store: %d × %s%n", count, Bench.size(size));
        List<Node> scene = Nodes.scene(count, size, 5);
        long payload = (long) count * size;
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("nodes", count);
        r.put("node_bytes", size);
        r.put("payload_bytes", payload);

        // Uploads with the store off and on, each into a fresh server, in the order off, on, on, off:
        // the bench JVM's own warm-up and any trend on this shared machine weigh on both alike.
        List<Double> off = new ArrayList<>();
        List<Double> on = new ArrayList<>();
        Path dir = null;
        try {
            for (boolean store : new boolean[] {false, true, true, false}) {
                Path data = store ? Files.createTempDirectory("bench-store") : null;
                if (data != null && dir != null) {
                    deleteTree(dir);
                }
                dir = data == null ? dir : data;
                long t0 = System.nanoTime();
                try (ServerProcess server = ServerProcess.start(PASSWORD, data == null
                        ? "-Dmultiuser.store.enabled=false" : "-Dmultiuser.store.directory=" + data)) {
                    double ready = awaitReady(server, t0);
                    AdminHttp admin = new AdminHttp(server.httpPort, PASSWORD);
                    long u0 = System.nanoTime();
                    double upload = upload(server, scene);
                    (store ? on : off).add(upload);
                    if (store) {
                        r.put("ready_seconds_empty", ready);
                        awaitNothingPending(admin);
                        r.put("durable_after_upload_start_seconds", (System.nanoTime() - u0) / 1e9);
                        long s0 = System.nanoTime();
                        server.close(); // SIGTERM: the last changes are written before the exit
                        r.put("clean_stop_seconds", (System.nanoTime() - s0) / 1e9);
                    }
                }
            }
            r.put("upload_seconds_store_off", off);
            r.put("upload_seconds_store_on", on);
            r.put("log_bytes", Files.size(dir.resolve(SessionStore.LOG_FILE)));
            r.put("directory_bytes", directoryBytes(dir));
            r.put("log_overhead_ratio", (double) Files.size(dir.resolve(SessionStore.LOG_FILE)) / payload);

            long t0 = System.nanoTime();
            try (ServerProcess again = ServerProcess.start(PASSWORD, "-Dmultiuser.store.directory=" + dir)) {
                r.put("ready_seconds_restored", awaitReady(again, t0));
                Matcher line = RESTORED.matcher(again.log());
                if (!line.find()) {
                    throw new IllegalStateException("no restore line:\n" + again.log());
                }
                JsonNode session = new AdminHttp(again.httpPort, PASSWORD).json("session");
                if (Integer.parseInt(line.group(1)) != count || Long.parseLong(line.group(2)) != payload
                        || session.get("nodes").asInt() != count || session.get("payloadBytes").asLong() != payload) {
                    throw new IllegalStateException("restored " + line.group() + ", session " + session);
                }
                r.put("restore_seconds_logged", Double.parseDouble(line.group(3)));
                r.put("restore_records", Long.parseLong(line.group(4)));
                r.put("rss_mib_restored", Bench.rssMib(again.pid()));
            }
        } finally {
            if (dir != null) {
                deleteTree(dir);
            }
        }
        System.out.println("  " + r);
        return r;
    }

    static String markdown(Map<String, Object> r) {
        StringBuilder md = new StringBuilder();
        md.append(String.format("%n## Session store (%,d nodes × %s, store directory on this machine's disk)%n%n",
                r.get("nodes"), Bench.size((int) r.get("node_bytes"))));
        md.append("| measure | value |\n|---|---|\n");
        md.append(String.format("| upload (INIT → DONE), store off, 2 runs | %s |%n", seconds(r.get("upload_seconds_store_off"))));
        md.append(String.format("| upload (INIT → DONE), store on, 2 runs | %s |%n", seconds(r.get("upload_seconds_store_on"))));
        md.append(String.format("| upload start → every node fsynced (store pending 0) | %.2f s |%n",
                r.get("durable_after_upload_start_seconds")));
        md.append(String.format("| clean stop (SIGTERM → exit) | %.2f s |%n", r.get("clean_stop_seconds")));
        md.append(String.format("| `session.log` on disk | %,d bytes (%.4f × the %,d payload bytes) |%n",
                r.get("log_bytes"), r.get("log_overhead_ratio"), r.get("payload_bytes")));
        md.append(String.format("| data directory | %,d bytes |%n", r.get("directory_bytes")));
        md.append(String.format("| process start → ready, empty directory | %.2f s |%n", r.get("ready_seconds_empty")));
        md.append(String.format("| process start → ready, restoring the scene | %.2f s |%n",
                r.get("ready_seconds_restored")));
        md.append(String.format("| restore itself (its log line; %,d records) | %.2f s |%n", r.get("restore_records"),
                r.get("restore_seconds_logged")));
        md.append(String.format("| RSS after the restore | %.0f MiB |%n", r.get("rss_mib_restored")));
        md.append("\nThe restart reads a log the previous server had just written, so from the page cache; a cold"
                + " disk adds its read time for those bytes.\n");
        return md.toString();
    }

    /** The admin's upload as {@link TestClient#upload} does it, with waits sized for a big scene. */
    private static double upload(ServerProcess server, List<Node> scene) {
        try (TestClient admin = new TestClient(server.basePort, "store-admin")) {
            String reply = admin.loginAsAdmin(PASSWORD);
            if (!reply.equals("LOBBY")) {
                throw new IllegalStateException("login: " + reply);
            }
            long t0 = System.nanoTime();
            admin.send("server", "RepServerSnapshotCommand", TestClient.map("STATE", "INIT", "SIZE", scene.size(),
                    "NODES", scene.stream().map(Node::uuid).toList()));
            admin.await("RepServerSnapshotCommand", r -> stateIs(r, "ACCEPTED"), LIMIT);
            for (Node node : scene) {
                admin.send("server", "RepServerSnapshotCommand", TestClient.map("STATE", "SET", "DATA",
                        TestClient.map("owner", utf8(node.owner()), "uuid", utf8(node.uuid()), "type",
                                utf8(node.type()), "dependencies", ClientPickler.dumps(new ArrayList<>(
                                        node.dependencies())), "data", node.payload().toArray())));
            }
            admin.await("RepServerSnapshotCommand", r -> stateIs(r, "DONE"), LIMIT);
            double seconds = (System.nanoTime() - t0) / 1e9;
            admin.send("server", "RepServerSnapshotCommand", TestClient.map("STATE", "END"));
            admin.drain(200); // END on its way before the socket closes
            return seconds;
        }
    }

    private static String seconds(Object values) {
        return ((List<?>) values).stream().map(v -> String.format("%.2f s", (Double) v))
                .collect(java.util.stream.Collectors.joining(", "));
    }

    private static boolean stateIs(TestClient.Received r, String state) {
        return r.data() instanceof Map<?, ?> m && state.equals(m.get("STATE"));
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static double awaitReady(ServerProcess server, long t0) throws Exception {
        long deadline = t0 + LIMIT.toNanos();
        while (true) {
            try {
                HttpResponse<Void> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                        + server.httpPort + "/q/health/ready")).timeout(Duration.ofSeconds(5)).build(),
                        HttpResponse.BodyHandlers.discarding());
                if (r.statusCode() == 200) {
                    return (System.nanoTime() - t0) / 1e9;
                }
            } catch (IOException e) {
                // not listening yet
            }
            if (!server.isAlive() || System.nanoTime() > deadline) {
                throw new IllegalStateException("server not ready:\n" + server.log());
            }
            Thread.sleep(10);
        }
    }

    private static void awaitNothingPending(AdminHttp admin) throws Exception {
        long deadline = System.nanoTime() + LIMIT.toNanos();
        while (admin.json("session").get("store").get("pendingChanges").asInt() > 0) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("store still pending after " + LIMIT);
            }
            Thread.sleep(20);
        }
    }

    private static long directoryBytes(Path dir) throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            return files.filter(Files::isRegularFile).mapToLong(p -> {
                try {
                    return Files.size(p);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }).sum();
        }
    }

    static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
