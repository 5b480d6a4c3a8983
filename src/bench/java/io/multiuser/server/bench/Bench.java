package io.multiuser.server.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

import io.multiuser.server.engine.BatchScheduling;
import io.multiuser.server.protocol.Node;
import io.multiuser.server.testclient.JvmFlags;
import io.multiuser.server.testclient.Nodes;
import io.multiuser.server.testclient.ServerProcess;
import io.multiuser.server.testclient.TestClient;

/**
 * The benchmark suite: fan-out through the packaged server and through bare JeroMQ, snapshot
 * upload and join (loopback and an emulated 50 ms round trip, default window and window 0),
 * memory with 100,000 nodes, GC pauses, start-up time, the protocol 0.9 cases ({@link Bench09}),
 * many sessions in one server ({@link SessionsBench}) and the fuzz test at 100,000 frames per port
 * ({@link FuzzBench}, in this JVM).
 * Every server is the packaged jar in its own process ({@code server.jar}); everything runs on
 * 127.0.0.1 and every loop is bounded.
 * Writes target/bench/results.json and results.md. Run with {@code ./mvnw -Pbench verify}.
 */
public final class Bench {

    private static final String PASSWORD = "bench";
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    /** Every stop-the-world pause -Xlog:gc prints: G1's and Shenandoah's "Pause ..." lines end in ms. */
    private static final Pattern GC_PAUSE = Pattern.compile("Pause.* ([0-9.]+)ms\\s*$");
    /** -Dbench.harness.cpus: the taskset CPU list of this JVM and what it starts, or "" for all. */
    private static final String HARNESS_CPUS = System.getProperty("bench.harness.cpus", "").trim();

    private final Path out;
    private final boolean quick;
    /** This JVM's CPU policy, for the results: SCHED_BATCH or normal. */
    private final String harnessPolicy;
    /**
     * -Dbench.focus for tuning rounds: "targets" runs only the fan-out target cases (warm-up
     * included), "targets-paced" only the paced latency one, "v09" only the protocol 0.9 cases
     * ({@link Bench09}), "sessions" only the many-sessions cases ({@link SessionsBench}), "fuzz" only
     * the fuzz runs ({@link FuzzBench}), "processes" only the python-process clients of issue #19
     * ({@link ProcessClientsBench}); empty runs the whole suite.
     */
    private final String focus = focus();
    private final boolean v09Only = focus.equals("v09");
    private final boolean sessionsOnly = focus.equals("sessions");
    private final boolean fuzzOnly = focus.equals("fuzz");
    /** "tunnel": only the tunnel against direct access ({@link TunnelBench}); not part of the whole suite yet. */
    private final boolean tunnelOnly = focus.equals("tunnel");
    private final boolean processesOnly = focus.equals("processes");
    private final boolean targetsOnly = focus.startsWith("targets");
    private final boolean pacedOnly = focus.equals("targets-paced");
    private final List<Double> startupSeconds = new ArrayList<>();
    private final Map<String, Object> json = new LinkedHashMap<>();
    private final StringBuilder md = new StringBuilder();
    private final List<String[]> targets = new ArrayList<>();

    private Bench(Path out, boolean quick, String harnessPolicy) {
        this.out = out;
        this.quick = quick;
        this.harnessPolicy = harnessPolicy;
    }

    public static void main(String[] args) throws Exception {
        Path out = Path.of(System.getProperty("bench.out", "target/bench"));
        Files.createDirectories(out);
        String policy = harnessPolicy(); // first: the threads started from here on inherit it
        pinHarness();
        // -Dbench.quick=true: a few small cases, to check the harness in seconds
        new Bench(out, Boolean.getBoolean("bench.quick"), policy).run();
    }

    /**
     * -Dbench.harness.cpus=1 (a taskset CPU list) keeps this JVM, and so the clients, relays and
     * connectors it starts, on those CPUs; with -Dbench.server.cpus=0 the servers get the others.
     * That measures the server with cores of its own, as on a host where the artists' side runs elsewhere.
     */
    private static void pinHarness() throws IOException, InterruptedException {
        String cpus = HARNESS_CPUS;
        if (cpus.isEmpty()) {
            return;
        }
        Process taskset = new ProcessBuilder("taskset", "--all-tasks", "--pid", "--cpu-list", cpus,
                String.valueOf(ProcessHandle.current().pid())).redirectErrorStream(true).start();
        String output = new String(taskset.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (taskset.waitFor() != 0) {
            throw new IllegalArgumentException("-Dbench.harness.cpus=" + cpus + ": taskset refused: " + output.trim());
        }
    }

    /**
     * The emulated clients run on JeroMQ like the server, so they stall each other the way
     * {@link BatchScheduling} describes, which the real client (libzmq) does not: by default this
     * thread, and so every thread it starts from here on, runs under SCHED_BATCH too.
     * -Dbench.harness.batch=false keeps the normal policy.
     */
    private static String harnessPolicy() {
        if (!Boolean.parseBoolean(System.getProperty("bench.harness.batch", "true"))) {
            return "normal";
        }
        return BatchScheduling.applyToCurrentThread().map(why -> "normal (SCHED_BATCH refused: " + why + ")")
                .orElse("SCHED_BATCH");
    }

    private void run() throws Exception {
        long t0 = System.nanoTime();
        json.put("machine", machine(harnessPolicy));
        if (fuzzOnly || v09Only || sessionsOnly || tunnelOnly || processesOnly) { // one family, with its targets
            if (tunnelOnly) {
                TunnelBench tunnel = new TunnelBench(quick, this::start, this::target);
                json.put("tunnel", tunnel.run());
                md.append(tunnel.markdown());
            } else if (processesOnly) {
                processes();
            } else if (fuzzOnly) {
                fuzz();
            } else if (v09Only) {
                v09(List.of());
            } else {
                sessions();
            }
            json.put("targets", targets.stream().map(t -> Map.of("target", t[0], "measured", t[1], "pass", t[2]))
                    .toList());
            json.put("suite_seconds", (System.nanoTime() - t0) / 1e9);
            write(List.of(), List.of(), Map.of());
            return;
        }
        List<FanOut.Result> fanOut = fanOut();
        if (targetsOnly) {
            json.put("suite_seconds", (System.nanoTime() - t0) / 1e9);
            write(fanOut, List.of(), Map.of());
            return;
        }
        List<Map<String, Object>> joins = joins();
        Map<String, Object> memory = memory();
        Map<String, Object> store = RestoreBench.run(quick);
        json.put("session_store", store);
        md.append(RestoreBench.markdown(store));
        v09(joins);
        sessions();
        fuzz();
        processes();
        Map<String, Object> startup = stats(startupSeconds);
        json.put("startup_seconds", startup);
        md.append("\n## Start-up (process start → /q/health/ready 200)\n\n");
        md.append(String.format("%d launches: min %.2f s, median %.2f s, max %.2f s%n", startupSeconds.size(),
                startup.get("min"), startup.get("median"), startup.get("max")));
        json.put("targets", targets.stream().map(t -> Map.of("target", t[0], "measured", t[1], "pass", t[2]))
                .toList());
        json.put("suite_seconds", (System.nanoTime() - t0) / 1e9);
        write(fanOut, joins, memory);
    }

    // ---------------------------------------------------------------- 1 + 2: fan-out

    private List<FanOut.Case> matrix() {
        List<FanOut.Case> m = new ArrayList<>();
        if (targetsOnly) {
            m.add(new FanOut.Case(8, true, 1024, 50, PACED_TARGET_COUNT));
            if (pacedOnly) {
                return m;
            }
            m.add(new FanOut.Case(8, false, 1024, 0, TARGET_COUNT));
            m.add(new FanOut.Case(16, true, 1024, 0, 10_000 / 16));
            return m;
        }
        if (quick) {
            m.add(new FanOut.Case(8, false, 1024, 0, 500));
            m.add(new FanOut.Case(4, true, 1024, 50, 50));
            return m;
        }
        int[] clients = {2, 8, 16, 32};
        for (int n : clients) {
            m.add(new FanOut.Case(n, false, 1024, 50, 250)); // 5 s at 50/s
            m.add(new FanOut.Case(n, true, 1024, 50, n == 8 ? PACED_TARGET_COUNT : 250));
        }
        // flat-out counts: enough for runs of about a second or more, so rates are not start-up noise
        for (int n : clients) {
            m.add(new FanOut.Case(n, false, 1024, 0, n == 8 ? TARGET_COUNT : 10_000));
            m.add(new FanOut.Case(n, true, 1024, 0, Math.max(500, 10_000 / n)));
        }
        m.add(new FanOut.Case(8, false, 64 * 1024, 50, 250));
        for (int n : clients) {
            m.add(new FanOut.Case(n, false, 64 * 1024, 0, 1000));
        }
        m.add(new FanOut.Case(2, true, 64 * 1024, 0, 1000));
        m.add(new FanOut.Case(8, true, 64 * 1024, 0, 250));
        m.add(new FanOut.Case(2, false, 1024 * 1024, 0, 100));
        m.add(new FanOut.Case(8, false, 1024 * 1024, 0, 50));
        m.add(new FanOut.Case(2, true, 1024 * 1024, 0, 50));
        return m;
    }

    private List<FanOut.Result> fanOut() throws Exception {
        List<FanOut.Result> results = new ArrayList<>();
        Path gcLog = out.resolve("gc-fanout.log").toAbsolutePath();
        Files.deleteIfExists(gcLog);
        int run = 0;
        String gc;
        try (ServerProcess server = start("-Xlog:gc:file=" + gcLog)) {
            // a scene of 64 COMMON nodes: sender i edits node i (anyone may edit COMMON nodes)
            List<Node> scene = Nodes.scene(64, 16, 1);
            try (TestClient admin = new TestClient(server.basePort, "bench-admin")) {
                admin.loginAsAdmin(PASSWORD);
                admin.upload(scene);
            }
            // The admin left (it would be one more receiver); the session stays ACTIVE with the scene.
            // Each run's clients are kicked when it ends, so no run pays for an earlier one's.
            kick(server, "bench-admin");
            // Warm-up, not reported: a long-running server has long compiled its hot paths, and on a
            // small machine the JIT threads would otherwise compete with the first measured runs.
            for (FanOut.Case c : quick ? List.<FanOut.Case>of() : List.of(new FanOut.Case(8, false, 1024, 0, 10_000),
                    new FanOut.Case(8, true, 1024, 0, 2_000), new FanOut.Case(8, false, 1024, 0, 10_000),
                    new FanOut.Case(8, false, 1024, 0, 10_000), new FanOut.Case(8, true, 1024, 50, 100))) {
                System.out.println("warm-up: " + c.label());
                FanOut.viaServer(c, server.basePort, server.pid(), scene, run++, name -> kick(server, name));
                FanOut.raw(new FanOut.Case(8, false, 1024, 0, 10_000), run++);
            }
            for (FanOut.Case c : matrix()) {
                System.out.println("fan-out: " + c.label());
                results.add(FanOut.viaServer(c, server.basePort, server.pid(), scene, run++,
                        name -> kick(server, name)));
                print(results.get(results.size() - 1));
                if (!c.allSend() && c.size() <= 64 * 1024 && c.rate() == 0) {
                    results.add(FanOut.raw(c, run++));
                    print(results.get(results.size() - 1));
                    if (isTargetCase(c)) {
                        // the target's pair four times more, alternating: the median of five pairs is
                        // less at the mercy of whatever else the machine runs than one run, or three
                        run = moreRounds(results, c, 4, server, scene, run, FanOut::raw);
                    }
                }
                if (c.size() == 1024 && c.rate() > 0 && (c.clients() == 2 || c.clients() == 8)) {
                    results.add(FanOut.relay(c, run++)); // the paced latency's floor: same hops, no server
                    print(results.get(results.size() - 1));
                    if (isPacedTargetCase(c) && !quick) {
                        // the same relay in a JVM of its own: what a separate process costs on these cores
                        results.add(FanOut.relayOwnJvm(c, run++));
                        print(results.get(results.size() - 1));
                        // a p99 of 20 s is at the mercy of a few stalls from elsewhere: two rounds more,
                        // alternating, and the target takes the median server run
                        run = moreRounds(results, c, 2, server, scene, run, FanOut::relay, FanOut::relayOwnJvm);
                    }
                }
            }
            gc = gcPauses(gcLog, "fan-out server");
        }
        json.put("fan_out", results);

        md.append("\n## Fan-out (loopback; deliveries = datablocks received by all receivers)\n\n");
        md.append("| case | via | delivered/expected | lost | dup | deliveries/s | MB/s | p50 ms | p99 ms | max ms"
                + " | server CPU µs/delivery | harness CPU s |\n");
        md.append("|---|---|---|---|---|---|---|---|---|---|---|---|\n");
        for (FanOut.Result r : results) {
            md.append(String.format("| %s | %s | %d/%d | %d | %d | %.0f | %.1f | %.2f | %.2f | %.2f | %s | %.2f |%n",
                    r.c().label(), r.via(), r.delivered(), r.expected(), r.lost(), r.duplicated(),
                    r.deliveriesPerSecond(), r.megabytesPerSecond(), r.p50Ms(), r.p99Ms(), r.maxMs(),
                    // paced runs mostly measure the server's idle and timer cost over 5 s: no per-delivery figure
                    Double.isNaN(r.cpuServerSeconds()) || r.c().rate() > 0 ? "–"
                            : String.format("%.1f", r.serverMicrosPerDelivery()),
                    r.cpuHarnessSeconds()));
        }
        md.append(gc);
        targetsFromFanOut(results);
        return results;
    }

    /** A run of a case without the server, numbered {@code run}: the raw ceiling or the relay. */
    private interface Baseline {
        FanOut.Result run(FanOut.Case c, int run) throws Exception;
    }

    /** {@code count} more rounds of a case, server then each baseline; returns the next run number. */
    private int moreRounds(List<FanOut.Result> results, FanOut.Case c, int count, ServerProcess server,
            List<Node> scene, int run, Baseline... baselines) throws Exception {
        int next = run;
        for (int repeat = 0; repeat < count; repeat++) {
            results.add(FanOut.viaServer(c, server.basePort, server.pid(), scene, next++, name -> kick(server, name)));
            print(results.get(results.size() - 1));
            for (Baseline baseline : baselines) {
                results.add(baseline.run(c, next++));
                print(results.get(results.size() - 1));
            }
        }
        return next;
    }

    /**
     * Updates per target run (1 KiB to 8 receivers flat-out): 240,000 deliveries, over a second on
     * this box, so that a scheduling hiccup of a few ms cannot swing the ratio.
     */
    private static final int TARGET_COUNT = 30_000;

    /**
     * Updates per sender of the paced target run (8 clients at 50/s): 20 s, 56,000 deliveries, so
     * that its p99 rests on 560 samples and not on a few stalls of one 5 s window.
     */
    private static final int PACED_TARGET_COUNT = 1000;

    private static boolean isPacedTargetCase(FanOut.Case c) {
        return c.clients() == 8 && c.allSend() && c.size() == 1024 && c.rate() == 50 && c.count() == PACED_TARGET_COUNT;
    }

    private static boolean isTargetCase(FanOut.Case c) {
        return c.clients() == 8 && !c.allSend() && c.size() == 1024 && c.rate() == 0;
    }

    private void targetsFromFanOut(List<FanOut.Result> results) {
        List<FanOut.Result> ours = results.stream().filter(r -> r.via().equals("server") && isTargetCase(r.c()))
                .toList();
        List<FanOut.Result> raw = results.stream().filter(r -> r.via().equals("raw JeroMQ") && isTargetCase(r.c()))
                .toList();
        if (!ours.isEmpty() && ours.size() == raw.size()) {
            // each server run against the raw run right after it; the median of those ratios
            List<double[]> pairs = new ArrayList<>();
            for (int i = 0; i < ours.size(); i++) {
                double a = ours.get(i).deliveriesPerSecond();
                double b = raw.get(i).deliveriesPerSecond();
                pairs.add(new double[] {a / b, a, b});
            }
            pairs.sort((x, y) -> Double.compare(x[0], y[0]));
            double[] median = pairs.get(pairs.size() / 2);
            json.put("ratio_ours_raw_1KiB_8_receivers", median[0]);
            json.put("ratios_ours_raw_1KiB_8_receivers_all_pairs", pairs.stream().map(x -> x[0]).toList());
            String allPairs = pairs.stream().map(x -> String.format("%.0f %%", x[0] * 100))
                    .collect(java.util.stream.Collectors.joining(", "));
            double medianMicros = ours.stream().mapToDouble(FanOut.Result::serverMicrosPerDelivery).sorted()
                    .skip(ours.size() / 2).findFirst().orElse(Double.NaN);
            double medianFaults = ours.stream().mapToDouble(r -> r.serverPageFaults() * 1000 / r.delivered())
                    .sorted().skip(ours.size() / 2).findFirst().orElse(Double.NaN);
            target("fan-out 1 KiB × 8 receivers, 1 sender, flat-out ≥ 70 % of raw JeroMQ",
                    String.format("%.1f %% (%.0f vs %.0f deliveries/s; median of %d alternating pairs: %s;"
                            + " server CPU %.1f µs per delivery, %.1f page faults per 1,000 deliveries)",
                            median[0] * 100, median[1], median[2], pairs.size(), allPairs, medianMicros,
                            medianFaults),
                    median[0] >= 0.70);
        }
        List<FanOut.Result> paced = results.stream().filter(r -> r.via().equals("server") && isPacedTargetCase(r.c()))
                .toList();
        if (!paced.isEmpty()) {
            List<FanOut.Result> floors = results.stream().filter(r -> r.via().equals(FanOut.RELAY)
                    && isPacedTargetCase(r.c())).toList();
            FanOut.Result median = Medians.by(paced, FanOut.Result::p99Ms);
            FanOut.Result floor = Medians.by(floors, FanOut.Result::p99Ms);
            long lost = paced.stream().mapToLong(FanOut.Result::lost).sum();
            String runs = paced.size() == 1 ? "" : "; median of " + paced.size() + " runs alternating with the relay,"
                    + " p99s " + String.join(", ", paced.stream().map(r -> String.format("%.2f", r.p99Ms())).toList())
                    + " ms against the relay's " + String.join(", ", floors.stream().map(r -> String.format("%.2f",
                            r.p99Ms())).toList()) + " ms";
            List<FanOut.Result> ownJvm = results.stream().filter(r -> r.via().equals(FanOut.RELAY_OWN_JVM)
                    && isPacedTargetCase(r.c())).toList();
            String apart = ownJvm.isEmpty() ? "" : String.format("; the same relay in a JVM of its own per run"
                    + " (as the server runs, warmed up by %,d updates first): p99 %.2f ms (%s ms)",
                    RelayHub.WARM_UP_UPDATES, Medians.by(ownJvm, FanOut.Result::p99Ms).p99Ms(),
                    String.join(", ", ownJvm.stream().map(r -> String.format("%.2f", r.p99Ms())).toList()));
            target("8 clients each sending 50/s of 1 KiB: p99 ≤ 2 ms, zero loss",
                    String.format("p50 %.2f ms, p99 %.2f ms, lost %d (raw relay, same hops without the server: "
                            + "p50 %.2f ms, p99 %.2f ms)%s%s", median.p50Ms(), median.p99Ms(), lost,
                            floor == null ? Double.NaN : floor.p50Ms(), floor == null ? Double.NaN : floor.p99Ms(),
                            runs, apart),
                    median.p99Ms() <= 2 && lost == 0);
        }
        for (FanOut.Result r : results) {
            if (r.via().equals("server") && r.c().clients() == 16 && r.c().allSend()) {
                target("16 clients all sending (" + r.c().label() + "): zero loss, zero duplicates",
                        "lost " + r.lost() + ", dup " + r.duplicated(), r.lost() == 0 && r.duplicated() == 0);
            }
        }
    }

    private static void print(FanOut.Result r) {
        System.out.printf("  %-10s %d/%d lost %d dup %d  %.0f/s  %.1f MB/s  p50 %.2f p99 %.2f max %.2f ms (%.1f s)"
                + "  CPU server %.2f s, harness %.2f s, server page faults %.0f%n", r.via(), r.delivered(),
                r.expected(), r.lost(), r.duplicated(), r.deliveriesPerSecond(), r.megabytesPerSecond(), r.p50Ms(),
                r.p99Ms(), r.maxMs(), r.seconds(), r.cpuServerSeconds(), r.cpuHarnessSeconds(), r.serverPageFaults());
    }

    // ---------------------------------------------------------------- 3: upload and join

    private List<Map<String, Object>> joins() throws Exception {
        List<Map<String, Object>> rows = new ArrayList<>();
        boolean windowKnown = true;
        int[][] scenes = quick ? new int[][] {{200, 64 * 1024}} : new int[][] {{1000, 64 * 1024}, {10_000, 1024}};
        md.append("\n## Snapshot upload and join (join = catalog received → DONE sent)\n\n");
        md.append("| scene | window | upload s | join loopback s | join 50 ms RTT s |\n|---|---|---|---|---|\n");
        for (int[] s : scenes) {
            List<Node> scene = Nodes.scene(s[0], s[1], 7);
            for (boolean windowZero : new boolean[] {false, true}) {
                String window = windowZero ? "0" : "default";
                System.out.printf("join: %d × %s, window %s%n", s[0], size(s[1]), window);
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("nodes", s[0]);
                row.put("node_bytes", s[1]);
                row.put("window", window);
                if (windowZero && !windowKnown) {
                    continue;
                }
                ServerProcess started;
                try {
                    started = windowZero ? start("-Dmultiuser.snapshot.window=0") : start();
                } catch (UnknownPropertyException e) {
                    // A build without the streamed snapshot: its default already is one GET per node.
                    windowKnown = false;
                    System.out.println("  multiuser.snapshot.window is unknown to this build: window 0 skipped");
                    md.append(String.format("| %d × %s | 0 | not run: this build has no `multiuser.snapshot.window`"
                            + " (its default answers one GET per round trip, as window 0 would) | | |%n", s[0],
                            size(s[1])));
                    continue;
                }
                try (ServerProcess server = started) {
                    try (TestClient admin = new TestClient(server.basePort, "admin")) {
                        admin.loginAsAdmin(PASSWORD);
                        long u0 = System.nanoTime();
                        admin.upload(scene);
                        row.put("upload_seconds", (System.nanoTime() - u0) / 1e9);
                        row.put("loopback", join(server.basePort, scene, "j-loop", 60));
                        try (DelayRelay relay = new DelayRelay(server.basePort, 25)) {
                            // window 0 answers one GET per round trip: 10,000 × 50 ms would be 500 s
                            row.put("rtt50ms", join(relay.basePort(), scene, "j-wan", s[0] > 2000 ? 30 : 75));
                        }
                    }
                }
                System.out.println("  " + row);
                rows.add(row);
                md.append(String.format("| %d × %s | %s | %.2f | %s | %s |%n", s[0], size(s[1]), window,
                        row.get("upload_seconds"), joinText(row.get("loopback")), joinText(row.get("rtt50ms"))));
            }
        }
        json.put("join", rows);
        json.put("snapshot_window_property_known", windowKnown);
        Map<String, Object> wan = rows.stream().filter(r -> r.get("nodes").equals(1000) && r.get("window")
                .equals("default")).findFirst().map(r -> cast(r.get("rtt50ms"))).orElse(null);
        Map<String, Object> wan0 = rows.stream().filter(r -> r.get("nodes").equals(1000) && r.get("window")
                .equals("0")).findFirst().map(r -> cast(r.get("rtt50ms"))).orElse(null);
        if (wan != null) {
            target("join 1,000 × 64 KiB over 50 ms RTT ≤ 3 s, default window",
                    joinText(wan) + " (window 0: " + joinText(wan0) + ")",
                    Boolean.TRUE.equals(wan.get("complete")) && (double) wan.get("seconds") <= 3);
        }
        return rows;
    }

    /** A client joins like the real one (last catalog entry first, keeping blocks pushed ahead). */
    private static Map<String, Object> join(int basePort, List<Node> scene, String name, int capSeconds) {
        Map<String, Object> r = new LinkedHashMap<>();
        try (TestClient joiner = new TestClient(basePort, name)) {
            String reply = joiner.loginAsClient();
            if (!reply.equals("RUNNING")) {
                throw new IllegalStateException("login: " + reply);
            }
            joiner.send(name, "RepSnapshotCommand", TestClient.map("STATE", "REQUEST_INIT"));
            List<String> catalog = TestClient.catalog(joiner.await("RepSnapshotCommand"));
            long t0 = System.nanoTime();
            Map<String, TestClient.Block> got = joiner.download(catalog,
                    t0 + TimeUnit.SECONDS.toNanos(capSeconds));
            double seconds = (System.nanoTime() - t0) / 1e9;
            int intact = 0;
            for (Node n : scene) {
                TestClient.Block b = got.get(n.uuid());
                if (b != null && Arrays.equals(b.payload(), n.payload().toArray())) {
                    intact++;
                }
            }
            boolean complete = got.size() == catalog.size();
            r.put("complete", complete);
            r.put("seconds", seconds);
            r.put("nodes_received", got.size());
            r.put("nodes_intact", intact);
            if (!complete && !got.isEmpty()) {
                r.put("extrapolated_seconds", seconds * catalog.size() / got.size());
            }
        }
        return r;
    }

    private static String joinText(Object o) {
        Map<String, Object> r = cast(o);
        if (r == null) {
            return "not run";
        }
        if (Boolean.TRUE.equals(r.get("complete"))) {
            return String.format("%.2f", r.get("seconds"));
        }
        return String.format("> %.0f (capped: %s nodes; ≈ %.0f extrapolated)", r.get("seconds"),
                r.get("nodes_received"), r.getOrDefault("extrapolated_seconds", Double.NaN));
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> cast(Object o) {
        return (Map<String, Object>) o;
    }

    /** The protocol 0.9 cases ({@link Bench09}), compared with the four-port {@code joins} of this run. */
    /** The fuzz test at bench scale ({@link FuzzBench}): both generations, in this JVM. */
    private void fuzz() {
        FuzzBench fuzz = new FuzzBench(quick, this::target);
        json.put("fuzz", FuzzBench.json(fuzz.run()));
        md.append(fuzz.markdown());
    }

    private void v09(List<Map<String, Object>> joins) throws Exception {
        Bench09 v09 = new Bench09(quick, this::start, this::target);
        json.put("protocol_09", v09.run(joins));
        md.append(v09.markdown());
    }

    /** Many sessions in one server: 20 × 4 clients against single-session baselines, and a session's idle cost. */
    private void sessions() throws Exception {
        SessionsBench many = new SessionsBench(quick, this::start, this::target);
        json.put("sessions", many.run());
        md.append(many.markdown());
    }

    /** Issue #19: every client its own python3 process on libzmq, against a raw relay of the same hops. */
    private void processes() throws Exception {
        ProcessClientsBench processes = new ProcessClientsBench(this::start, quick, this::target);
        json.put("processes", processes.run());
        md.append(processes.markdown());
    }

    // ---------------------------------------------------------------- 4: memory

    private Map<String, Object> memory() throws Exception {
        int count = quick ? 10_000 : 100_000;
        System.out.printf("memory: %d × 1 KiB%n", count);
        Map<String, Object> r = new LinkedHashMap<>();
        String gc;
        Path gcLog = out.resolve("gc-memory.log").toAbsolutePath();
        Files.deleteIfExists(gcLog);
        try (ServerProcess server = start("-Xlog:gc:file=" + gcLog)) {
            r.put("rss_idle_mib", rssMib(server.pid()));
            r.put("heap_idle_mib", heapMib(server.httpPort));
            List<Node> scene = Nodes.scene(count, 1024, 3);
            try (TestClient admin = new TestClient(server.basePort, "admin")) {
                admin.loginAsAdmin(PASSWORD);
                long u0 = System.nanoTime();
                admin.upload(scene);
                r.put("upload_seconds", (System.nanoTime() - u0) / 1e9);
                Thread.sleep(3000); // let the upload's garbage settle
                r.put("nodes", count);
                r.put("rss_mib", rssMib(server.pid()));
                // the periodic cycle comes every 10 s: one now, so that the heap figure is the scene's
                r.put("gc_run", server.collect());
                r.put("heap_used_mib", heapMib(server.httpPort));
            }
            gc = gcPauses(gcLog, "memory server (100,000-node upload)");
        }
        System.out.println("  " + r);
        json.put("memory", r);
        md.append(String.format("%n## Memory (%,d nodes of 1 KiB)%n%n", count));
        md.append("| | heap used MiB | RSS MiB |\n|---|---|---|\n");
        md.append(String.format("| idle server | %.0f | %.0f |%n", r.get("heap_idle_mib"), r.get("rss_idle_mib")));
        md.append(String.format("| holding the scene | %.0f | %.0f |%n", r.get("heap_used_mib"), r.get("rss_mib")));
        md.append(String.format("%nUpload of the %,d nodes: %.2f s.%n", count, r.get("upload_seconds")));
        md.append(gc);
        double heap = (double) r.get("heap_used_mib");
        target(String.format("%,d nodes of 1 KiB in ≤ 400 MiB heap", count), String.format("%.0f MiB", heap),
                heap <= 400);
        return r;
    }

    /** Resident memory of a process, from /proc (the bench runs on Linux). */
    /**
     * Sets the process's peak RSS (VmHWM) to its current RSS (proc(5): 5 into clear_refs), so that
     * {@link #peakRssMib} tells the peak of what follows; false where the kernel refuses.
     */
    static boolean resetPeakRss(long pid) {
        try {
            Files.writeString(Path.of("/proc/" + pid + "/clear_refs"), "5");
            return true;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /** The process's peak RSS (VmHWM) since it started or since {@link #resetPeakRss}; NaN when unknown. */
    static double peakRssMib(long pid) {
        try {
            return statusMib(pid, "VmHWM:");
        } catch (IOException | RuntimeException e) {
            return Double.NaN; // the process ended
        }
    }

    static double rssMib(long pid) throws IOException {
        return statusMib(pid, "VmRSS:");
    }

    /** A kB field of /proc/PID/status, in MiB; NaN when absent. */
    private static double statusMib(long pid, String field) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (line.startsWith(field)) {
                return Long.parseLong(line.replaceAll("\\D", "")) / 1024.0;
            }
        }
        return Double.NaN;
    }

    /** Sum of jvm_memory_used_bytes{area="heap",...} over the heap pools, from /q/metrics. */
    private static double heapMib(int httpPort) throws Exception {
        double bytes = 0;
        for (String line : get(httpPort, "/q/metrics").body().split("\n")) {
            if (line.startsWith("jvm_memory_used_bytes{") && line.contains("area=\"heap\"")) {
                bytes += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return bytes / 1024 / 1024;
    }

    /** GC pauses from the server's -Xlog:gc file (lines "... Pause Young (Normal) ... 3.456ms"). */
    private String gcPauses(Path log, String what) throws IOException {
        double max = 0;
        double sum = 0;
        int n = 0;
        String collector = "?";
        if (Files.exists(log)) {
            for (String line : Files.readAllLines(log)) {
                int using = line.indexOf("Using ");
                if (using >= 0 && collector.equals("?")) {
                    collector = line.substring(using + 6).trim();
                }
                Matcher m = GC_PAUSE.matcher(line);
                if (m.find()) {
                    double ms = Double.parseDouble(m.group(1));
                    max = Math.max(max, ms);
                    sum += ms;
                    n++;
                }
            }
        }
        Map<String, Object> g = new LinkedHashMap<>();
        g.put("collector", collector);
        g.put("pauses", n);
        g.put("max_ms", max);
        g.put("total_ms", sum);
        json.put("gc_" + (what.startsWith("fan") ? "fan_out" : "memory"), g);
        // a collector whose -Xlog:gc prints no "Pause … ms" lines (JDK 17's ZGC) would otherwise pass with nothing read
        target("no GC pause > 50 ms (" + what + ")", n == 0 ? "no pause lines in its log (" + collector + ")"
                : String.format("max %.1f ms over %d pauses", max, n), n > 0 && max <= 50);
        return String.format("%nGC pauses of the %s (its -Xlog:gc file, %s): %d pauses, max %.1f ms, total %.0f ms.%n",
                what, collector, n, max, sum);
    }

    // ---------------------------------------------------------------- 5: start-up and helpers

    /** A system property holding JVM options separated by spaces; empty when unset. */
    private static List<String> optionList(String property) {
        String value = System.getProperty(property, "").trim();
        return value.isEmpty() ? List.of() : List.of(value.split("\\s+"));
    }

    private static String focus() {
        String value = System.getProperty("bench.focus", "").trim();
        if (!List.of("", "targets", "targets-paced", "v09", "sessions", "fuzz", "tunnel", "processes").contains(value)) {
            throw new IllegalArgumentException("-Dbench.focus=" + value
                    + ": use targets, targets-paced, v09, sessions, fuzz, tunnel or processes (or nothing)");
        }
        return value;
    }

    /** Starts the packaged server and records process start → /q/health/ready 200. */
    private ServerProcess start(String... jvmOptions) throws Exception {
        long t0 = System.nanoTime();
        // tuning rounds: -Dbench.server.gc="-XX:+UseG1GC ..." replaces the collector flags,
        // -Dbench.server.options="..." adds JVM options to every server
        List<String> options = new ArrayList<>(serverOptions());
        options.addAll(List.of(jvmOptions));
        ServerProcess server = ServerProcess.start(PASSWORD, options.toArray(String[]::new));
        long deadline = t0 + TimeUnit.SECONDS.toNanos(60);
        while (true) {
            try {
                if (get(server.httpPort, "/q/health/ready").statusCode() == 200) {
                    break;
                }
            } catch (IOException e) {
                // not listening yet
            }
            if (!server.isAlive() || System.nanoTime() > deadline) {
                String log = server.log();
                server.close();
                if (log.contains("SRCFG00050")) {
                    throw new UnknownPropertyException(log);
                }
                throw new IllegalStateException("server not ready:\n" + log);
            }
            Thread.sleep(10);
        }
        startupSeconds.add((System.nanoTime() - t0) / 1e9);
        return server;
    }

    /** The server refused a property it does not know (an older build). */
    private static final class UnknownPropertyException extends IllegalStateException {
        UnknownPropertyException(String log) {
            super(log);
        }
    }

    /** Kicks a client through the admin API (the bench's password is the admin secret). */
    static void kick(ServerProcess server, String name) {
        try {
            HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.httpPort
                    + "/admin/api/users/" + name + "/kick")).header("Authorization", "Bearer " + PASSWORD)
                    .POST(HttpRequest.BodyPublishers.noBody()).timeout(Duration.ofSeconds(5)).build(),
                    HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200 && r.statusCode() != 404) { // 404: already gone (dropped as too slow)
                throw new IllegalStateException("kick " + name + ": HTTP " + r.statusCode() + " " + r.body());
            }
        } catch (IOException e) {
            throw new IllegalStateException("kick " + name, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static HttpResponse<String> get(int port, String path) throws IOException, InterruptedException {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private void target(String what, String measured, boolean pass) {
        targets.add(new String[] {what, measured, pass ? "PASS" : "FAIL"});
    }

    static String size(int bytes) {
        return bytes >= 1024 * 1024 ? bytes / (1024 * 1024) + " MiB" : bytes / 1024 + " KiB";
    }

    private static Map<String, Object> stats(List<Double> values) {
        double[] v = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("launches", v.length);
        m.put("min", v.length == 0 ? Double.NaN : v[0]);
        m.put("median", v.length == 0 ? Double.NaN : v[v.length / 2]);
        m.put("max", v.length == 0 ? Double.NaN : v[v.length - 1]);
        return m;
    }

    /** The server JVM's options besides each run's own (GC log, heap): collector, then any extra. */
    static List<String> serverOptions() {
        List<String> gcFlags = optionList("bench.server.gc");
        List<String> options = new ArrayList<>(gcFlags.isEmpty() ? JvmFlags.SERVER_GC_FLAGS : gcFlags);
        options.addAll(optionList("bench.server.options"));
        return options;
    }

    private static Map<String, Object> machine(String harnessPolicy) throws IOException {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("date", Instant.now().toString());
        m.put("cores", Runtime.getRuntime().availableProcessors());
        String model = "?";
        long memKb = 0;
        for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
            if (line.startsWith("model name")) {
                model = line.substring(line.indexOf(':') + 1).trim();
                break;
            }
        }
        for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
            if (line.startsWith("MemTotal:")) {
                memKb = Long.parseLong(line.replaceAll("\\D", ""));
            }
        }
        m.put("cpu", model);
        m.put("ram_mib", memKb / 1024);
        m.put("jvm", System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version"));
        m.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version") + " "
                + System.getProperty("os.arch"));
        m.put("bench_jvm_args", ManagementFactory.getRuntimeMXBean().getInputArguments());
        m.put("harness_cpu_policy", harnessPolicy);
        m.put("harness_cpus", HARNESS_CPUS);
        m.put("server_cpus", ServerProcess.cpus());
        m.put("server_options", serverOptions());
        m.put("server_java", ServerProcess.java());
        return m;
    }

    private void write(List<FanOut.Result> fanOut, List<Map<String, Object>> joins, Map<String, Object> memory)
            throws IOException {
        ObjectMapper mapper = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        Files.writeString(out.resolve("results.json"), mapper.writeValueAsString(json));
        @SuppressWarnings("unchecked")
        Map<String, Object> m = (Map<String, Object>) json.get("machine");
        StringBuilder head = new StringBuilder("# Benchmark results\n\n");
        head.append(String.format("%s; %s cores (%s), %s MiB RAM; %s; %s. Suite: %.0f s.%n%n", m.get("date"),
                m.get("cores"), m.get("cpu"), m.get("ram_mib"), m.get("jvm"), m.get("os"), json.get("suite_seconds")));
        head.append(String.format("Server JVM: %s. Server JVM options: `%s`. Harness (emulated clients, baselines) CPU"
                + " policy: %s; servers, process clients, relays and the connector run under the normal policy, as"
                + " deployed.%n%n", m.get("server_java"), String.join(" ", serverOptions()),
                m.get("harness_cpu_policy")));
        if (!m.get("harness_cpus").toString().isEmpty() || !m.get("server_cpus").toString().isEmpty()) {
            head.append(String.format("Pinned (taskset CPU lists; \"cores\" above counts the harness's): harness %s,"
                    + " servers %s.%n%n", m.get("harness_cpus"), m.get("server_cpus")));
        }
        head.append("## Targets\n\n| target | measured | result |\n|---|---|---|\n");
        for (String[] t : targets) {
            head.append("| ").append(t[0]).append(" | ").append(t[1]).append(" | ").append(t[2]).append(" |\n");
        }
        Files.writeString(out.resolve("results.md"), head.append(md).toString());
        System.out.println(head);
        System.out.println("wrote " + out.resolve("results.json") + " and " + out.resolve("results.md"));
    }
}
