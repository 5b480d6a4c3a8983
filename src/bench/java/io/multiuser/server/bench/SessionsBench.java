package io.multiuser.server.bench;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.BitSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.zeromq.ZContext;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.multiuser.server.protocol.Node;
import io.multiuser.server.testclient.FreePorts;
import io.multiuser.server.testclient.Nodes;
import io.multiuser.server.testclient.ProcStat;
import io.multiuser.server.testclient.ServerProcess;
import io.multiuser.server.testclient.TestClient;

/**
 * Many sessions in one server (protocol 0.1, four-port test client, 127.0.0.1 only).
 * <ol>
 * <li>Load: 20 sessions in one packaged server ({@code default} plus 19 from
 * {@code -Dmultiuser.sessions.sNN.port=}), 4 clients connected in each. After a warm-up, the
 * clients of the first 1, 5, 10 and then all 20 sessions edit, each its own node (1 KiB) at 50/s,
 * for 20 s (1 and 20 sessions) or 10 s (5 and 10); the others stay connected. Every edit must
 * reach the 3 other clients of its session and no client of another session. Latency is send →
 * the receiving client's P+1 thread, as in {@link FanOut}. Baselines of the same run, each on a
 * fresh single-session server: 1 session × 4 clients (the load of one session, three runs of 20 s,
 * the one with the median p99) and 1 session × 16 clients (the same 12,000 deliveries/s through
 * one engine, 10 s). Server CPU, also by kind of thread, RSS and threads; the harness's CPU and
 * what the rest of the machine used.
 * <li>Idle cost: a fresh single-session server, then the same server with 20 more sessions created
 * over {@code POST /admin/api/sessions} (port 0): RSS, threads and CPU per second of each, and the
 * difference per added session. The load server, idle before its clients come and then with its
 * 80 clients connected but not editing, gives the figure for configured sessions and the cost of
 * connected artists who do not edit.
 * </ol>
 * Every loop is bounded by a count and a deadline. Quick mode: 4 sessions, 3 s runs, 5 added
 * sessions, 3 s settle and idle windows.
 */
final class SessionsBench {

    private static final String PASSWORD = "bench";
    private static final int CLIENTS = 4;
    private static final int CROWD = 16;
    private static final int RATE = 50;
    private static final int SIZE = 1024;
    /** The payload starts with: sent nanos, session, client, sequence number, phase (0, 1 warm-up; then one per run). */
    private static final int HEADER = 24;
    private static final int SCENE_NODES = 16;
    /** Edits of the flat-out warm-up, over all the clients of a server (at least 250 each). */
    private static final int WARM_UP_EDITS = 20_000;
    /** After the senders finished, a run waits this long without a delivery before it stops waiting. */
    private static final long IDLE_NANOS = TimeUnit.SECONDS.toNanos(3);
    /** Hard cap on waiting for the deliveries after the senders finished. */
    private static final long DRAIN_CAP_NANOS = TimeUnit.SECONDS.toNanos(30);
    private static final ObjectMapper JSON = new ObjectMapper();
    /** A probe's wake-up this late is a host stall, not CPU contention (two busy cores make tens of ms). */
    private static final double HOST_STALL_MS = 200;
    /** Server thread names (as /proc truncates them to 15 characters) by kind, for the CPU breakdown. */
    private static final List<String> THREAD_GROUPS = List.of("zmq-engine", "iothread", "reaper", "session-store",
            "Shenandoah", "C1 CompilerThre", "C2 CompilerThre", "vert.x", "executor");
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private final boolean quick;
    private final Bench09.Starter starter;
    private final Bench09.Targets targets;
    private final int sessions;
    private final int seconds;
    private final int shortSeconds;
    private final int warmSeconds;
    private final int added;
    private final long settleMillis;
    private final long windowMillis;
    private final Map<String, Object> json = new LinkedHashMap<>();
    private final StringBuilder md = new StringBuilder();

    SessionsBench(boolean quick, Bench09.Starter starter, Bench09.Targets targets) {
        this.quick = quick;
        this.starter = starter;
        this.targets = targets;
        this.sessions = quick ? 4 : 20;
        this.seconds = quick ? 3 : 20;
        this.shortSeconds = quick ? 3 : 10;
        this.warmSeconds = quick ? 1 : 3;
        this.added = quick ? 5 : 20;
        this.settleMillis = quick ? 3000 : 10_000;
        this.windowMillis = quick ? 3000 : 10_000;
    }

    String markdown() {
        return md.toString();
    }

    Map<String, Object> run() throws Exception {
        json.put("cores", Runtime.getRuntime().availableProcessors());
        Map<String, Object> one = baseline(CLIENTS, seconds, quick ? 1 : 3);
        Map<String, Object> crowd = baseline(CROWD, shortSeconds, 1);
        Map<String, Object> multi = manySessions();
        Map<String, Object> idle = idleCost();
        json.put("baseline_1x" + CLIENTS, one);
        json.put("baseline_1x" + CROWD, crowd);
        json.put("many_sessions_server", multi);
        json.put("idle_cost", idle);
        List<Map<String, Object>> runs = castList(multi.get("runs"));
        Map<String, Object> many = runs.get(runs.size() - 1);
        double ratio = num(many.get("p99_ms")) / num(one.get("p99_ms"));
        json.put("p99_ratio_all_sessions_to_1x" + CLIENTS, ratio);
        json.put("worst_session_p99_ratio_to_1x" + CLIENTS, num(many.get("worst_session_p99_ms"))
                / num(one.get("p99_ms")));
        markdown(one, crowd, multi, idle, ratio);
        String label = String.format("%d sessions × %d clients at %d/s in one server", sessions, CLIENTS, RATE);
        long cross = runs.stream().mapToLong(r -> (long) num(r.get("cross_session"))).sum()
                + (long) num(multi.get("cross_session_warm_up"));
        boolean clean = num(many.get("lost")) == 0 && num(many.get("duplicated")) == 0 && cross == 0
                && num(many.get("own_echoes")) == 0 && Boolean.TRUE.equals(many.get("users_after_ok"));
        targets.target(label + ": zero loss, zero cross-session deliveries",
                String.format("lost %s of %s, dup %s, own edits echoed %s; cross-session %d over every phase of that"
                        + " server; users after the run %s; meanwhile the harness's GC pauses %s ms, host stalls ≥ %.0f ms"
                        + " %s", many.get("lost"), many.get("expected"), many.get("duplicated"), many.get("own_echoes"),
                        cross, Boolean.TRUE.equals(many.get("users_after_ok")) ? "as expected" : many.get("users_after"),
                        many.get("harness_gc_pause_ms"), HOST_STALL_MS, many.get("host_stalls")), clean);
        String baselineRuns = String.join(", ", ((List<?>) one.get("p99_ms_all")).stream()
                .map(p -> String.format("%.2f", num(p))).toList());
        targets.target(label + ": p99 ≤ 2 × the p99 of 1 session × " + CLIENTS + " clients (same run)",
                String.format("%.2f × (p99 %.2f ms vs %.2f ms, the median of the baseline's runs %s ms; worst session"
                        + " %.2f ms; server CPU %.0f %% of a core; load average %.1f)", ratio, num(many.get("p99_ms")),
                        num(one.get("p99_ms")), baselineRuns, num(many.get("worst_session_p99_ms")),
                        num(many.get("server_cpu_percent_of_one_core")), num(many.get("load_average_1min_end"))),
                ratio <= 2);
        return json;
    }

    // ---------------------------------------------------------------- load

    /** One session of a server: its name (for the admin API), base port and index. */
    private record Target(String name, int basePort, int index) {
    }

    /** A measured run: the first {@code active} sessions' clients edit for {@code seconds}. */
    private record Run(int active, int seconds) {
    }

    /**
     * A fresh single-session server; {@code repeats} runs one after the other, and the one with the
     * median p99 (with every run's p99 in {@code p99_ms_all}): a quiet or a stalled 20 s on this
     * shared machine moved the one-run baseline between 1 and 4 ms.
     */
    private Map<String, Object> baseline(int clients, int runSeconds, int repeats) throws Exception {
        System.out.printf("sessions: baseline, a fresh server, 1 session × %d clients at %d/s%n", clients, RATE);
        ServerProcess server = starter.start();
        try {
            List<Run> runs = new ArrayList<>();
            for (int i = 0; i < repeats; i++) {
                runs.add(new Run(1, runSeconds));
            }
            Map<String, Object> r = load(server, List.of(new Target("default", server.basePort, 0)), clients, runs,
                    null);
            List<Map<String, Object>> done = castList(r.get("runs"));
            Map<String, Object> median = new LinkedHashMap<>(Medians.by(done, run -> num(run.get("p99_ms"))));
            median.put("p99_ms_all", done.stream().map(run -> run.get("p99_ms")).toList());
            return median;
        } finally {
            server.close(); // and its temporary store with it
        }
    }

    /**
     * The server of {@code sessions} sessions: idle first, then 4 clients in every session, of
     * which those of the first 1, 5, 10 and all sessions edit in turn (the others stay connected).
     */
    private Map<String, Object> manySessions() throws Exception {
        System.out.printf("sessions: %d sessions × %d clients at %d/s in one server%n", sessions, CLIENTS, RATE);
        List<String> failures = new ArrayList<>();
        for (int attempt = 1; attempt <= 3; attempt++) {
            int first = freeRange((sessions - 1) * 4);
            List<String> options = new ArrayList<>();
            for (int s = 1; s < sessions; s++) {
                options.add(String.format("-Dmultiuser.sessions.%s.port=%d", name(s), first + (s - 1) * 4));
            }
            ServerProcess server = starter.start(options.toArray(String[]::new));
            try {
                List<Target> list = new ArrayList<>();
                list.add(new Target("default", server.basePort, 0));
                for (int s = 1; s < sessions; s++) {
                    list.add(new Target(name(s), first + (s - 1) * 4, s));
                }
                String problem = checkServing(server, list);
                if (problem != null) {
                    // e.g. the default session's random block landed in our range: a fresh start, not hidden
                    failures.add("attempt " + attempt + ": " + problem);
                    System.out.println("  not every session serves, starting again: " + problem);
                    continue;
                }
                Thread.sleep(settleMillis);
                Map<String, Object> idle = idleSample(server.pid(), windowMillis);
                System.out.println("  idle with " + sessions + " configured sessions: " + idle);
                List<Run> runs = quick ? List.of(new Run(1, seconds), new Run(sessions, seconds))
                        : List.of(new Run(1, seconds), new Run(5, shortSeconds), new Run(10, shortSeconds),
                                new Run(sessions, seconds));
                Map<String, Object> r;
                // a whole-machine pause stops the server and the harness alike: counted beside each run
                Path stallFiles = Files.createTempDirectory("sessions-stalls");
                try (StallProbes probes = StallProbes.start(stallFiles, 20, HOST_STALL_MS)) {
                    r = load(server, list, CLIENTS, runs, probes);
                } finally {
                    RestoreBench.deleteTree(stallFiles);
                }
                r.put("idle_before_load", idle);
                r.put("start_failures", failures);
                return r;
            } finally {
                server.close(); // and its temporary store with it
            }
        }
        throw new IllegalStateException("the " + sessions + "-session server did not serve every session: " + failures);
    }

    /**
     * In each session an admin uploads a scene of 16 × 1 KiB and is kicked; then {@code clients}
     * clients per session join, warm up (flat-out, then paced), and the runs follow: in each, the
     * clients of the first {@code active} sessions edit their own node at 50/s. {@code hostStalls}, when not
     * null, counts the host's stalls beside each run.
     */
    private Map<String, Object> load(ServerProcess server, List<Target> list, int clients, List<Run> runs,
            StallProbes hostStalls) throws Exception {
        Map<String, Object> result = new LinkedHashMap<>();
        ZContext shared = new ZContext(1); // every emulated client on one I/O thread, as in FanOut
        List<TestClient> all = new ArrayList<>();
        List<Slot> slots = new ArrayList<>();
        AtomicLong delivered = new AtomicLong();
        AtomicLong cross = new AtomicLong();
        try {
            for (Target t : list) {
                List<Node> scene = Nodes.scene(Math.max(SCENE_NODES, clients), SIZE, 1000 + t.index());
                TestClient admin = new TestClient("127.0.0.1", t.basePort(), "host-" + t.name(), shared);
                try {
                    String reply = admin.loginAsAdmin(PASSWORD);
                    if (!reply.equals("LOBBY") && !reply.equals("RUNNING")) {
                        throw new IllegalStateException("session " + t.name() + ": admin login answered " + reply);
                    }
                    admin.upload(scene);
                    // its END must be handled before the kick, or the server logs a command from nobody
                    awaitActive(server.httpPort, t.name(), admin.name);
                } finally {
                    // it would be one more receiver; the session stays ACTIVE with the scene
                    kick(server.httpPort, t.name(), admin.name);
                    admin.close();
                }
                for (int k = 0; k < clients; k++) {
                    TestClient c = new TestClient("127.0.0.1", t.basePort(), t.name() + "-c" + k, shared);
                    all.add(c);
                    String reply = c.loginAsClient();
                    if (!reply.equals("RUNNING")) {
                        throw new IllegalStateException("session " + t.name() + ": client login answered " + reply);
                    }
                    c.join();
                    Receiver receiver = new Receiver(t.index(), k, clients, delivered, cross);
                    c.onBlock(b -> receiver.record(b.payload(), System.nanoTime()));
                    slots.add(new Slot(t, k, c, scene.get(k), receiver, slots.size()));
                }
            }
            if (runs.size() > 1) {
                // the cost of connected artists who do not edit: heartbeats, the clients-state broadcasts
                Thread.sleep(2000);
                Map<String, Object> idle = idleSample(server.pid(), windowMillis);
                idle.put("clients", slots.size());
                result.put("idle_with_clients", idle);
                System.out.println("  idle with " + slots.size() + " clients connected: " + idle);
            }
            // warm-up, not reported: both JVMs compile their hot paths (flat-out), then the paced path
            int burst = Math.max(250, WARM_UP_EDITS / slots.size());
            phase(slots, slots, 0, burst, 0, delivered);
            phase(slots, slots, 1, warmSeconds * RATE, RATE, delivered);
            result.put("cross_session_warm_up", cross.get());
            List<Map<String, Object>> measured = new ArrayList<>();
            int phase = 2;
            for (Run run : runs) {
                Thread.sleep(500);
                List<Slot> active = slots.stream().filter(s -> s.target().index() < run.active()).toList();
                cross.set(0);
                int logStart = server.log().length();
                Map<String, Object> r = new LinkedHashMap<>();
                r.put("load_average_1min_start", loadAverage());
                Sampler sampler = new Sampler(server.pid());
                sampler.start();
                FanOut.Cpu cpu0 = FanOut.Cpu.now(server.pid());
                double machine0 = machineBusySeconds();
                Map<String, Double> threads0 = threadCpu(server.pid());
                long harnessGc0 = harnessGcMillis();
                long go = System.nanoTime();
                long expected = phase(slots, active, phase++, run.seconds() * RATE, RATE, delivered);
                double sendSeconds = (System.nanoTime() - go) / 1e9;
                if (hostStalls != null) {
                    r.put("host_stalls", hostStalls.within(go, System.nanoTime()).toString());
                }
                FanOut.Cpu used = FanOut.Cpu.now(server.pid()).since(cpu0);
                double machine = machineBusySeconds() - machine0;
                Map<String, Double> threads = threadCpu(server.pid());
                sampler.stop();
                Map<String, Object> byThread = new LinkedHashMap<>();
                threads.forEach((group, secs) -> byThread.put(group, (secs - threads0.getOrDefault(group, 0.0))
                        / sendSeconds * 100));
                r.put("server_cpu_percent_by_thread_group", byThread);
                // everything else the machine ran meanwhile (other builds on a shared box)
                r.put("other_cpu_percent_of_one_core", (machine - used.server() - used.harness()) / sendSeconds * 100);
                r.put("load_average_1min_end", loadAverage());
                summarize(r, run, list.size(), active, expected);
                r.put("cross_session", cross.get());
                r.put("seconds", run.seconds());
                r.put("deliveries_per_second", num(r.get("received")) / sendSeconds);
                r.put("server_cpu_percent_of_one_core", used.server() / sendSeconds * 100);
                r.put("harness_cpu_percent_of_one_core", used.harness() / sendSeconds * 100);
                // a harness that stops its world stops answering PINGs too: tells its stalls from the server's
                r.put("harness_gc_pause_ms", harnessGcMillis() - harnessGc0);
                r.put("server_rss_mib_max", sampler.maxRssMib);
                r.put("server_threads_max", sampler.maxThreads);
                usersAfter(r, server, list, clients);
                String log = server.log();
                List<String> warnings = log.substring(Math.min(logStart, log.length())).lines()
                        .filter(l -> l.contains(" WARN ") || l.contains(" ERROR ")).toList();
                r.put("server_warnings_and_errors", warnings.size());
                r.put("server_warnings_first", warnings.stream().limit(5).toList());
                System.out.println("  " + brief(r));
                measured.add(r);
            }
            result.put("runs", measured);
            return result;
        } finally {
            for (Slot s : slots) {
                kick(server.httpPort, s.target().name(), s.client().name); // no later run pays for these clients
            }
            for (TestClient c : all) {
                c.close();
            }
            shared.close();
        }
    }

    /**
     * One phase: every receiver starts counting phase {@code phase}; the {@code senders} each send
     * {@code count} edits (at {@code rate}/s, 0 flat-out); then the deliveries are awaited. Returns
     * the deliveries expected: each edit at the other clients of its session.
     */
    private static long phase(List<Slot> slots, List<Slot> senders, int phase, int count, int rate, AtomicLong delivered)
            throws InterruptedException {
        for (Slot s : slots) {
            s.receiver().reset(phase, count);
        }
        delivered.set(0);
        long expected = 0;
        for (Slot s : senders) {
            expected += (long) count * (s.receiver().seen.length - 1);
        }
        sendAll(senders, phase, count, rate);
        drain(delivered, expected, System.nanoTime());
        return expected;
    }

    /** Polls the session's users until {@code user} is active (its upload's END handled), at most 10 s. */
    private static void awaitActive(int httpPort, String session, String user) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            for (JsonNode u : JSON.readTree(http("GET", httpPort, "sessions/" + session + "/users", null).body())) {
                if (u.get("name").asText().equals(user) && u.get("status").asText().equals("active")) {
                    return;
                }
            }
            Thread.sleep(10);
        }
        System.err.println("session " + session + ": " + user + " not active 10 s after its upload");
    }

    /** One emulated client: its session, index in it, node, and what it received. */
    private record Slot(Target target, int index, TestClient client, Node node, Receiver receiver, int global) {
    }

    /** What one client received in the current phase: recorded on its P+1 thread, read after the phase. */
    private static final class Receiver {
        final int session;
        final int client;
        final AtomicLong deliveredAll;
        final AtomicLong crossAll;
        int phase = -1;
        BitSet[] seen;
        long[] latencies = new long[0];
        int n;
        long delivered;
        long duplicated;
        long crossSession;
        long ownEchoes;
        long stale;
        long unreadable;

        Receiver(int session, int client, int clients, AtomicLong deliveredAll, AtomicLong crossAll) {
            this.session = session;
            this.client = client;
            this.deliveredAll = deliveredAll;
            this.crossAll = crossAll;
            seen = new BitSet[clients];
        }

        synchronized void reset(int newPhase, int count) {
            phase = newPhase;
            for (int i = 0; i < seen.length; i++) {
                seen[i] = new BitSet(count);
            }
            latencies = new long[Math.max(16, (seen.length - 1) * count)];
            n = 0;
            delivered = 0;
            duplicated = 0;
            crossSession = 0;
            ownEchoes = 0;
            stale = 0;
            unreadable = 0;
        }

        synchronized void record(byte[] payload, long now) {
            if (payload.length < HEADER) {
                unreadable++;
                return;
            }
            ByteBuffer b = ByteBuffer.wrap(payload);
            long sent = b.getLong();
            int fromSession = b.getInt();
            int from = b.getInt();
            int seq = b.getInt();
            int fromPhase = b.getInt();
            if (fromSession != session) {
                crossSession++; // it must never happen, whatever the phase
                crossAll.incrementAndGet();
                return;
            }
            if (from == client) {
                ownEchoes++;
                return;
            }
            if (from < 0 || from >= seen.length || seq < 0) {
                unreadable++;
                return;
            }
            if (fromPhase != phase) {
                stale++; // from a phase whose wait ended: already counted lost there
                return;
            }
            delivered++;
            if (seen[from].get(seq)) {
                duplicated++;
            } else {
                seen[from].set(seq);
            }
            if (n == latencies.length) {
                latencies = Arrays.copyOf(latencies, n * 2);
            }
            latencies[n++] = now - sent;
            deliveredAll.incrementAndGet();
        }

        synchronized long unique() {
            long u = 0;
            for (BitSet s : seen) {
                u += s.cardinality();
            }
            return u;
        }

        synchronized long[] latencies() {
            return Arrays.copyOf(latencies, n);
        }
    }

    /** Every client sends {@code count} edits of its own node (at {@code rate}/s, 0 flat-out), each on its own thread. */
    private static void sendAll(List<Slot> slots, int phase, int count, int rate) throws InterruptedException {
        long period = rate == 0 ? 0 : TimeUnit.SECONDS.toNanos(1) / rate;
        long start = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(20);
        List<Thread> threads = new ArrayList<>();
        for (Slot s : slots) {
            // independent artists: a phase of its own within the period, fixed per client so runs repeat
            long t0 = start + (long) (new SplittableRandom(s.global()).nextDouble() * period);
            Thread t = new Thread(() -> {
                for (int i = 0; i < count; i++) {
                    long wait = t0 + i * period - System.nanoTime();
                    if (period > 0 && wait > 0) {
                        LockSupport.parkNanos(wait);
                    }
                    byte[] payload = new byte[SIZE];
                    ByteBuffer.wrap(payload).putLong(System.nanoTime()).putInt(s.target().index()).putInt(s.index())
                            .putInt(i).putInt(phase);
                    s.client().push(new Node(s.node().uuid(), s.node().owner(), s.node().type(), List.of(), payload));
                }
            }, "bench-sender");
            t.setDaemon(true);
            threads.add(t);
        }
        threads.forEach(Thread::start);
        long deadline = System.currentTimeMillis() + TimeUnit.NANOSECONDS.toMillis(period * count) + 30_000;
        for (Thread t : threads) {
            t.join(Math.max(1, deadline - System.currentTimeMillis()));
        }
    }

    /** Waits until {@code expected} deliveries, 3 s without one, or the cap. */
    private static void drain(AtomicLong delivered, long expected, long start) throws InterruptedException {
        long seen = delivered.get();
        long idleSince = System.nanoTime();
        while (delivered.get() < expected && System.nanoTime() - start < DRAIN_CAP_NANOS) {
            Thread.sleep(20);
            long now = System.nanoTime();
            if (delivered.get() != seen) {
                seen = delivered.get();
                idleSince = now;
            } else if (now - idleSince > IDLE_NANOS) {
                return;
            }
        }
    }

    private static void summarize(Map<String, Object> r, Run run, int hosted, List<Slot> slots, long expected) {
        long received = 0;
        long unique = 0;
        long dup = 0;
        long echoes = 0;
        long stale = 0;
        long unreadable = 0;
        List<long[]> perSession = new ArrayList<>();
        for (int s = 0; s < run.active(); s++) {
            perSession.add(new long[0]);
        }
        for (Slot slot : slots) {
            Receiver rc = slot.receiver();
            synchronized (rc) {
                received += rc.delivered;
                dup += rc.duplicated;
                echoes += rc.ownEchoes;
                stale += rc.stale;
                unreadable += rc.unreadable;
            }
            unique += rc.unique();
            int s = slot.target().index();
            long[] a = perSession.get(s);
            long[] b = rc.latencies();
            long[] c = Arrays.copyOf(a, a.length + b.length);
            System.arraycopy(b, 0, c, a.length, b.length);
            perSession.set(s, c);
        }
        long[] pooled = perSession.stream().flatMapToLong(Arrays::stream).sorted().toArray();
        List<Double> sessionP99 = new ArrayList<>();
        for (long[] a : perSession) {
            Arrays.sort(a);
            sessionP99.add(pct(a, 0.99));
        }
        List<Double> sortedP99 = sessionP99.stream().sorted().toList();
        r.put("sessions_hosted", hosted);
        r.put("sessions_editing", run.active());
        r.put("clients_per_session", slots.size() / run.active());
        r.put("rate_per_client", RATE);
        r.put("payload_bytes", SIZE);
        r.put("expected", expected);
        r.put("received", received);
        r.put("lost", expected - unique);
        r.put("duplicated", dup);
        r.put("own_echoes", echoes);
        r.put("late_from_an_earlier_phase", stale);
        r.put("unreadable", unreadable);
        r.put("p50_ms", pct(pooled, 0.50));
        r.put("p99_ms", pct(pooled, 0.99));
        r.put("max_ms", pooled.length == 0 ? Double.NaN : pooled[pooled.length - 1] / 1e6);
        r.put("per_session_p99_ms", sessionP99);
        r.put("median_session_p99_ms", sortedP99.get(sortedP99.size() / 2));
        r.put("worst_session_p99_ms", sortedP99.get(sortedP99.size() - 1));
    }

    /** After a run, every session must still hold exactly its clients (none dropped, none elsewhere). */
    private static void usersAfter(Map<String, Object> r, ServerProcess server, List<Target> list, int clients)
            throws Exception {
        JsonNode all = JSON.readTree(http("GET", server.httpPort, "sessions", null).body());
        Map<String, Object> users = new LinkedHashMap<>();
        boolean ok = true;
        for (Target t : list) {
            int n = -1;
            for (JsonNode s : all) {
                if (s.get("name").asText().equals(t.name())) {
                    n = s.get("users").asInt();
                }
            }
            users.put(t.name(), n);
            ok &= n == clients;
        }
        r.put("users_after_ok", ok);
        if (!ok) {
            r.put("users_after", users);
        }
    }

    /** Null when every session of the list serves on its ports; else what is wrong. */
    private static String checkServing(ServerProcess server, List<Target> list) throws Exception {
        JsonNode all = JSON.readTree(http("GET", server.httpPort, "sessions", null).body());
        List<String> problems = new ArrayList<>();
        for (Target t : list) {
            JsonNode found = null;
            for (JsonNode s : all) {
                if (s.get("name").asText().equals(t.name())) {
                    found = s;
                }
            }
            if (found == null) {
                problems.add(t.name() + " missing");
            } else if (!found.get("serving").asBoolean()) {
                problems.add(t.name() + " not serving: " + found.get("failure").asText());
            } else if (found.get("ports").get("commands").asInt() != t.basePort()) {
                problems.add(t.name() + " on " + found.get("ports").get("commands") + ", not " + t.basePort());
            }
        }
        return problems.isEmpty() ? null : String.join("; ", problems);
    }

    // ---------------------------------------------------------------- idle cost

    private Map<String, Object> idleCost() throws Exception {
        System.out.printf("sessions: idle cost, 1 session, then %d more over the admin API%n", added);
        Map<String, Object> r = new LinkedHashMap<>();
        ServerProcess server = starter.start();
        try {
            Thread.sleep(settleMillis);
            Map<String, Object> before = idleSample(server.pid(), windowMillis);
            System.out.println("  1 session: " + before);
            List<Double> createMillis = new ArrayList<>();
            List<String> refused = new ArrayList<>();
            for (int i = 1; i <= added; i++) {
                long t0 = System.nanoTime();
                HttpResponse<String> created = http("POST", server.httpPort, "sessions",
                        "{\"name\":\"idle-" + i + "\",\"port\":0}");
                createMillis.add((System.nanoTime() - t0) / 1e6);
                if (created.statusCode() != 201) {
                    refused.add("idle-" + i + ": HTTP " + created.statusCode() + " " + created.body());
                }
            }
            JsonNode all = JSON.readTree(http("GET", server.httpPort, "sessions", null).body());
            long serving = 0;
            for (JsonNode s : all) {
                serving += s.get("serving").asBoolean() ? 1 : 0;
            }
            Thread.sleep(settleMillis);
            Map<String, Object> after = idleSample(server.pid(), windowMillis);
            System.out.println("  " + (1 + added) + " sessions: " + after);
            r.put("added", added);
            r.put("created", added - refused.size());
            r.put("refused", refused);
            r.put("serving_after", serving);
            r.put("one_session", before);
            r.put("with_added", after);
            List<Double> sorted = createMillis.stream().sorted().toList();
            r.put("create_ms_median", sorted.get(sorted.size() / 2));
            r.put("create_ms_max", sorted.get(sorted.size() - 1));
            int n = added - refused.size();
            Map<String, Object> per = new LinkedHashMap<>();
            for (String key : List.of("rss_mib", "threads", "cpu_ms_per_s", "cpu_ms_per_s_ticks")) {
                per.put(key, (num(after.get(key)) - num(before.get(key))) / Math.max(1, n));
            }
            r.put("per_added_session", per);
            System.out.println("  per added session: " + per);
        } finally {
            server.close(); // and its temporary store with it
        }
        return r;
    }

    /**
     * The server at rest over {@code millis}: mean RSS, threads, CPU per second (the sum of its
     * threads' run time from /proc/PID/task/TID/schedstat, in ns; /proc/PID/stat counts in 10 ms
     * ticks, too coarse for idle figures, and is kept as a cross-check).
     */
    private static Map<String, Object> idleSample(long pid, long millis) throws Exception {
        double rss = 0;
        int samples = 0;
        int threads = 0;
        long cpu0 = threadsCpuNanos(pid);
        long ticks0 = ticks(pid);
        long t0 = System.nanoTime();
        long end = System.currentTimeMillis() + millis;
        while (System.currentTimeMillis() < end) {
            Thread.sleep(Math.min(500, Math.max(1, end - System.currentTimeMillis())));
            rss += status(pid, "VmRSS:") / 1024.0;
            threads = (int) status(pid, "Threads:");
            samples++;
        }
        double wall = (System.nanoTime() - t0) / 1e9;
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("rss_mib", rss / Math.max(1, samples));
        m.put("threads", threads);
        m.put("cpu_ms_per_s", (threadsCpuNanos(pid) - cpu0) / 1e6 / wall);
        m.put("cpu_ms_per_s_ticks", (ticks(pid) - ticks0) * 10.0 / wall);
        m.put("seconds", wall);
        return m;
    }

    /** Busy time of the whole machine so far, in seconds: /proc/stat's first line, all but idle and iowait. */
    private static double machineBusySeconds() throws IOException {
        String[] f = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
        long busy = 0;
        for (int i = 1; i <= 8 && i < f.length; i++) { // user nice system idle iowait irq softirq steal
            busy += i == 4 || i == 5 ? 0 : Long.parseLong(f[i]);
        }
        return busy / 100.0; // USER_HZ
    }

    /** CPU seconds of the process's live threads so far, by kind (engine, JeroMQ I/O, store writer, GC, JIT...). */
    private static Map<String, Double> threadCpu(long pid) throws IOException {
        Map<String, Double> groups = new LinkedHashMap<>();
        for (String g : THREAD_GROUPS) {
            groups.put(g, 0.0);
        }
        groups.put("other", 0.0);
        try (Stream<Path> tasks = Files.list(Path.of("/proc/" + pid + "/task"))) {
            for (Path task : tasks.toList()) {
                try {
                    String comm = Files.readString(task.resolve("comm")).trim();
                    long[] f = ProcStat.fields(task.resolve("stat"), 14, 15);
                    String group = THREAD_GROUPS.stream().filter(comm::startsWith).findFirst().orElse("other");
                    groups.merge(group, (f[0] + f[1]) / 100.0, Double::sum);
                } catch (IOException | RuntimeException e) {
                    // the thread ended meanwhile
                }
            }
        }
        return groups;
    }

    /** Sum over the process's live threads of their time on a CPU (first field of schedstat, ns). */
    private static long threadsCpuNanos(long pid) throws IOException {
        long sum = 0;
        try (Stream<Path> tasks = Files.list(Path.of("/proc/" + pid + "/task"))) {
            for (Path task : tasks.toList()) {
                try {
                    String s = Files.readString(task.resolve("schedstat")).trim();
                    sum += Long.parseLong(s.substring(0, s.indexOf(' ')));
                } catch (IOException | RuntimeException e) {
                    // the thread ended meanwhile
                }
            }
        }
        return sum;
    }

    private static long ticks(long pid) throws IOException {
        long[] f = ProcStat.fields(Path.of("/proc/" + pid + "/stat"), 14, 15);
        return f[0] + f[1];
    }

    /** A field of /proc/PID/status in its unit (kB for VmRSS), or -1. */
    private static long status(long pid, String key) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (line.startsWith(key)) {
                return Long.parseLong(line.replaceAll("\\D", ""));
            }
        }
        return -1;
    }

    /** Samples the server's RSS and thread count every 250 ms during a run; keeps the maxima. */
    private static final class Sampler {
        private final long pid;
        private final AtomicBoolean stop = new AtomicBoolean();
        private Thread thread;
        volatile double maxRssMib;
        volatile long maxThreads;

        Sampler(long pid) {
            this.pid = pid;
        }

        void start() {
            thread = new Thread(() -> {
                while (!stop.get()) {
                    try {
                        maxRssMib = Math.max(maxRssMib, status(pid, "VmRSS:") / 1024.0);
                        maxThreads = Math.max(maxThreads, status(pid, "Threads:"));
                        Thread.sleep(250);
                    } catch (IOException e) {
                        return; // the process is gone
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return;
                    }
                }
            }, "bench-sampler");
            thread.setDaemon(true);
            thread.start();
        }

        void stop() throws InterruptedException {
            stop.set(true);
            thread.join(2000);
        }
    }

    // ---------------------------------------------------------------- report

    private void markdown(Map<String, Object> one, Map<String, Object> crowd, Map<String, Object> multi,
            Map<String, Object> idle, double ratio) {
        List<Map<String, Object>> runs = castList(multi.get("runs"));
        Map<String, Object> many = runs.get(runs.size() - 1);
        md.append(String.format("%n## Many sessions in one server (protocol 0.1, loopback)%n%n"));
        md.append(String.format("In each session an admin uploads %d × 1 KiB and is kicked; the clients join and each"
                + " edits its own node (1 KiB) at %d/s, after a warm-up (flat-out, then %d s paced). Every edit must"
                + " reach the other clients of its session and no client of another. The %d-session server is"
                + " `default` plus %d sessions from `-Dmultiuser.sessions.sNN.port=`, 4 clients connected in each;"
                + " its runs let the clients of the first N sessions edit while the others stay connected. Each"
                + " baseline is a fresh single-session server of the same run (1 × 4: the median of three runs by"
                + " p99). Latency is send → the receiving"
                + " client's P+1 thread; \"worst session\" is the highest of the sessions' own p99. CPU is %% of one"
                + " core over the sending (the machine has %d cores); the harness (all emulated clients, one shared"
                + " ZeroMQ I/O thread) runs on the same cores; \"other CPU\" is what the rest of the machine used"
                + " meanwhile (/proc/stat busy time minus server and harness): other work on a shared box.%n%n",
                SCENE_NODES, RATE, warmSeconds, sessions, sessions - 1, Runtime.getRuntime().availableProcessors()));
        md.append("| server | editing | s | received/expected | lost | dup | cross-session | deliveries/s | p50 ms"
                + " | p99 ms | max ms | worst session p99 ms | server CPU % | server RSS MiB | server threads"
                + " | harness CPU % | other CPU % |\n");
        md.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
        row("fresh, 1 session", "1 × " + CLIENTS, one);
        row("fresh, 1 session", "1 × " + CROWD + " (same deliveries/s as " + sessions + " × " + CLIENTS + ")", crowd);
        for (Map<String, Object> r : runs) {
            row(sessions + " sessions", r.get("sessions_editing") + " × " + CLIENTS, r);
        }
        long cross = runs.stream().mapToLong(r -> (long) num(r.get("cross_session"))).sum()
                + (long) num(multi.get("cross_session_warm_up"));
        md.append(String.format("%np99 with all %d sessions editing / p99 of the fresh 1 × %d: %.2f (worst session:"
                + " %.2f). Median session p99 %.2f ms. Cross-session deliveries over every phase of the %d-session"
                + " server, warm-up included: %d. Users in every session after each run as expected: %s. Server log"
                + " lines at WARN or ERROR during its runs: %d.%s%n", sessions, CLIENTS, ratio,
                num(many.get("worst_session_p99_ms")) / num(one.get("p99_ms")), num(many.get("median_session_p99_ms")),
                sessions, cross, runs.stream().allMatch(r -> Boolean.TRUE.equals(r.get("users_after_ok"))),
                runs.stream().mapToLong(r -> (long) num(r.get("server_warnings_and_errors"))).sum(),
                castList(multi.get("start_failures")).isEmpty() ? ""
                        : " Starts that did not serve every session: " + multi.get("start_failures") + "."));
        Map<String, Object> threads = cast(many.get("server_cpu_percent_by_thread_group"));
        md.append(String.format("%nServer CPU by thread, all %d sessions editing (%% of one core): %s.%n", sessions,
                threads.entrySet().stream().filter(e -> num(e.getValue()) >= 0.5)
                        .map(e -> String.format("%s %.0f", e.getKey(), num(e.getValue())))
                        .collect(Collectors.joining(", "))));
        Map<String, Object> before = cast(idle.get("one_session"));
        Map<String, Object> after = cast(idle.get("with_added"));
        Map<String, Object> per = cast(idle.get("per_added_session"));
        Map<String, Object> config = cast(multi.get("idle_before_load"));
        md.append(String.format("%n### Idle cost of a session%n%n"));
        md.append(String.format("Settled %d s after start (or after the creations), then measured over %d s: mean RSS,"
                + " threads, CPU (the threads' run time from `/proc/PID/task/*/schedstat`). No clients.%n%n",
                settleMillis / 1000, windowMillis / 1000));
        md.append("| server | sessions | RSS MiB | threads | CPU ms/s |\n|---|---|---|---|---|\n");
        md.append(String.format("| fresh | 1 | %.0f | %s | %.1f |%n", num(before.get("rss_mib")), before.get("threads"),
                num(before.get("cpu_ms_per_s"))));
        md.append(String.format("| same server, %d created with `POST /admin/api/sessions` (port 0) | %d | %.0f | %s"
                + " | %.1f |%n", added, 1 + added, num(after.get("rss_mib")), after.get("threads"),
                num(after.get("cpu_ms_per_s"))));
        md.append(String.format("| **per added session** | | **%.1f** | **%.1f** | **%.2f** |%n",
                num(per.get("rss_mib")), num(per.get("threads")), num(per.get("cpu_ms_per_s"))));
        md.append(String.format("| the %d-session server before its runs (configured sessions) | %d | %.0f | %s | %.1f"
                + " |%n", sessions, sessions, num(config.get("rss_mib")), config.get("threads"),
                num(config.get("cpu_ms_per_s"))));
        Map<String, Object> connected = cast(multi.get("idle_with_clients"));
        if (connected != null) {
            md.append(String.format("| the same, %s clients connected, none editing | %d | %.0f | %s | %.1f |%n",
                    connected.get("clients"), sessions, num(connected.get("rss_mib")), connected.get("threads"),
                    num(connected.get("cpu_ms_per_s"))));
        }
        md.append(String.format("%nCreating a session over the API: median %.0f ms, max %.0f ms; %s of %d created, %s"
                + " serving afterwards.%n", num(idle.get("create_ms_median")), num(idle.get("create_ms_max")),
                idle.get("created"), added, idle.get("serving_after")));
    }

    private void row(String server, String editing, Map<String, Object> r) {
        md.append(String.format("| %s | %s | %s | %s/%s | %s | %s | %s | %.0f | %.2f | %.2f | %.2f | %.2f | %.0f | %.0f"
                + " | %s | %.0f | %.1f |%n", server, editing, r.get("seconds"), r.get("received"), r.get("expected"),
                r.get("lost"), r.get("duplicated"), r.get("cross_session"), num(r.get("deliveries_per_second")),
                num(r.get("p50_ms")), num(r.get("p99_ms")), num(r.get("max_ms")), num(r.get("worst_session_p99_ms")),
                num(r.get("server_cpu_percent_of_one_core")), num(r.get("server_rss_mib_max")),
                r.get("server_threads_max"), num(r.get("harness_cpu_percent_of_one_core")),
                num(r.get("other_cpu_percent_of_one_core"))));
    }

    private static String brief(Map<String, Object> r) {
        return String.format("%s of %s sessions editing: %s/%s lost %s dup %s cross %s  p50 %.2f p99 %.2f max %.2f ms"
                + " (worst session p99 %.2f)  server CPU %.0f %%, RSS %.0f MiB, %s threads; harness CPU %.0f %%"
                + " (GC pauses %s ms); host stalls ≥ %.0f ms %s; users ok %s, warn/error lines %s; load %.1f → %.1f",
                r.get("sessions_editing"), r.get("sessions_hosted"), r.get("received"), r.get("expected"), r.get("lost"),
                r.get("duplicated"), r.get("cross_session"), num(r.get("p50_ms")), num(r.get("p99_ms")), num(r.get("max_ms")),
                num(r.get("worst_session_p99_ms")), num(r.get("server_cpu_percent_of_one_core")),
                num(r.get("server_rss_mib_max")), r.get("server_threads_max"),
                num(r.get("harness_cpu_percent_of_one_core")), r.get("harness_gc_pause_ms"), HOST_STALL_MS,
                r.getOrDefault("host_stalls", "–"), r.get("users_after_ok"),
                r.get("server_warnings_and_errors"), num(r.get("load_average_1min_start")),
                num(r.get("load_average_1min_end")));
    }

    // ---------------------------------------------------------------- helpers

    /** Milliseconds this JVM (the harness) spent in its collectors so far; G1's collectors stop the world. */
    private static long harnessGcMillis() {
        return java.lang.management.ManagementFactory.getGarbageCollectorMXBeans().stream()
                .mapToLong(java.lang.management.GarbageCollectorMXBean::getCollectionTime).filter(t -> t > 0).sum();
    }

    private static String name(int s) {
        return String.format("s%02d", s);
    }

    /** The first port of {@code count} consecutive free ports below the ephemeral range (the HTTP port is there). */
    private static int freeRange(int count) {
        for (int attempt = 0; attempt < 200; attempt++) {
            int base = ThreadLocalRandom.current().nextInt(20_000, 32_000 - count);
            boolean free = true;
            for (int p = base; p < base + count && free; p++) {
                free = FreePorts.free(p);
            }
            if (free) {
                return base;
            }
        }
        throw new IllegalStateException("no " + count + " consecutive free ports found");
    }

    /** The admin API with HTTP Basic credentials (any user name, the admin password). */
    private static HttpResponse<String> http(String method, int port, String path, String jsonBody)
            throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/admin/api/" + path))
                .timeout(Duration.ofSeconds(30)).header("Authorization", "Basic " + Base64.getEncoder()
                        .encodeToString(("bench:" + PASSWORD).getBytes(StandardCharsets.UTF_8)));
        if (jsonBody != null) {
            b.header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofString(jsonBody));
        } else {
            b.method(method, HttpRequest.BodyPublishers.noBody());
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static void kick(int httpPort, String session, String user) {
        try {
            HttpResponse<String> r = http("POST", httpPort, "sessions/" + session + "/users/" + user + "/kick", null);
            if (r.statusCode() != 200 && r.statusCode() != 404) { // 404: already gone
                System.err.println("kick " + session + "/" + user + ": HTTP " + r.statusCode() + " " + r.body());
            }
        } catch (IOException e) {
            System.err.println("kick " + session + "/" + user + ": " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static double pct(long[] sorted, double p) {
        if (sorted.length == 0) {
            return Double.NaN;
        }
        int i = (int) Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1);
        return sorted[Math.max(0, i)] / 1e6;
    }

    private static double num(Object o) {
        return o instanceof Number n ? n.doubleValue() : Double.NaN;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> cast(Object o) {
        return (Map<String, Object>) o;
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> castList(Object o) {
        return (List<Map<String, Object>>) o;
    }

    private static double loadAverage() {
        try {
            return Double.parseDouble(Files.readString(Path.of("/proc/loadavg")).split(" ")[0]);
        } catch (IOException | RuntimeException e) {
            return Double.NaN;
        }
    }
}
