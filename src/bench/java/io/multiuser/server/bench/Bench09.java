package io.multiuser.server.bench;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;

import io.multiuser.server.protocol.Node;
import io.multiuser.server.testclient.AdminHttp;
import io.multiuser.server.testclient.ClientPickler;
import io.multiuser.server.testclient.ProcStat;
import io.multiuser.server.testclient.ServerProcess;
import io.multiuser.server.testclient.TestClient09;
import io.multiuser.server.testclient.TestClient09.NodeData;
import io.multiuser.server.testclient.TestClient09.State;

/**
 * The three-port protocol (replication 0.9.x, PROTOCOL-0.9.md) in the benchmark suite: every
 * case against a fresh packaged server started with {@code -Dmultiuser.protocol=0.9}, with the
 * 0.9 test client ({@link TestClient09}, which reads at most one message per port and turn like
 * the add-on). On 127.0.0.1 only; every loop is bounded by a count and a deadline.
 *
 * <ol>
 * <li>A late joiner replays a 1,000-delta chain on one node (deltas the server cannot merge):
 * login → DONE and every chain entry applied; its replica must equal the host's (base + each
 * delta exactly once, in order). Three joiners one after the other, the median reported.
 * <li>Join of a 1,000 × 64 KiB session on loopback (three joiners, the median), and of a
 * 100 × 64 KiB one through the 50 ms round-trip relay ({@link DelayRelay}): the 0.9 client does
 * one GET round trip per node, so 1,000 nodes would take about 50 s there; the per-node figure is
 * reported and extrapolated.
 * <li>Chain memory: 10,000 real-format deepdiff {@code values_changed} deltas of a 1 MiB mesh-like
 * node (the server folds them: chain ≤ 2 × the node), then 1,000 deltas it cannot fold (the chain
 * grows linearly), both with the session store off so that the chain alone is measured; and
 * 1,000 foldable edits with the store on (the default), which folds its copy of the chains too.
 * </ol>
 * Quick mode (-Dbench.quick=true): 200 and 50 nodes, 1,000 / 200 / 200 edits.
 */
final class Bench09 {

    /** Starts a packaged server with these JVM options and waits until it is ready ({@code Bench.start}). */
    @FunctionalInterface
    interface Starter {
        ServerProcess start(String... jvmOptions) throws Exception;
    }

    /** Records a target: what, the measured figure, whether it passed ({@code Bench.target}). */
    @FunctionalInterface
    interface Targets {
        void target(String what, String measured, boolean pass);
    }

    static final String PROTOCOL = "-Dmultiuser.protocol=0.9";
    private static final String STORE_OFF = "-Dmultiuser.store.enabled=false";
    private static final String PASSWORD = "bench";
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    /** Commits in flight between the host and the server while editing the 1 MiB node. */
    private static final int WINDOW = 16;
    private static final int MIB = 1024 * 1024;
    /** Joiners per loopback join case, one after the other: the median is reported (this box is shared). */
    private static final int JOINS = 3;

    private final boolean quick;
    private final Starter starter;
    private final Targets targets;
    private final Map<String, Object> json = new LinkedHashMap<>();
    private final StringBuilder md = new StringBuilder();

    Bench09(boolean quick, Starter starter, Targets targets) {
        this.quick = quick;
        this.starter = starter;
        this.targets = targets;
    }

    /**
     * Runs the three cases. {@code fourPortJoins}: the rows of Bench's four-port join cases of the
     * same run (empty when they did not run), for the comparison.
     */
    Map<String, Object> run(List<Map<String, Object>> fourPortJoins) throws Exception {
        md.append("\n## Protocol 0.9 (three ports, replication 0.9.x; 0.9 test client, loopback)\n");
        double load0 = loadAverage();
        chainReplay();
        serverInfo();
        joins(fourPortJoins);
        chainMemory();
        double load1 = loadAverage();
        json.put("load_average_1min", List.of(load0, load1));
        md.append(String.format("%nLoad average (1 min) when the 0.9 cases started and ended: %.1f and %.1f (%d cores):"
                + " times on a shared box.%n", load0, load1, Runtime.getRuntime().availableProcessors()));
        return json;
    }

    String markdown() {
        return md.toString();
    }

    // ---------------------------------------------------------------- 1: a late joiner replays a chain

    private void chainReplay() throws Exception {
        int deltas = 1000;
        System.out.printf("v09: late joiner replaying a %,d-delta chain%n", deltas);
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("deltas", deltas);
        try (ServerProcess server = starter.start(PROTOCOL);
                TestClient09 host = new TestClient09(server.basePort, "host")) {
            try {
                login(host);
                String uuid = TestClient09.uuid();
                NodeData node = new NodeData(uuid, Node.COMMON, List.of(),
                        TestClient09.nodeData(uuid, "SynthObj", "chain-node", 4096));
                upload(host, List.of(node));
                long bytes = 0;
                for (int i = 0; i < deltas; i++) {
                    // iterable_item_added (list appends): the server cannot fold them; every fifth one
                    // is arbitrary bytes that are not a pickle at all (the server never needs to decode)
                    byte[] delta = i % 5 == 4 ? noise(64 + i % 200) : TestClient09.appendDelta(3 + i, i);
                    host.pushCommit(uuid, List.of(), delta);
                    bytes += delta.length;
                }
                r.put("delta_bytes", bytes);
                AdminHttp admin = new AdminHttp(server.httpPort, PASSWORD);
                JsonNode info = awaitChain(admin, uuid, deltas, TimeUnit.SECONDS.toNanos(60));
                r.put("server_chain_entries", info.get("chainEntries").asInt());
                r.put("server_chain_bytes", info.get("chainBytes").asLong());
                Map<String, String> expected = host.replicaDigest();
                List<Map<String, Object>> runs = new ArrayList<>();
                for (int i = 1; i <= JOINS; i++) {
                    runs.add(join(server.basePort, "joiner-" + i, expected, uuid, deltas, 60));
                }
                r.putAll(median(runs, "login_to_complete_seconds"));
                r.put("host_errors", host.errors());
            } finally {
                deleteStore(server);
            }
        }
        System.out.println("  " + r);
        json.put("chain_replay", r);
        md.append(String.format("%n### Late joiner replaying a %,d-delta chain on one node%n%n", deltas));
        md.append("Deltas the server cannot fold (list appends, and every fifth arbitrary non-pickle bytes), pushed"
                + " by the host after its upload; then a client joins like the add-on (one GET; the chain comes as"
                + " Commits on P+1).\n\n");
        md.append(String.format("| server chain | login → DONE s | login → every delta applied s (median of %d: all)"
                + " | applied | every replica = host's |%n", JOINS));
        md.append("|---|---|---|---|---|\n");
        md.append(String.format("| %s entries, %s bytes | %s | %s (%s) | %s/%d | %s |%n", r.get("server_chain_entries"),
                r.get("server_chain_bytes"), secs(r.get("login_to_done_seconds")),
                secs(r.get("login_to_complete_seconds")), all(r.get("login_to_complete_seconds_all")),
                r.get("applied"), deltas, r.get("all_complete_and_equal")));
        md.append("\nPROTOCOL-0.9.md §7 measured its prototype at 0.85 s for the same case (the reference server"
                + " 1.16 s).\n");
        errorsLine(r);
        boolean ok = Boolean.TRUE.equals(r.get("all_complete_and_equal"));
        targets.target(String.format("0.9: a late joiner replays a %,d-delta chain exactly once (replica = host's)",
                deltas), String.format("%s in %d joins: login → all applied %s s median (all: %s; → DONE %s s),"
                        + " %s/%d deltas applied", ok ? "equal" : "NOT equal", JOINS,
                        secs(r.get("login_to_complete_seconds")), all(r.get("login_to_complete_seconds_all")),
                        secs(r.get("login_to_done_seconds")), r.get("applied"), deltas), ok);
    }

    // ---------------------------------------------------------------- 1b: the server list's info request

    /**
     * The add-on's server list asks each server for its info from a fresh DEALER and gives up after
     * 500 ms (PROTOCOL-0.9 section 10): the round trip, connection included, with a user online.
     */
    private void serverInfo() throws Exception {
        int requests = 100;
        System.out.printf("v09: %d server-info requests from fresh connections%n", requests);
        long[] millis = new long[requests];
        int answered = 0;
        try (ServerProcess server = starter.start(PROTOCOL);
                TestClient09 host = new TestClient09(server.basePort, "host")) {
            try {
                login(host);
                for (int i = 0; i < requests; i++) {
                    TestClient09.ServerInfo info = TestClient09.requestServerInfo("127.0.0.1", server.basePort, 5000);
                    millis[i] = info == null ? 5000 : info.millis();
                    answered += info == null ? 0 : 1;
                }
            } finally {
                deleteStore(server);
            }
        }
        java.util.Arrays.sort(millis);
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("requests", requests);
        r.put("answered", answered);
        r.put("p50_ms", millis[requests / 2]);
        r.put("p99_ms", millis[requests * 99 / 100 - 1]);
        r.put("max_ms", millis[requests - 1]);
        System.out.println("  " + r);
        json.put("server_info", r);
        md.append(String.format("%n### Server-info requests (the add-on's server list)%n%n%d requests, each from a"
                + " fresh DEALER, a user online: answered %d, p50 %d ms, p99 %d ms, max %d ms (the add-on waits"
                + " 500 ms).%n", requests, answered, r.get("p50_ms"), r.get("p99_ms"), r.get("max_ms")));
        boolean ok = answered == requests && millis[requests - 1] <= 500;
        targets.target("0.9: every server-info request answered within the add-on's 500 ms",
                String.format("%d/%d answered, max %d ms (p50 %d ms)", answered, requests, r.get("max_ms"),
                        r.get("p50_ms")), ok);
    }

    // ---------------------------------------------------------------- 2: join of 1,000 × 64 KiB

    private void joins(List<Map<String, Object>> fourPortJoins) throws Exception {
        int nodes = quick ? 200 : 1000;
        int relayNodes = quick ? 50 : 100;
        int size = 64 * 1024;
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("nodes", nodes);
        r.put("node_bytes", size);
        System.out.printf("v09: join %d × %s loopback%n", nodes, Bench.size(size));
        Map<String, Object> loop = session(nodes, size, false);
        r.put("loopback", loop);
        System.out.printf("v09: join %d × %s through the 50 ms RTT relay%n", relayNodes, Bench.size(size));
        Map<String, Object> relay = session(relayNodes, size, true);
        r.put("rtt50ms", relay);
        Map<String, Object> four = fourPortJoins.stream().filter(j -> j.get("nodes").equals(nodes)
                && j.get("node_bytes").equals(size) && j.get("window").equals("default")).findFirst().orElse(null);
        Map<String, Object> four0 = fourPortJoins.stream().filter(j -> j.get("nodes").equals(nodes)
                && j.get("node_bytes").equals(size) && j.get("window").equals("0")).findFirst().orElse(null);
        if (four != null) {
            r.put("four_port", four);
        }
        Map<String, Object> wanJoin = cast(relay.get("join"));
        double perNode = num(wanJoin.get("ms_per_node"));
        // the per-node time for every node, plus what the join costs before its first GET (login, catalog)
        double extrapolated = perNode * nodes / 1000 + (num(wanJoin.get("login_to_done_seconds"))
                - num(wanJoin.get("catalog_to_done_seconds")));
        r.put("rtt50ms_extrapolated_seconds_" + nodes, extrapolated);
        System.out.println("  " + r);
        json.put("join", r);

        md.append(String.format("%n### Join of a %d × 64 KiB session (one GET round trip per node)%n%n", nodes));
        md.append("Join = login sent → DONE sent (every node stored); \"catalog → DONE\" is what the four-port join"
                + " section measures. Over the relay (50 ms round trip) the 0.9 client needs one round trip per"
                + " node: the case uses " + relayNodes + " nodes and reports the per-node figure and its"
                + " extrapolation to " + nodes + ".\n");
        md.append(String.format("Loopback: %d joiners one after the other, the median reported (all in brackets)."
                + "%n%n", JOINS));
        md.append("| link | nodes | upload s | login → DONE s | catalog → DONE s | ms per node | replica = host's |\n");
        md.append("|---|---|---|---|---|---|---|\n");
        for (Map<String, Object> row : List.of(loop, relay)) {
            Map<String, Object> j = cast(row.get("join"));
            md.append(String.format("| %s | %s | %s | %s%s | %s | %s | %s |%n", row.get("link"), row.get("nodes"),
                    secs(row.get("upload_seconds")), secs(j.get("login_to_done_seconds")),
                    j.containsKey("login_to_done_seconds_all") ? " (" + all(j.get("login_to_done_seconds_all")) + ")"
                            : "", secs(j.get("catalog_to_done_seconds")), ms(j.get("ms_per_node")), ok(j)));
        }
        md.append(String.format("%nOver 50 ms RTT, %d nodes would take ≈ %.1f s (%.1f ms per node).%n", nodes,
                extrapolated, perNode));
        if (loop.get("rss_peak_joins_mib") instanceof Double peak) {
            md.append(String.format("Server RSS during the %d loopback joins: %.0f MiB before, peak %.0f MiB (VmHWM).%n",
                    JOINS, num(loop.get("rss_before_joins_mib")), peak));
        }
        if (four != null) {
            md.append(String.format("Four-port protocol, same run, %,d × 64 KiB (catalog → DONE): loopback %s s,"
                    + " 50 ms RTT %s s with the default snapshot window%s.%n", nodes,
                    secs(cast(four.get("loopback")).get("seconds")), secs(cast(four.get("rtt50ms")).get("seconds")),
                    four0 == null ? "" : String.format(", %s s with window 0 (one GET per round trip, as 0.9)",
                            secs(cast(four0.get("rtt50ms")).get("seconds")))));
        } else {
            md.append("No four-port join of the same scene in this run (-Dbench.focus=v09): no comparison.\n");
        }
        errorsLine(cast(loop.get("join")));
        errorsLine(wanJoin);
        for (Map<String, Object> row : List.of(loop, relay)) {
            Map<String, Object> j = cast(row.get("join"));
            boolean ok = ok(j);
            targets.target(String.format("0.9: join %s × 64 KiB, %s: complete, replica = host's", row.get("nodes"),
                    row.get("link")), String.format("%s s login → DONE (%s ms per node)%s",
                            secs(j.get("login_to_done_seconds")), ms(j.get("ms_per_node")),
                            ok ? "" : "; incomplete or different: " + j.get("nodes_received") + " nodes"), ok);
        }
    }

    /** A fresh server, a host uploading {@code count} nodes, and joiners (one through the relay if asked). */
    private Map<String, Object> session(int count, int size, boolean relayed) throws Exception {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("link", relayed ? "50 ms RTT relay" : "loopback");
        r.put("nodes", count);
        List<NodeData> scene = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            String uuid = TestClient09.uuid();
            scene.add(new NodeData(uuid, Node.COMMON, i == 0 ? List.of() : List.of(scene.get(0).uuid()),
                    TestClient09.nodeData(uuid, "SynthMesh", "n" + i, size)));
        }
        try (ServerProcess server = starter.start(PROTOCOL);
                TestClient09 host = new TestClient09(server.basePort, "host")) {
            try {
                login(host);
                long u0 = System.nanoTime();
                upload(host, scene);
                r.put("upload_seconds", (System.nanoTime() - u0) / 1e9);
                Map<String, String> expected = host.replicaDigest();
                if (relayed) {
                    try (DelayRelay relay = new DelayRelay(server.basePort, 25)) {
                        // about 50 ms per node, and as much again for a loaded box
                        r.put("join", join(relay.basePort(), "j-wan", expected, null, 0, 30 + count / 10));
                    }
                } else {
                    Thread.sleep(3000); // the upload's garbage collected: the peak below is the joins'
                    r.put("rss_before_joins_mib", Bench.rssMib(server.pid()));
                    boolean peakKnown = Bench.resetPeakRss(server.pid());
                    List<Map<String, Object>> runs = new ArrayList<>();
                    for (int i = 1; i <= JOINS; i++) {
                        runs.add(join(server.basePort, "j-loop-" + i, expected, null, 0, 60));
                    }
                    r.put("join", median(runs, "login_to_done_seconds"));
                    if (peakKnown) {
                        r.put("rss_peak_joins_mib", Bench.peakRssMib(server.pid()));
                    }
                }
            } finally {
                deleteStore(server);
            }
        }
        Map<String, Object> j = cast(r.get("join"));
        if (j.get("catalog_to_done_seconds") instanceof Double s) {
            j.put("ms_per_node", s * 1000 / count);
        }
        return r;
    }

    // ---------------------------------------------------------------- 3: chain memory

    private void chainMemory() throws Exception {
        int foldable = quick ? 1000 : 10_000;
        int unfoldable = quick ? 200 : 1000;
        int stored = quick ? 200 : 1000;
        Map<String, Object> r = new LinkedHashMap<>();
        System.out.printf("v09: chain memory, %,d foldable edits of a 1 MiB node (store off)%n", foldable);
        r.put("foldable", edits(foldable, true, false));
        System.out.printf("v09: chain memory, %,d edits that cannot be folded (store off)%n", unfoldable);
        r.put("unfoldable", edits(unfoldable, false, false));
        System.out.printf("v09: chain memory, %,d foldable edits with the session store on (the default)%n", stored);
        r.put("foldable_store_on", edits(stored, true, true));
        json.put("chain_memory", r);

        md.append("\n### Chain memory: edits of one 1 MiB mesh-like node\n\n");
        md.append("The host uploads one node (a pickled dict with 1 MiB of `vertices` bytes), then sends Commits,"
                + " at most " + WINDOW + " in flight (paced by the server's datablocks-received counter). Foldable"
                + " = deepdiff's `{'values_changed': {\"root['vertices']\": {'new_value': <1 MiB>}}}`, pickled with"
                + " protocol 4; not foldable = `{'iterable_item_added': {\"root['loops'][i]\": <1 MiB>}}`. Chain"
                + " from /admin/api/nodes; heap = jvm_memory_used_bytes (heap pools) 3 s after the last edit and"
                + " after a `jcmd GC.run`; RSS from /proc.\n\n");
        md.append("| edits | store | time s | edits/s | server CPU ms per edit | chain entries | chain MiB"
                + " | bytes per edit | heap before MiB | heap after MiB | heap after GC MiB | RSS MiB | RSS after GC MiB"
                + " | store on disk MiB |\n");
        md.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
        for (String key : List.of("foldable", "unfoldable", "foldable_store_on")) {
            Map<String, Object> e = cast(r.get(key));
            md.append(String.format("| %,d %s | %s | %.1f | %.0f | %.1f | %s | %.2f | %.0f | %.0f | %.0f | %.0f | %.0f"
                    + " | %.0f | %s |%n", (int) e.get("edits_done"),
                    e.get("foldable").equals(true) ? "foldable" : "not foldable",
                    e.get("store").equals(true) ? "on" : "off", num(e.get("seconds")),
                    num(e.get("edits_per_second")), num(e.get("server_cpu_ms_per_edit")), e.get("chain_entries"),
                    num(e.get("chain_bytes")) / MIB, num(e.get("chain_bytes_per_edit")), num(e.get("heap_before_mib")),
                    num(e.get("heap_after_mib")), num(e.get("heap_after_gc_mib")), num(e.get("rss_mib")),
                    num(e.get("rss_after_gc_mib")),
                    e.get("store").equals(true) ? String.format("%.0f", num(e.get("store_disk_mib"))) : "–"));
        }
        Map<String, Object> f = cast(r.get("foldable"));
        Map<String, Object> u = cast(r.get("unfoldable"));
        Map<String, Object> s = cast(r.get("foldable_store_on"));
        double storedKibPerEdit = (num(s.get("heap_after_gc_mib")) - num(s.get("heap_before_mib"))) * 1024
                / Math.max(1, num(s.get("edits_done")));
        md.append(String.format("%nNot foldable: the chain grows by %.0f bytes per edit (linear, as expected: only a"
                + " full Node or \"Force server update\" resets it). With the store on (it folds its chains with the"
                + " session's merger), the graph's chain is %.2f MiB and the heap after GC holds %.0f MiB more than"
                + " before the edits (%.0f KiB per edit); the log is %.0f MiB on disk (raw deltas until the next"
                + " compaction, at multiuser.store.compaction-min-size and twice the live scene).%n",
                num(u.get("chain_bytes_per_edit")), num(s.get("chain_bytes")) / MIB,
                num(s.get("heap_after_gc_mib")) - num(s.get("heap_before_mib")), storedKibPerEdit,
                num(s.get("store_disk_mib"))));
        long limit = 2L * ((Number) f.get("node_bytes")).longValue();
        boolean complete = f.get("edits_done").equals(foldable);
        long chain = ((Number) f.get("chain_bytes")).longValue();
        targets.target(String.format("0.9: chain after %,d values_changed edits of a 1 MiB node ≤ 2 × the node"
                + " (%.2f MiB)", foldable, limit / (double) MIB), String.format("%.2f MiB in %s entr%s (%,d of %,d"
                + " edits in %.1f s; heap after GC %.0f MiB, RSS %.0f MiB; store off)", chain / (double) MIB,
                f.get("chain_entries"), f.get("chain_entries").equals(1) ? "y" : "ies", (int) f.get("edits_done"),
                foldable, num(f.get("seconds")), num(f.get("heap_after_gc_mib")), num(f.get("rss_mib"))),
                complete && chain <= limit);
    }

    /**
     * A fresh server, one 1 MiB node, {@code count} Commits of it from the host, paced; then the
     * chain, heap and RSS.
     */
    private Map<String, Object> edits(int count, boolean foldable, boolean store) throws Exception {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("edits", count);
        r.put("foldable", foldable);
        r.put("store", store);
        byte[] vertices = new byte[MIB];
        ThreadLocalRandom.current().nextBytes(vertices);
        String uuid = TestClient09.uuid();
        byte[] data = ClientPickler.dumps(TestClient09.map("type_id", "Mesh", "uuid", uuid, "name", "Mesh",
                "vertices", vertices));
        r.put("node_bytes", data.length);
        String[] options = store ? new String[] {PROTOCOL} : new String[] {PROTOCOL, STORE_OFF};
        try (ServerProcess server = starter.start(options);
                TestClient09 host = new TestClient09(server.basePort, "host")) {
            try {
                login(host);
                upload(host, List.of(new NodeData(uuid, Node.COMMON, List.of(), data)));
                AdminHttp admin = new AdminHttp(server.httpPort, PASSWORD);
                server.collect();
                r.put("heap_before_mib", heapMib(server.httpPort));
                r.put("rss_before_mib", Bench.rssMib(server.pid()));
                double received0 = metric(server.httpPort, "multiuser_datablocks_received_total");
                byte[] deps = ClientPickler.dumps(new ArrayList<>());
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(quick ? 120 : 600);
                double cpu0 = cpuSeconds(server.pid());
                long t0 = System.nanoTime();
                int sent = 0;
                long sentBytes = 0;
                long done = 0;
                while (sent < count && System.nanoTime() < deadline) {
                    if (sent - done >= WINDOW) {
                        // wait until the server has taken half the window
                        while (sent - done > WINDOW / 2 && System.nanoTime() < deadline) {
                            LockSupport.parkNanos(1_000_000);
                            done = (long) (metric(server.httpPort, "multiuser_datablocks_received_total") - received0);
                        }
                        continue;
                    }
                    // a new array each time: JeroMQ may still hold the previous one
                    byte[] value = vertices.clone();
                    ByteBuffer.wrap(value).putInt(0, sent).putInt(4 * (1 + ThreadLocalRandom.current().nextInt(
                            MIB / 4 - 1)), sent);
                    byte[] delta = foldable
                            ? ClientPickler.dumps(TestClient09.map("values_changed", TestClient09.map(
                                    "root['vertices']", TestClient09.map("new_value", value))))
                            : ClientPickler.dumps(TestClient09.map("iterable_item_added", TestClient09.map(
                                    "root['loops'][" + sent + "]", value)));
                    // raw frames: pushCommit would keep every delta in the host's replica (GiBs here)
                    host.pushRaw(TestClient09.typeFrame(TestClient09.COMMIT), TestClient09.utf8(uuid), deps, delta);
                    sent++;
                    sentBytes += delta.length;
                }
                while (done < sent && System.nanoTime() < deadline) {
                    LockSupport.parkNanos(2_000_000);
                    done = (long) (metric(server.httpPort, "multiuser_datablocks_received_total") - received0);
                }
                double seconds = (System.nanoTime() - t0) / 1e9;
                double cpu = cpuSeconds(server.pid()) - cpu0;
                // the admin API asks the engine thread, after the last Commit it took
                JsonNode info = node(admin, uuid);
                r.put("edits_done", sent);
                r.put("received_by_server", done);
                r.put("seconds", seconds);
                r.put("edits_per_second", sent / seconds);
                r.put("server_cpu_ms_per_edit", cpu * 1000 / Math.max(1, sent));
                r.put("delta_bytes", sentBytes / Math.max(1, sent));
                r.put("chain_entries", info.get("chainEntries").asInt());
                r.put("chain_bytes", info.get("chainBytes").asLong());
                r.put("chain_bytes_per_edit", info.get("chainBytes").asLong() / (double) Math.max(1, sent));
                Thread.sleep(3000); // let the last edits' garbage settle, as Bench's memory case does
                r.put("chain_entries_metric", metric(server.httpPort, "multiuser_session_chain_entries"));
                r.put("chain_bytes_metric", metric(server.httpPort, "multiuser_session_chain_bytes"));
                r.put("heap_after_mib", heapMib(server.httpPort));
                r.put("rss_mib", Bench.rssMib(server.pid()));
                r.put("gc_run", server.collect());
                r.put("heap_after_gc_mib", heapMib(server.httpPort));
                r.put("rss_after_gc_mib", Bench.rssMib(server.pid()));
                if (store) {
                    r.put("store_disk_mib", directoryBytes(server.storeDirectory) / (double) MIB);
                }
                r.put("host_errors", host.errors());
            } finally {
                deleteStore(server);
            }
        }
        System.out.println("  " + r);
        return r;
    }

    // ---------------------------------------------------------------- the 0.9 client's join

    /**
     * A client logs in (CLIENT, public session) and joins like the add-on: the RUNNING reply sends
     * REQUEST_INIT, then one GET per node from the end of the catalog, DONE. Times login → DONE,
     * catalog → DONE and, when {@code chainUuid} is set, login → {@code chainLength} deltas applied
     * to that node; then compares the replica with {@code expected}. Stops at {@code capSeconds}.
     */
    private static Map<String, Object> join(int basePort, String name, Map<String, String> expected,
            String chainUuid, int chainLength, int capSeconds) {
        Map<String, Object> r = new LinkedHashMap<>();
        try (TestClient09 joiner = new TestClient09(basePort, name)) {
            long t0 = System.nanoTime();
            String reply = joiner.login(false, null, "", TestClient09.VERSION);
            if (!reply.contains("RUNNING")) {
                throw new IllegalStateException(name + " login: " + reply);
            }
            long deadline = t0 + TimeUnit.SECONDS.toNanos(capSeconds);
            long catalogAt = -1;
            long doneAt = -1;
            long completeAt = -1;
            int applied = 0;
            while (System.nanoTime() < deadline) {
                State state = joiner.state();
                long now = System.nanoTime();
                if (catalogAt < 0 && (state == State.SYNCING || state == State.ACTIVE)) {
                    catalogAt = now; // the first GET goes out in the turn that reads the catalog
                }
                if (doneAt < 0 && state == State.ACTIVE) {
                    doneAt = now;
                }
                if (doneAt >= 0) {
                    if (chainUuid == null) {
                        completeAt = doneAt;
                        break;
                    }
                    TestClient09.Replica node = joiner.replica().get(chainUuid);
                    applied = node == null ? 0 : node.applied().size();
                    if (applied >= chainLength) {
                        completeAt = System.nanoTime();
                        break;
                    }
                }
                if (state == State.QUIT) {
                    break;
                }
                LockSupport.parkNanos(doneAt < 0 ? 500_000 : 2_000_000);
            }
            Map<String, String> got = joiner.replicaDigest();
            r.put("complete", completeAt >= 0);
            r.put("login_to_done_seconds", doneAt < 0 ? null : (doneAt - t0) / 1e9);
            r.put("catalog_to_done_seconds", doneAt < 0 || catalogAt < 0 ? null : (doneAt - catalogAt) / 1e9);
            if (chainUuid != null) {
                r.put("login_to_complete_seconds", completeAt < 0 ? null : (completeAt - t0) / 1e9);
                r.put("applied", applied);
            }
            r.put("nodes_received", got.size());
            r.put("replica_equal", got.equals(expected));
            r.put("errors", joiner.errors());
            if (completeAt < 0) {
                r.put("state", String.valueOf(joiner.state()));
                r.put("capped_after_seconds", (System.nanoTime() - t0) / 1e9);
            }
        }
        return r;
    }

    // ---------------------------------------------------------------- helpers

    /**
     * The run with the median {@code key} (incomplete runs count as slowest), with every run's
     * figure as {@code key_all} and whether every run was complete with a replica equal to the host's.
     */
    private static Map<String, Object> median(List<Map<String, Object>> runs, String key) {
        Map<String, Object> out = new LinkedHashMap<>(Medians.by(runs, m -> Boolean.TRUE.equals(m.get("complete"))
                && m.get(key) instanceof Number n ? n.doubleValue() : Double.MAX_VALUE));
        out.put("runs", runs.size());
        out.put(key + "_all", runs.stream().map(m -> m.get(key)).toList());
        out.put("all_complete_and_equal", runs.stream().allMatch(m -> Boolean.TRUE.equals(m.get("complete"))
                && Boolean.TRUE.equals(m.get("replica_equal"))));
        if (!Boolean.TRUE.equals(out.get("all_complete_and_equal"))) {
            out.put("all_runs", runs);
        }
        return out;
    }

    /** Every run complete with the host's replica (one run: that run). */
    private static boolean ok(Map<String, Object> j) {
        Object all = j.get("all_complete_and_equal");
        return all != null ? Boolean.TRUE.equals(all)
                : Boolean.TRUE.equals(j.get("complete")) && Boolean.TRUE.equals(j.get("replica_equal"));
    }

    private static void login(TestClient09 host) {
        String reply = host.login(true, PASSWORD, "", TestClient09.VERSION);
        if (!reply.equals("LOBBY")) {
            throw new IllegalStateException(host.name + " login: " + reply);
        }
    }

    private static void upload(TestClient09 host, List<NodeData> nodes) {
        String result = host.upload(nodes);
        if (!result.equals("DONE")) {
            throw new IllegalStateException("upload: " + result + "; errors " + host.errors());
        }
    }

    /** Waits until the server's chain of {@code uuid} holds {@code entries} deltas; returns its node info. */
    private static JsonNode awaitChain(AdminHttp admin, String uuid, int entries, long timeoutNanos)
            throws Exception {
        long deadline = System.nanoTime() + timeoutNanos;
        while (true) {
            JsonNode info = node(admin, uuid);
            if (info.get("chainEntries").asInt() >= entries || System.nanoTime() > deadline) {
                return info;
            }
            Thread.sleep(20);
        }
    }

    /** The node's entry of GET /admin/api/nodes (pages of 500, the API's maximum). */
    private static JsonNode node(AdminHttp admin, String uuid) throws Exception {
        for (int page = 1; page < 100; page++) {
            JsonNode p = admin.json("nodes?page=" + page + "&size=500");
            for (JsonNode n : p.get("nodes")) {
                if (n.get("uuid").asText().equals(uuid)) {
                    return n;
                }
            }
            if (page >= p.get("pages").asInt()) {
                break;
            }
        }
        throw new IllegalStateException("node " + uuid + " not in /admin/api/nodes");
    }

    /** Sum of the samples of one Prometheus metric (every label set) from /q/metrics; NaN when absent. */
    private static double metric(int httpPort, String name) throws IOException, InterruptedException {
        double sum = 0;
        boolean found = false;
        for (String line : metrics(httpPort)) {
            if (line.startsWith(name) && line.length() > name.length()
                    && (line.charAt(name.length()) == ' ' || line.charAt(name.length()) == '{')) {
                sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
                found = true;
            }
        }
        return found ? sum : Double.NaN;
    }

    /** Sum of jvm_memory_used_bytes over the heap pools, in MiB. */
    private static double heapMib(int httpPort) throws IOException, InterruptedException {
        double bytes = 0;
        for (String line : metrics(httpPort)) {
            if (line.startsWith("jvm_memory_used_bytes{") && line.contains("area=\"heap\"")) {
                bytes += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return bytes / MIB;
    }

    private static String[] metrics(int httpPort) throws IOException, InterruptedException {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort
                + "/q/metrics")).timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        return r.body().split("\n");
    }

    /** The 1-minute load average, from /proc/loadavg: this box is shared with other builds. */
    private static double loadAverage() {
        try {
            return Double.parseDouble(Files.readString(Path.of("/proc/loadavg")).split(" ")[0]);
        } catch (IOException | RuntimeException e) {
            return Double.NaN;
        }
    }

    /** The process's user + system CPU time in seconds, from /proc (ticks of 1/100 s). */
    private static double cpuSeconds(long pid) {
        try {
            long[] f = ProcStat.fields(Path.of("/proc/" + pid + "/stat"), 14, 15);
            return (f[0] + f[1]) / 100.0;
        } catch (IOException | RuntimeException e) {
            return Double.NaN;
        }
    }

    private static long directoryBytes(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return 0;
        }
        try (Stream<Path> files = Files.walk(dir)) {
            return files.filter(Files::isRegularFile).mapToLong(f -> {
                try {
                    return Files.size(f);
                } catch (IOException e) {
                    return 0;
                }
            }).sum();
        }
    }

    /** Stops the server, which removes the temporary store ServerProcess made for it (its log can be a GiB here). */
    private static void deleteStore(ServerProcess server) {
        try {
            server.close();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static byte[] noise(int length) {
        byte[] b = new byte[length];
        ThreadLocalRandom.current().nextBytes(b);
        b[0] = 0x7f; // never a pickle's PROTO opcode
        return b;
    }

    private void errorsLine(Map<String, Object> r) {
        Object errors = r.get("errors");
        if (errors instanceof List<?> list && !list.isEmpty()) {
            md.append("\nClient errors: ").append(list.stream().limit(5).map(String::valueOf).toList()).append('\n');
        }
    }

    private static String all(Object values) {
        return values instanceof List<?> list ? String.join(", ", list.stream().map(Bench09::secs).toList()) : "–";
    }

    private static String secs(Object seconds) {
        return seconds instanceof Number n ? String.format("%.2f", n.doubleValue()) : "–";
    }

    private static String ms(Object millis) {
        return millis instanceof Number n ? String.format("%.1f", n.doubleValue()) : "–";
    }

    private static double num(Object o) {
        return o instanceof Number n ? n.doubleValue() : Double.NaN;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> cast(Object o) {
        return o == null ? Map.of() : (Map<String, Object>) o;
    }
}
