package io.multiuser.server.bench;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.multiuser.server.protocol.Node;
import io.multiuser.server.testclient.FreePorts;
import io.multiuser.server.testclient.Nodes;
import io.multiuser.server.testclient.ServerProcess;
import io.multiuser.server.testclient.TestClient;

/**
 * The tunnel against direct access, in one run on loopback (-Dbench.focus=tunnel): the same
 * packaged server with the tunnel on (its self-signed certificate, TLS 1.3), the connector started
 * from the same jar as an artist runs it ({@code connect}, its own process), and the same clients
 * once on the session ports and once on the connector's. Cases, alternating direct and tunnel so
 * that the machine's other load falls on both:
 * <ol>
 * <li>fan-out, 1 sender → 8 receivers, 1 KiB at 50/s: p50 and p99 of send → receive;
 * <li>a join of 1,000 × 64 KiB (catalog → last block) by a joiner in its own process, as the add-on joins;
 * <li>the server's CPU per delivered byte in both (the connector's CPU is not counted: it is the
 * artist's machine's; on this box it competes for the same cores).
 * </ol>
 * Targets: tunnel p99 ≤ direct p99 + 1 ms; tunnel join ≤ 1.25 × direct.
 */
final class TunnelBench {

    private static final String PASSWORD = "bench";
    /** Unreported tunnel joins before the pairs: {@code -Dbench.tunnel.warm-joins} (docs/performance.md, "Tunnel"). */
    private static final int WARM_JOINS = Integer.getInteger("bench.tunnel.warm-joins", 16);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private final boolean quick;
    private final Bench09.Starter starter;
    private final Bench09.Targets targets;
    private final StringBuilder md = new StringBuilder();

    TunnelBench(boolean quick, Bench09.Starter starter, Bench09.Targets targets) {
        this.quick = quick;
        this.starter = starter;
        this.targets = targets;
    }

    String markdown() {
        return md.toString();
    }

    Map<String, Object> run() throws Exception {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("fan_out", fanOut());
        json.put("join", joins());
        return json;
    }

    /**
     * A packaged server with the tunnel on, and the connector as its own process from the same jar,
     * as an artist runs it (its own JVM, the normal CPU policy, not the harness's); closed together.
     */
    private record Tunnelled(ServerProcess server, Process connector, int localPort) implements AutoCloseable {
        @Override
        public void close() throws Exception {
            connector.destroy();
            if (!connector.waitFor(10, TimeUnit.SECONDS)) {
                connector.destroyForcibly();
            }
            server.close();
        }
    }

    private Tunnelled start() throws Exception {
        int sslPort;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            sslPort = s.getLocalPort();
        }
        Path tls = Files.createTempDirectory("bench-tunnel-tls");
        ServerProcess server = starter.start("-Dmultiuser.tunnel.enabled=true", "-Dquarkus.http.ssl-port=" + sslPort,
                "-Dmultiuser.tunnel.certificate-directory=" + tls);
        try {
            return connect(server, sslPort);
        } catch (Exception | AssertionError e) {
            server.close(); // a failed start leaves no server behind
            throw e;
        }
    }

    private Tunnelled connect(ServerProcess server, int sslPort) throws Exception {
        JsonNode token = JSON.readTree(send(server, "POST", "/admin/api/sessions/default/tokens", "{\"label\":\"bench\"}"));
        int local = FreePorts.base();
        Path log = Files.createTempFile("connector", ".log");
        List<String> command = asArtist(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar",
                System.getProperty("server.jar", "target/quarkus-app/quarkus-run.jar"), "connect",
                "wss://127.0.0.1:" + sslPort + "/tunnel/default", "--fingerprint", token.get("fingerprint").asText(),
                "--local-port", String.valueOf(local));
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().put("MULTIUSER_TOKEN", token.get("token").asText()); // not on the command line
        Process connector = pb.start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!Files.readString(log).contains("Connected to session")) {
            if (!connector.isAlive() || System.nanoTime() > deadline) {
                connector.destroyForcibly();
                throw new IllegalStateException("the connector did not get ready:\n" + Files.readString(log));
            }
            Thread.sleep(20);
        }
        System.out.print(Files.readString(log));
        return new Tunnelled(server, connector, local);
    }

    /** A command run as on an artist's machine, where the connector and Blender run under the normal policy. */
    private static List<String> asArtist(String... command) {
        return ServerProcess.underNormalPolicy(List.of(command));
    }

    // ---------------------------------------------------------------- fan-out

    private List<FanOut.Result> fanOut() throws Exception {
        FanOut.Case paced = new FanOut.Case(8, false, 1024, 50, quick ? 100 : 500);
        List<FanOut.Result> results = new ArrayList<>();
        int run = 0;
        try (Tunnelled t = start()) {
            List<Node> scene = Nodes.scene(64, 16, 1);
            try (TestClient admin = new TestClient(t.server().basePort, "bench-admin")) {
                admin.loginAsAdmin(PASSWORD);
                admin.upload(scene);
            }
            kick(t.server(), "bench-admin");
            // warm-up both paths (JIT, TLS session, Vert.x pools), not reported
            for (int port : new int[] {t.server().basePort, t.localPort()}) {
                FanOut.viaServer(new FanOut.Case(8, false, 1024, 0, quick ? 500 : 3000), port, t.server().pid(), scene,
                        run++, name -> kick(t.server(), name));
            }
            int pairs = quick ? 1 : 3;
            for (int i = 0; i < pairs; i++) {
                for (boolean tunnel : new boolean[] {false, true}) {
                    System.out.println("tunnel fan-out: " + paced.label() + (tunnel ? " via the tunnel" : " direct"));
                    FanOut.Result r = FanOut.viaServer(paced, tunnel ? t.localPort() : t.server().basePort,
                            t.server().pid(), scene, run++, name -> kick(t.server(), name));
                    results.add(relabel(r, tunnel ? "tunnel" : "direct"));
                    System.out.printf("  %s p50 %.2f p99 %.2f ms, lost %d, server %.1f µs/delivery%n",
                            tunnel ? "tunnel" : "direct", r.p50Ms(), r.p99Ms(), r.lost(), r.serverMicrosPerDelivery());
                }
            }
        }
        md.append("\n## Tunnel vs direct (loopback, one server, alternating runs)\n\n");
        md.append("| case | via | delivered/expected | lost | p50 ms | p99 ms | max ms | server CPU ns/delivered byte |\n");
        md.append("|---|---|---|---|---|---|---|---|\n");
        for (FanOut.Result r : results) {
            md.append(String.format("| %s | %s | %d/%d | %d | %.2f | %.2f | %.2f | %.1f |%n", r.c().label(), r.via(),
                    r.delivered(), r.expected(), r.lost(), r.p50Ms(), r.p99Ms(), r.maxMs(),
                    r.cpuServerSeconds() * 1e9 / Math.max(1, r.delivered() * (double) r.c().size())));
        }
        double direct = median(results, "direct", FanOut.Result::p99Ms);
        double tunnel = median(results, "tunnel", FanOut.Result::p99Ms);
        double direct50 = median(results, "direct", FanOut.Result::p50Ms);
        double tunnel50 = median(results, "tunnel", FanOut.Result::p50Ms);
        long lost = results.stream().mapToLong(FanOut.Result::lost).sum();
        targets.target("tunnel: fan-out 1 KiB × 8 receivers at 50/s, p99 ≤ direct p99 + 1 ms",
                String.format("tunnel p50 %.2f / p99 %.2f ms vs direct p50 %.2f / p99 %.2f ms (medians of %d runs each);"
                        + " lost %d", tunnel50, tunnel, direct50, direct, results.size() / 2, lost),
                tunnel <= direct + 1 && lost == 0);
        return results;
    }

    private static FanOut.Result relabel(FanOut.Result r, String via) {
        return new FanOut.Result(r.c(), via, r.expected(), r.delivered(), r.lost(), r.duplicated(), r.seconds(),
                r.deliveriesPerSecond(), r.megabytesPerSecond(), r.p50Ms(), r.p99Ms(), r.maxMs(), r.cpuServerSeconds(),
                r.cpuHarnessSeconds(), r.serverPageFaults());
    }

    private static double median(List<FanOut.Result> results, String via, java.util.function.ToDoubleFunction<FanOut.Result> f) {
        double[] v = results.stream().filter(r -> r.via().equals(via)).mapToDouble(f).sorted().toArray();
        return v.length == 0 ? Double.NaN : v[v.length / 2];
    }

    // ---------------------------------------------------------------- join

    private List<Map<String, Object>> joins() throws Exception {
        int nodes = quick ? 200 : 1000;
        List<Node> scene = Nodes.scene(nodes, 64 * 1024, 7);
        Download intact = Download.of(scene); // what each joiner must report
        long bytes = intact.bytes();
        List<Map<String, Object>> rows = new ArrayList<>();
        try (Tunnelled t = start()) {
            try (TestClient admin = new TestClient(t.server().basePort, "admin")) {
                admin.loginAsAdmin(PASSWORD);
                admin.upload(scene);
                // Warm-up. Both JVMs' AES-GCM runs at a tenth of its speed until C2 has compiled it, which
                // takes a few hundred MB on this box: the first tunnel join (a fresh connector, as an
                // artist's first join) is reported on its own, the next ones warm up, then the pairs.
                join(t.server().basePort, t, intact, "warm-direct");
                Map<String, Object> cold = join(t.localPort(), t, intact, "cold-tunnel");
                cold.put("via", "tunnel, first join (cold JVMs)");
                cold.put("server_cpu_ns_per_byte", (double) cold.get("server_cpu_seconds") * 1e9 / bytes);
                System.out.println("  tunnel join: " + cold);
                rows.add(cold);
                for (int i = 0; i < (quick ? 1 : WARM_JOINS); i++) {
                    join(t.localPort(), t, intact, "warm-tunnel" + i);
                }
                int pairs = quick ? 1 : 3;
                for (int i = 0; i < pairs; i++) {
                    for (boolean tunnel : new boolean[] {false, true}) {
                        Map<String, Object> r = join(tunnel ? t.localPort() : t.server().basePort, t, intact,
                                (tunnel ? "jt" : "jd") + i);
                        r.put("via", tunnel ? "tunnel" : "direct");
                        r.put("server_cpu_ns_per_byte", (double) r.get("server_cpu_seconds") * 1e9 / bytes);
                        System.out.println("  tunnel join: " + r);
                        rows.add(r);
                    }
                }
            }
        }
        md.append(String.format("%n| join %d × 64 KiB | seconds | complete | server CPU s | server CPU ns/byte"
                + " | server page faults | connector CPU s |%n", nodes));
        md.append("|---|---|---|---|---|---|---|\n");
        for (Map<String, Object> r : rows) {
            md.append(String.format("| %s | %.2f | %s | %.2f | %.2f | %,.0f | %.2f |%n", r.get("via"), r.get("seconds"),
                    r.get("complete"), r.get("server_cpu_seconds"), r.get("server_cpu_ns_per_byte"),
                    r.get("server_page_faults"), r.get("connector_cpu_seconds")));
        }
        double direct = medianOf(rows, "direct");
        double tunnel = medianOf(rows, "tunnel");
        boolean complete = rows.stream().allMatch(r -> Boolean.TRUE.equals(r.get("complete")));
        targets.target("tunnel: join " + nodes + " × 64 KiB ≤ 1.25 × direct",
                String.format("tunnel %.2f s vs direct %.2f s (%.2f ×, medians of %d joins each)%s", tunnel, direct,
                        tunnel / direct, rows.size() / 2, complete ? "" : "; INCOMPLETE joins"),
                complete && tunnel <= 1.25 * direct);
        return rows;
    }

    private static double medianOf(List<Map<String, Object>> rows, String via) {
        double[] v = rows.stream().filter(r -> r.get("via").equals(via)).mapToDouble(r -> (double) r.get("seconds"))
                .sorted().toArray();
        return v.length == 0 ? Double.NaN : v[v.length / 2];
    }

    /**
     * A joiner as the add-on joins: its own process on libzmq, reading one message per socket and loop
     * turn ({@code process_joiner.py}). A joiner inside this JVM, on JeroMQ, paced the direct joins
     * by how its I/O thread drained the socket (0.03–0.45 s for the same join, at the same server
     * CPU; docs/performance.md, "Joiners kicked"). Over the download (catalog → last block): the
     * server's CPU and minor page faults, and the connector's CPU (measured for direct joins too,
     * where it idles). The joiner is kicked afterwards: a 0.1 client never says it leaves.
     */
    private static Map<String, Object> join(int basePort, Tunnelled t, Download intact, String name)
            throws IOException, InterruptedException {
        Process joiner = new ProcessBuilder(asArtist(ProcessClientsBench.PYTHON,
                ProcessClientsBench.PYTHON_DIR.resolve("process_joiner.py").toString(), "--port",
                String.valueOf(basePort), "--name", name)).redirectErrorStream(true).start();
        Map<String, Object> r = new LinkedHashMap<>();
        try (java.io.BufferedReader out = new java.io.BufferedReader(
                new java.io.InputStreamReader(joiner.getInputStream(), StandardCharsets.UTF_8))) {
            String catalog = out.readLine(); // the joiner's waits are bounded: a line or the end comes
            if (catalog == null || !catalog.startsWith("CATALOG ")) {
                throw new IllegalStateException(name + ": " + catalog);
            }
            FanOut.Cpu cpu = FanOut.Cpu.now(t.server().pid());
            FanOut.Cpu connectorCpu = FanOut.Cpu.now(t.connector().pid());
            String joined = out.readLine();
            FanOut.Cpu used = FanOut.Cpu.now(t.server().pid()).since(cpu);
            FanOut.Cpu connectorUsed = FanOut.Cpu.now(t.connector().pid()).since(connectorCpu);
            if (joined == null || !joined.startsWith("JOINED ")) {
                throw new IllegalStateException(name + ": " + joined);
            }
            String[] f = joined.split(" "); // JOINED nodes bytes seconds sha256
            r.put("seconds", Double.parseDouble(f[3]));
            r.put("complete", new Download(Integer.parseInt(f[1]), Long.parseLong(f[2]), f[4]).equals(intact));
            r.put("server_cpu_seconds", used.server());
            r.put("server_page_faults", used.serverFaults());
            r.put("connector_cpu_seconds", connectorUsed.server());
        } finally {
            if (!joiner.waitFor(10, TimeUnit.SECONDS)) {
                joiner.destroyForcibly();
            }
        }
        kick(t.server(), name);
        return r;
    }

    /**
     * What the joiner prints for an intact download: nodes, payload bytes, and the SHA-256 of one
     * "uuid:crc32" line per node in uuid order. Worked out once per scene, not once per join.
     */
    private record Download(int nodes, long bytes, String digest) {

        static Download of(List<Node> scene) {
            StringBuilder lines = new StringBuilder();
            scene.stream().sorted(java.util.Comparator.comparing(Node::uuid)).forEach(n -> {
                java.util.zip.CRC32 crc = new java.util.zip.CRC32();
                n.payload().updateChecksum(crc);
                lines.append(n.uuid()).append(':').append(String.format("%08x", crc.getValue())).append('\n');
            });
            try {
                return new Download(scene.size(), scene.stream().mapToLong(n -> n.payload().length()).sum(),
                        java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
                                .digest(lines.toString().getBytes(StandardCharsets.US_ASCII))));
            } catch (java.security.NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    // ---------------------------------------------------------------- admin API

    private static void kick(ServerProcess server, String name) {
        try {
            send(server, "POST", "/admin/api/users/" + name + "/kick", null);
        } catch (IOException | RuntimeException e) {
            // already gone
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static String send(ServerProcess server, String method, String path, String body)
            throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.httpPort + path))
                .timeout(Duration.ofSeconds(10)).header("Authorization", "Basic " + Base64.getEncoder()
                        .encodeToString(("admin:" + PASSWORD).getBytes(StandardCharsets.UTF_8)));
        if (body != null) {
            b.header("Content-Type", "application/json");
        }
        HttpResponse<String> response = HTTP.send(b.method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                : HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() >= 300) {
            throw new IllegalStateException(method + " " + path + ": " + response.statusCode() + " " + response.body());
        }
        return response.body();
    }
}
