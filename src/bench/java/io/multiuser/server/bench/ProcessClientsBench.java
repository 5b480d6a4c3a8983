package io.multiuser.server.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.ToDoubleFunction;

import io.multiuser.server.protocol.Node;
import io.multiuser.server.testclient.FreePorts;
import io.multiuser.server.testclient.Nodes;
import io.multiuser.server.testclient.ProcStat;
import io.multiuser.server.testclient.ServerProcess;
import io.multiuser.server.testclient.TestClient;

/**
 * Issue #19: the server as real artists feel it. Every client is its own python3 process on libzmq
 * ({@code src/bench/python/process_client.py}: the add-on's four sockets, one message per socket and
 * loop turn), the server is fresh for every case, and each case also runs through a bare relay of
 * the same hops ({@code raw_relay.py}, libzmq, no session logic) with the same processes. Also the
 * memory targets of the issue: idle RSS, RSS while a 1,000 × 64 KiB scene is uploaded and joined, and
 * the live heap per 1 KiB node (100,000 nodes, after a full GC requested with jcmd).
 * {@code -Dbench.focus=processes}; every wait is bounded and everything listens on 127.0.0.1.
 */
final class ProcessClientsBench {

    /** Starts a packaged server with extra JVM options and waits until it is ready. */
    interface Starter {
        ServerProcess start(String... jvmOptions) throws Exception;
    }

    /** One case: {@code senders} of the {@code clients} push {@code count} datablocks each. */
    record Case(String label, int clients, int senders, int size, int rate, int count) {
    }

    /**
     * One phase of one run: latencies in ms, lost and duplicated deliveries, server CPU and RSS, and the
     * stall probes' late wake-ups from its first send to its last delivery.
     */
    record Phase(String what, long expected, long delivered, long lost, long duplicated, double p50, double p99,
            double max, double serverCpu, double jitCpu, double maxRssMib, StallProbes.Count stalls) {
    }

    /** One round of a case: a fresh server's phases and the relay run next to them. */
    record Round(List<Phase> server, Phase relay) {
        Phase cold() {
            return server.get(0);
        }

        Phase warm() {
            return server.get(server.size() - 1);
        }

        double p50OverRelay() {
            return cold().p50() / relay.p50();
        }

        double freshOverRelay() {
            return cold().p99() / relay.p99();
        }

        double coldOverWarm() {
            return cold().p99() / warm().p99();
        }
    }

    /** "; median of 3 alternating rounds, WHAT: 1.20, 1.61, 0.98 ×", or nothing for a single round. */
    private static String ofRounds(List<Round> rounds, ToDoubleFunction<Round> ratio, String what) {
        return ofRuns(rounds, ratio, "%.2f", "alternating rounds, " + what, "×");
    }

    /** "; median of 3 RUNS: 165, 188, 161 UNIT" with each run's value in {@code format}, or nothing for one run. */
    private static <T> String ofRuns(List<T> runs, ToDoubleFunction<? super T> value, String format, String what,
            String unit) {
        if (runs.size() == 1) {
            return "";
        }
        List<String> each = runs.stream().map(r -> String.format(format, value.applyAsDouble(r))).toList();
        return "; median of " + runs.size() + " " + what + ": " + String.join(", ", each) + " " + unit;
    }

    /** The system's python3, where .ci/setup installs python3-zmq (the interop tests use it too). */
    static final String PYTHON = "/usr/bin/python3";
    static final Path PYTHON_DIR = Path.of("src/bench/python");
    private static final long LINE_TIMEOUT_SECONDS = 60;
    private static final String PASSWORD = "bench";

    private final Starter starter;
    private final boolean quick;
    private final Bench09.Targets targets;
    private final StringBuilder md = new StringBuilder();
    private final Map<String, Object> json = new LinkedHashMap<>();
    private final Path work;
    private StallProbes probes;

    ProcessClientsBench(Starter starter, boolean quick, Bench09.Targets targets) throws IOException {
        this.starter = starter;
        this.quick = quick;
        this.targets = targets;
        this.work = Files.createTempDirectory("process-clients");
    }

    Map<String, Object> run() throws Exception {
        try (StallProbes started = StallProbes.start(work)) {
            probes = started;
            return cases();
        }
    }

    private Map<String, Object> cases() throws Exception {
        int seconds = quick ? 3 : 10;
        Case small = new Case("1 sender → 8 receivers, 1 KiB, 200/s", 9, 1, 1024, 200, 200 * seconds);
        Case big = new Case("8 clients, all send, 1 MiB, 1/s", 8, 8, 1 << 20, 1, quick ? 5 : 20);
        Case medium = new Case("1 sender → 16 receivers, 64 KiB, 200/s", 17, 1, 64 << 10, 200, 200 * seconds);
        // The warm phase is the last of six: at 200/s the per-message methods reach C2's thresholds
        // 20-40 s after the first update, so a phase at 20-30 s still pays for the JIT.
        int smallPhases = quick ? 3 : 6;
        md.append("\n## Real clients as processes (issue #19)\n\n");
        md.append("Each client is its own python3 process on libzmq with the add-on's four sockets, reading one"
                + " message per socket and loop turn; a fresh server per case; \"raw relay\" is the same processes"
                + " through a bare libzmq relay of the same hops. Latency: payload's send time → the receiving"
                + " process's read (CLOCK_MONOTONIC in both). Server CPU and JIT CPU (its C1/C2 compiler threads)"
                + " are for the phase; RSS is the kernel's high-water mark (VmHWM) over the phase. Stalls: wake-ups"
                + " of a probe pinned to each CPU (5 ms sleeps) that came " + (int) StallProbes.REPORT_MS + " ms or more"
                + " late during the phase; on this machine mostly the host not running a virtual CPU.\n\n");
        md.append("| case | via | phase | delivered/expected | lost | dup | p50 ms | p99 ms | max ms | server CPU s"
                + " | of it JIT s | max RSS MiB | stalls |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
        // tuning rounds: -Dbench.processes.case=big runs only that case (small, big, medium or memory)
        String only = System.getProperty("bench.processes.case", "").trim();
        if (!only.isEmpty()) {
            Case c = switch (only) {
                case "small" -> small;
                case "big" -> big;
                case "medium" -> medium;
                default -> null;
            };
            if (c == null) {
                memory(1);
            } else {
                relay(c, "");
                server(c, c == small ? smallPhases : 1, "");
            }
            return json;
        }
        // The small and the 1 MiB case in alternating rounds: one fresh server's p99 rests on its
        // slowest 160 deliveries, which whatever else the machine runs in those 10 s can double; the
        // targets take the median round, as the fan-out target takes the median pair.
        int rounds = quick ? 1 : Math.max(1, Integer.getInteger("bench.processes.rounds", 3));
        List<Round> smallRounds = rounds(small, smallPhases, rounds, true);
        List<Round> bigRounds = rounds(big, 1, rounds, false);
        // relay first for one case, second for the next: neither side always gets the cooler machine
        List<Phase> mediumServer = server(medium, 1, "");
        Phase mediumRelay = relay(medium, "");
        boolean noLoss = true;
        List<Phase> all = new ArrayList<>();
        smallRounds.forEach(r -> all.addAll(r.server()));
        bigRounds.forEach(r -> all.addAll(r.server()));
        all.add(mediumServer.get(0));
        for (Phase p : all) {
            noLoss &= p.lost() == 0 && p.duplicated() == 0 && p.delivered() == p.expected();
        }
        Round bigMedian = Medians.by(bigRounds, Round::p50OverRelay);
        targets.target("processes: 8 clients each pushing 1 MiB at 1/s: p50 ≤ 1.5 × the raw relay's p50",
                String.format("%.1f ms vs %.1f ms (%.2f ×); p99 %.1f vs %.1f ms%s", bigMedian.cold().p50(),
                        bigMedian.relay().p50(), bigMedian.p50OverRelay(), bigMedian.cold().p99(),
                        bigMedian.relay().p99(), ofRounds(bigRounds, Round::p50OverRelay,
                                "each a fresh server against the relay run next to it")),
                bigMedian.p50OverRelay() <= 1.5);
        Round fresh = Medians.by(smallRounds, Round::freshOverRelay);
        targets.target("processes: 1 → 8 × 1 KiB at 200/s, fresh server (first " + seconds
                + " s): p99 ≤ 1.5 × the raw relay's p99", String.format("%.1f ms vs %.1f ms (%.2f ×); p50 %.2f vs %.2f"
                        + " ms; stalls %s vs %s%s", fresh.cold().p99(), fresh.relay().p99(), fresh.freshOverRelay(),
                        fresh.cold().p50(), fresh.relay().p50(), fresh.cold().stalls(), fresh.relay().stalls(),
                        ofRounds(smallRounds, Round::freshOverRelay,
                                "each a fresh server against the relay run next to it")),
                fresh.freshOverRelay() <= 1.5);
        Round firstTen = Medians.by(smallRounds, Round::coldOverWarm);
        targets.target("processes: 1 → 8 × 1 KiB at 200/s: first-" + seconds + "-s p99 ≤ 1.5 × the warm p99",
                String.format("%.1f ms vs %.1f ms (%.2f ×); server CPU %.1f s (JIT %.1f s) vs %.1f s (JIT %.1f s)%s",
                        firstTen.cold().p99(), firstTen.warm().p99(), firstTen.coldOverWarm(),
                        firstTen.cold().serverCpu(), firstTen.cold().jitCpu(), firstTen.warm().serverCpu(),
                        firstTen.warm().jitCpu(), ofRounds(smallRounds, Round::coldOverWarm,
                                "each a fresh server's first " + seconds + " s against its own warm phase")),
                firstTen.coldOverWarm() <= 1.5);
        json.put("small_rounds", smallRounds.stream().map(r -> Map.of("fresh_over_relay", r.freshOverRelay(),
                "first_over_warm", r.coldOverWarm())).toList());
        targets.target("processes: zero loss, zero duplicates through the server", noLoss ? "lost 0, dup 0"
                : "see the table", noLoss);
        md.append(String.format("%n1 → 16 × 64 KiB at 200/s: p50 %.1f ms vs raw relay %.1f ms (%.2f ×), p99 %.1f vs"
                + " %.1f ms.%n", mediumServer.get(0).p50(), mediumRelay.p50(), mediumServer.get(0).p50()
                / mediumRelay.p50(), mediumServer.get(0).p99(), mediumRelay.p99()));
        memory(rounds);
        return json;
    }

    /** A fresh server; a free base port taken meanwhile (a relay's, say) is retried on another. */
    private ServerProcess fresh() throws Exception {
        for (int attempt = 1;; attempt++) {
            try {
                return starter.start();
            } catch (IllegalStateException e) {
                if (attempt >= 3 || !String.valueOf(e.getMessage()).contains("already in use")) {
                    throw e;
                }
            }
        }
    }

    String markdown() {
        return md.toString();
    }

    // ---------------------------------------------------------------- runs

    /**
     * {@code count} rounds of a case, each a fresh server ({@code phases} runs) and a relay run, the
     * order turning every round so that neither side always gets the cooler machine.
     */
    private List<Round> rounds(Case c, int phases, int count, boolean serverFirst) throws Exception {
        List<Round> out = new ArrayList<>();
        for (int r = 1; r <= count; r++) {
            String tag = count == 1 ? "" : "round " + r;
            if (serverFirst == (r % 2 == 1)) {
                List<Phase> server = server(c, phases, tag);
                out.add(new Round(server, relay(c, tag)));
            } else {
                Phase relay = relay(c, tag);
                out.add(new Round(server(c, phases, tag), relay));
            }
        }
        return out;
    }

    /** A fresh server hosting an empty scene; {@code phases} runs of the case one after the other. */
    private List<Phase> server(Case c, int phases, String tag) throws Exception {
        List<Python> clients = spawn(c, "server");
        List<Phase> out = new ArrayList<>();
        try (ServerProcess server = fresh()) {
            connect(clients.subList(0, 1), server.basePort); // client 0 hosts the (empty) scene
            connect(clients.subList(1, clients.size()), server.basePort);
            for (int phase = 1; phase <= phases; phase++) {
                int from = (phase - 1) * c.count() / c.rate();
                int to = phase * c.count() / c.rate();
                String what = phases == 1 ? "fresh server" : phase == 1 ? "fresh server, first " + to + " s"
                        : String.format("same server, %d–%d s%s", from, to, phase == phases ? " (warm)" : "");
                what += tag.isEmpty() ? "" : ", " + tag;
                out.add(phase(c, "server", what, clients, phase, server.pid()));
            }
        } finally {
            quit(clients);
        }
        return out;
    }

    private Phase relay(Case c, String tag) throws Exception {
        List<Python> clients = spawn(c, "relay");
        int port = FreePorts.base();
        // the server's stand-in runs where the server would
        Python relay = new Python(ServerProcess.onServerCpus(List.of(PYTHON, PYTHON_DIR.resolve("raw_relay.py").toString(),
                "--port", String.valueOf(port))), null);
        try {
            relay.await("READY");
            connect(clients, port);
            return phase(c, FanOut.RELAY, tag, clients, 1, relay.process.pid());
        } finally {
            quit(clients);
            relay.close();
        }
    }

    private List<Python> spawn(Case c, String mode) throws Exception {
        List<Python> clients = new ArrayList<>();
        for (int i = 0; i < c.clients(); i++) {
            Path out = work.resolve(mode + "-" + System.nanoTime() + "-" + i + ".txt");
            List<String> command = new ArrayList<>(List.of(PYTHON, PYTHON_DIR.resolve("process_client.py").toString(),
                    "--mode", mode, "--index", String.valueOf(i), "--name", "pc" + i, "--out", out.toString()));
            if (i == 0) {
                command.addAll(List.of("--password", PASSWORD));
            }
            clients.add(new Python(command, out));
        }
        for (Python p : clients) {
            p.await("STARTED");
        }
        return clients;
    }

    private static void connect(List<Python> clients, int port) throws Exception {
        for (Python p : clients) {
            p.send("CONNECT " + port);
        }
        for (Python p : clients) {
            p.await("READY");
        }
    }

    private Phase phase(Case c, String via, String what, List<Python> clients, int phase, long pid) throws Exception {
        System.out.printf("processes: %s via %s %s%n", c.label(), via, what);
        long[] cpu0 = cpu(pid);
        Map<String, Long> threads0 = threadTicks(pid);
        RssSampler rss = new RssSampler(pid);
        long go = System.nanoTime();
        for (Python p : clients) {
            p.send("GO " + phase + " " + c.count() + " " + c.rate() + " " + c.size() + " " + c.senders());
        }
        for (Python p : clients) {
            p.await("PHASE " + phase);
        }
        double maxRss = rss.stop();
        long done = System.nanoTime();
        long[] cpu1 = cpu(pid);
        Map<String, Long> threads = threadTicks(pid);
        threads0.forEach((k, v) -> threads.merge(k, -v, Long::sum));
        threads.values().removeIf(v -> v <= 0);
        List<Long> latencies = new ArrayList<>();
        List<Long> sentAt = new ArrayList<>();
        Set<Long> seen = new HashSet<>();
        long duplicated = 0;
        long lastReceived = Long.MIN_VALUE;
        for (int i = 0; i < clients.size(); i++) {
            for (String line : Files.readAllLines(clients.get(i).out)) {
                String[] f = line.split(" ");
                if (Integer.parseInt(f[0]) != phase) {
                    continue;
                }
                long key = ((long) i << 40) | (Long.parseLong(f[1]) << 24) | Long.parseLong(f[2]);
                if (!seen.add(key)) {
                    duplicated++;
                }
                long sent = Long.parseLong(f[3]);
                long received = Long.parseLong(f[4]);
                latencies.add(received - sent);
                sentAt.add(sent);
                lastReceived = Math.max(lastReceived, received);
            }
        }
        long expected = (long) c.count() * c.senders() * (c.clients() - 1); // senders never get their own
        long[] sorted = latencies.stream().mapToLong(Long::longValue).sorted().toArray();
        Phase p = new Phase(what, expected, seen.size(), Math.max(0, expected - seen.size()), duplicated,
                pct(sorted, 0.50), pct(sorted, 0.99), sorted.length == 0 ? Double.NaN : sorted[sorted.length - 1] / 1e6,
                (cpu1[0] - cpu0[0]) / 100.0, jitTicks(threads) / 100.0, maxRss,
                sentAt.isEmpty() ? probes.within(go, done)
                        : probes.within(sentAt.stream().mapToLong(Long::longValue).min().getAsLong(), lastReceived));
        System.out.println("  " + p);
        System.out.println("  CPU ticks by thread: " + threads.entrySet().stream()
                .sorted(Map.Entry.<String, Long>comparingByValue().reversed()).limit(8).toList());
        md.append(String.format("| %s | %s | %s | %d/%d | %d | %d | %.2f | %.2f | %.1f | %.2f | %.2f | %.0f | %s |%n",
                c.label(), via, what.isEmpty() ? "–" : what, p.delivered(), p.expected(), p.lost(), p.duplicated(),
                p.p50(), p.p99(), p.max(), p.serverCpu(), p.jitCpu(), p.maxRssMib(), p.stalls()));
        @SuppressWarnings("unchecked")
        List<Object> rows = (List<Object>) json.computeIfAbsent("runs", k -> new ArrayList<>());
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("case", c.label());
        row.put("via", via);
        row.put("phase", p);
        row.put("cpu_ticks_by_thread", threads);
        int[] slowest = slowestBySecond(latencies, sentAt, sorted);
        row.put("slowest_1pct_by_second", slowest);
        System.out.println("  slowest 1 % by second of sending: " + Arrays.toString(slowest));
        double[] medians = p50ByWindow(latencies, sentAt);
        row.put("p50_ms_by_5s_of_sending", medians);
        System.out.println("  p50 ms by 5 s of sending: " + Arrays.toString(medians));
        rows.add(row);
        return p;
    }

    /**
     * How many of the deliveries at or above the p99 were sent in each second of the phase: a
     * collector cycle shows as one crowded second, the JIT's catching up as the first few.
     */
    private static int[] slowestBySecond(List<Long> latencies, List<Long> sentAt, long[] sorted) {
        if (sorted.length == 0) {
            return new int[0];
        }
        long p99 = sorted[rank(sorted.length, 0.99)];
        return bySendingWindow(latencies, sentAt, 1_000_000_000L).stream()
                .mapToInt(w -> (int) w.stream().filter(latency -> latency >= p99).count()).toArray();
    }

    /** The median latency of the deliveries sent in each 5 s of the phase: a fresh server's cost fades over them. */
    private static double[] p50ByWindow(List<Long> latencies, List<Long> sentAt) {
        return bySendingWindow(latencies, sentAt, 5_000_000_000L).stream()
                .mapToDouble(w -> Math.round(pct(w.stream().mapToLong(Long::longValue).sorted().toArray(), 0.50) * 100) / 100.0)
                .toArray();
    }

    /** The latencies grouped by the window of {@code widthNanos} in which they were sent, counted from the first send. */
    private static List<List<Long>> bySendingWindow(List<Long> latencies, List<Long> sentAt, long widthNanos) {
        List<List<Long>> windows = new ArrayList<>();
        if (sentAt.isEmpty()) {
            return windows;
        }
        long first = Collections.min(sentAt);
        for (int i = 0; i < latencies.size(); i++) {
            int w = (int) ((sentAt.get(i) - first) / widthNanos);
            while (windows.size() <= w) {
                windows.add(new ArrayList<>());
            }
            windows.get(w).add(latencies.get(i));
        }
        return windows;
    }

    private static double pct(long[] sorted, double q) {
        return sorted.length == 0 ? Double.NaN : sorted[rank(sorted.length, q)] / 1e6;
    }

    /** The index of quantile {@code q} among {@code n} sorted values. */
    private static int rank(int n, double q) {
        return Math.min(n - 1, (int) (q * n));
    }

    /** CPU ticks of the whole process, and of its JIT compiler threads. */
    private static long[] cpu(long pid) {
        long total = 0;
        long jit = 0;
        try {
            long[] f = ProcStat.fields(Path.of("/proc/" + pid + "/stat"), 14, 15);
            total = f[0] + f[1];
            try (var tasks = Files.list(Path.of("/proc/" + pid + "/task"))) {
                for (Path task : tasks.toList()) {
                    try {
                        String name = Files.readString(task.resolve("comm")).trim();
                        if (name.contains("CompilerThre")) {
                            long[] t = ProcStat.fields(task.resolve("stat"), 14, 15);
                            jit += t[0] + t[1];
                        }
                    } catch (IOException | RuntimeException e) {
                        // the thread ended meanwhile
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            // the process is gone: zeros
        }
        return new long[] {total, jit};
    }

    /** The JIT compiler threads' ticks in a phase (the JVM starts and ends them as it needs). */
    private static long jitTicks(Map<String, Long> threads) {
        return threads.entrySet().stream().filter(e -> e.getKey().contains("CompilerThre"))
                .mapToLong(Map.Entry::getValue).sum();
    }

    /** CPU ticks of every thread of a process, by thread name (threads of the same name added up). */
    private static Map<String, Long> threadTicks(long pid) {
        Map<String, Long> ticks = new java.util.TreeMap<>();
        try (var tasks = Files.list(Path.of("/proc/" + pid + "/task"))) {
            for (Path task : tasks.toList()) {
                try {
                    String name = Files.readString(task.resolve("comm")).trim();
                    long[] t = ProcStat.fields(task.resolve("stat"), 14, 15);
                    ticks.merge(name, t[0] + t[1], Long::sum);
                } catch (IOException | RuntimeException e) {
                    // the thread ended meanwhile
                }
            }
        } catch (IOException | RuntimeException e) {
            // the process is gone
        }
        return ticks;
    }

    private static void quit(List<Python> clients) {
        for (Python p : clients) {
            p.close();
        }
    }

    // ---------------------------------------------------------------- memory

    /** One fresh server's idle RSS, then its peak while a scene was uploaded and joined. */
    private record SceneRound(double idleMib, double peakMib) {
    }

    /**
     * The memory targets. The scene's peak rests on when the collector runs during a one-second
     * upload (161-188 MiB for the same build within an hour), so with {@code rounds} > 1 each is
     * taken on that many fresh servers and the targets read the median, as the latency targets do.
     */
    private void memory(int rounds) throws Exception {
        Map<String, Object> m = new LinkedHashMap<>();
        int count = quick ? 100 : 1_000;
        List<Node> scene = Nodes.scene(count, 64 << 10, 5);
        List<SceneRound> scenes = new ArrayList<>();
        for (int r = 0; r < rounds; r++) {
            scenes.add(sceneRound(scene));
        }
        SceneRound idle = Medians.by(scenes, SceneRound::idleMib);
        SceneRound peak = Medians.by(scenes, SceneRound::peakMib);
        double payload = count * 64.0 / 1024;
        m.put("rss_idle_mib", idle.idleMib());
        m.put("rss_scene_peak_mib", peak.peakMib());
        m.put("scene_payload_mib", payload);
        m.put("scene_rounds", scenes.stream().map(r -> Map.of("rss_idle_mib", r.idleMib(), "rss_scene_peak_mib",
                r.peakMib())).toList());
        String idles = ofRuns(scenes, SceneRound::idleMib, "%.0f", "fresh servers", "MiB");
        String peaks = ofRuns(scenes, SceneRound::peakMib, "%.0f", "fresh servers", "MiB");
        targets.target("processes: idle RSS ≤ 120 MiB (5 s after ready)", String.format("%.0f MiB%s",
                idle.idleMib(), idles), idle.idleMib() <= 120);
        targets.target(String.format("processes: peak RSS, %,d × 64 KiB uploaded and joined ≤ 1.3 × payload +"
                + " 100 MiB (%.0f MiB)", count, 1.3 * payload + 100), String.format("%.0f MiB%s", peak.peakMib(),
                        peaks), peak.peakMib() <= 1.3 * payload + 100);
        int nodes = quick ? 10_000 : 100_000;
        try (ServerProcess server = fresh()) {
            Heap empty = heap(server);
            double before = empty.liveMib();
            try (TestClient admin = new TestClient(server.basePort, "admin")) {
                admin.loginAsAdmin(PASSWORD);
                admin.upload(Nodes.scene(nodes, 1024, 3));
                Heap full = heap(server);
                double after = full.liveMib();
                double perNode = (after - before) * 1024 / nodes;
                m.put("heap_live_idle_mib", before);
                m.put("heap_live_scene_mib", after);
                m.put("heap_used_after_gc_idle_mib", empty.usedMib());
                m.put("heap_used_after_gc_scene_mib", full.usedMib());
                m.put("heap_per_node_kib", perNode);
                m.put("rss_scene_mib", Bench.rssMib(server.pid()));
                targets.target(String.format("processes: heap per 1 KiB node ≤ 1.5 KiB (%,d nodes ≤ %.0f MiB live"
                        + " heap)", nodes, 1.5 * nodes / 1024), String.format("%.2f KiB per node; %.0f MiB live heap"
                        + " (%.0f MiB before the upload; in use after a GC cycle %.0f and %.0f MiB)", perNode, after,
                        before, empty.usedMib(), full.usedMib()), perNode <= 1.5
                        && after <= 1.5 * nodes / 1024);
            }
        }
        System.out.println("  memory " + m);
        json.put("memory", m);
        md.append(String.format("%nMemory: idle RSS %.0f MiB; peak RSS while %,d × 64 KiB (%.1f MiB) were uploaded"
                + " and joined %.0f MiB; live heap %.0f MiB before and %.0f MiB after %,d × 1 KiB nodes (%.2f KiB per"
                + " node, RSS %.0f MiB).%n", m.get("rss_idle_mib"), count, m.get("scene_payload_mib"),
                m.get("rss_scene_peak_mib"), m.get("heap_live_idle_mib"), m.get("heap_live_scene_mib"), nodes,
                m.get("heap_per_node_kib"), m.get("rss_scene_mib")));
    }

    private SceneRound sceneRound(List<Node> scene) throws Exception {
        try (ServerProcess server = fresh()) {
            Thread.sleep(5000);
            double idle = Bench.rssMib(server.pid());
            RssSampler rss = new RssSampler(server.pid());
            try (TestClient admin = new TestClient(server.basePort, "admin");
                    TestClient joiner = new TestClient(server.basePort, "joiner")) {
                admin.loginAsAdmin(PASSWORD);
                admin.upload(scene);
                admin.await("RepUpdateClientsState", r -> true, Duration.ofSeconds(5));
                joiner.loginAsClient();
                joiner.join();
            }
            return new SceneRound(idle, rss.stop());
        }
    }

    /** The server's heap: reachable objects, and what the collector reports in use after a cycle. */
    private record Heap(double liveMib, double usedMib) {
    }

    /**
     * {@code jcmd GC.class_histogram} walks the reachable objects only: its total is the live set.
     * Also {@code GC.run}, then {@code GC.heap_info}'s "used", the figure this bench reported until
     * 2026-12-01: under Shenandoah it includes the garbage left in regions a cycle did not collect
     * (those under its garbage threshold), 13 MiB more than the live set with 100,000 nodes.
     */
    private static Heap heap(ServerProcess server) throws Exception {
        String jcmd = ServerProcess.jcmd();
        String pid = String.valueOf(server.pid());
        String histogram = run(jcmd, pid, "GC.class_histogram");
        java.util.regex.Matcher total = java.util.regex.Pattern.compile("(?m)^Total\\s+\\d+\\s+(\\d+)\\s*$")
                .matcher(histogram);
        if (!total.find()) {
            throw new IllegalStateException("no total in the class histogram: "
                    + histogram.substring(Math.max(0, histogram.length() - 300)));
        }
        double live = Long.parseLong(total.group(1)) / (1024.0 * 1024);
        if (!server.collect()) {
            throw new IllegalStateException("jcmd GC.run failed in the server");
        }
        String info = run(jcmd, pid, "GC.heap_info");
        // Shenandoah: " 6028M max, 6028M soft max, 386M committed, 51158K used" (also "135M used");
        // G1: " garbage-first heap   total 262144K, used 40963K [...". Not "Metaspace used ...K".
        java.util.regex.Matcher used = java.util.regex.Pattern.compile(
                "committed, (\\d+)([KMG]) used|garbage-first heap\\s+total \\d+K, used (\\d+)K").matcher(info);
        if (!used.find()) {
            throw new IllegalStateException("no heap figure in: " + info);
        }
        if (used.group(3) != null) {
            return new Heap(live, Long.parseLong(used.group(3)) / 1024.0);
        }
        long value = Long.parseLong(used.group(1));
        return new Heap(live, switch (used.group(2)) {
            case "G" -> value * 1024.0;
            case "M" -> value;
            default -> value / 1024.0;
        });
    }

    private static String run(String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IllegalStateException(Arrays.toString(command) + ": " + out);
        }
        return out;
    }

    /**
     * The peak RSS of a phase: the kernel's high-water mark (VmHWM), reset when the phase starts, which
     * misses no short peak (a join takes 0.1 s); where the reset is refused, the maximum sampled every
     * 100 ms.
     */
    private static final class RssSampler {
        private final long pid;
        private final boolean markReset;
        private final AtomicBoolean running = new AtomicBoolean(true);
        private final AtomicLong maxKib = new AtomicLong();
        private final Thread thread;

        RssSampler(long pid) {
            this.pid = pid;
            this.markReset = Bench.resetPeakRss(pid);
            thread = new Thread(() -> {
                while (running.get()) {
                    try {
                        maxKib.accumulateAndGet((long) (Bench.rssMib(pid) * 1024), Math::max);
                        Thread.sleep(100);
                    } catch (IOException | RuntimeException e) {
                        return;
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }, "rss-sampler");
            thread.setDaemon(true);
            thread.start();
        }

        double stop() throws InterruptedException {
            running.set(false);
            thread.join(1000);
            double sampled = maxKib.get() / 1024.0;
            double peak = markReset ? Bench.peakRssMib(pid) : Double.NaN;
            return Double.isNaN(peak) ? sampled : Math.max(sampled, peak);
        }
    }

    /** A python3 process driven over its stdin and stdout, lines only. */
    private static final class Python {
        final Process process;
        final Path out;
        private final OutputStream stdin;
        private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();

        /** Under the normal CPU policy, as the add-on runs in Blender, not the harness's SCHED_BATCH. */
        Python(List<String> command, Path out) throws IOException {
            this.process = new ProcessBuilder(ServerProcess.underNormalPolicy(command))
                    .redirectError(ProcessBuilder.Redirect.INHERIT).start();
            this.out = out;
            this.stdin = process.getOutputStream();
            Thread reader = new Thread(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(),
                        StandardCharsets.UTF_8))) {
                    String line;
                    while ((line = r.readLine()) != null) {
                        lines.add(line);
                    }
                } catch (IOException e) {
                    // the process ended
                }
            }, "python-out");
            reader.setDaemon(true);
            reader.start();
        }

        void send(String line) throws IOException {
            stdin.write((line + "\n").getBytes(StandardCharsets.UTF_8));
            stdin.flush();
        }

        void await(String prefix) throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(LINE_TIMEOUT_SECONDS);
            while (System.nanoTime() < deadline) {
                String line = lines.poll(100, TimeUnit.MILLISECONDS);
                if (line != null && line.startsWith(prefix)) {
                    return;
                }
                if (line == null && !process.isAlive() && lines.isEmpty()) {
                    throw new IllegalStateException("python client exited (" + process.exitValue() + ") before '"
                            + prefix + "'");
                }
            }
            throw new IllegalStateException("no '" + prefix + "' within " + LINE_TIMEOUT_SECONDS + " s");
        }

        void close() {
            try {
                send("QUIT");
                stdin.close();
            } catch (IOException e) {
                // already gone
            }
            try {
                if (!process.waitFor(5, TimeUnit.SECONDS)) {
                    process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                process.destroyForcibly();
            }
        }
    }
}
