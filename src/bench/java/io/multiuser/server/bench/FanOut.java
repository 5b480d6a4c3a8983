package io.multiuser.server.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;

import org.zeromq.SocketType;
import org.zeromq.ZContext;
import org.zeromq.ZMQ;

import io.multiuser.server.protocol.Node;
import io.multiuser.server.testclient.ClientSockets;
import io.multiuser.server.testclient.ProcStat;
import io.multiuser.server.testclient.TestClient;

/**
 * Fan-out runs: through the server (senders push datablocks on P+2, every other active client
 * receives them on P+1) and through a bare JeroMQ ROUTER that sends the same header + chunk
 * messages to N DEALERs (the ceiling, no server logic). Each payload starts with the sender's
 * System.nanoTime, its index and a sequence number; all clients live in this JVM, so the clocks
 * agree and every receiver can compute latency, losses and duplicates.
 */
final class FanOut {

    /** One row of the matrix. rate 0 = flat-out; count = updates per sender. */
    record Case(int clients, boolean allSend, int size, int rate, int count) {
        String label() {
            return (allSend ? clients + " clients, all send" : "1 sender → " + clients + " receivers") + ", "
                    + Bench.size(size) + ", "
                    + (rate == 0 ? "flat-out" : rate + "/s");
        }
    }

    /**
     * cpuServerSeconds: CPU the server process used during the run (NaN for the baselines, which
     * have none); cpuHarnessSeconds: CPU of this JVM (clients, and for the baselines their relay
     * or ROUTER too). On a 2-core box both sides draw on the same two cores. serverPageFaults: the
     * server's minor page faults during the run (NaN for the baselines); the kernel zeroes a fresh
     * page for each, so a heap that keeps handing memory back to the OS shows here first.
     */
    record Result(Case c, String via, long expected, long delivered, long lost, long duplicated, double seconds,
            double deliveriesPerSecond, double megabytesPerSecond, double p50Ms, double p99Ms, double maxMs,
            double cpuServerSeconds, double cpuHarnessSeconds, double serverPageFaults) {

        /** Server CPU per delivered datablock, in microseconds. */
        double serverMicrosPerDelivery() {
            return cpuServerSeconds * 1e6 / Math.max(1, delivered);
        }
    }

    /**
     * CPU seconds used so far by this JVM and by the server process, and the server's minor page
     * faults (both NaN when there is no server).
     */
    record Cpu(double harness, double server, double serverFaults) {

        /** Linux's USER_HZ: /proc/PID/stat counts CPU time in 1/100 s on every common platform. */
        private static final double TICKS_PER_SECOND = 100;

        static Cpu now(long serverPid) {
            double harness = ((com.sun.management.OperatingSystemMXBean) ManagementFactory
                    .getOperatingSystemMXBean()).getProcessCpuTime() / 1e9;
            double server = Double.NaN;
            double faults = Double.NaN;
            if (serverPid > 0) {
                try {
                    long[] f = ProcStat.fields(Path.of("/proc/" + serverPid + "/stat"), 14, 15, 10);
                    server = (f[0] + f[1]) / TICKS_PER_SECOND; // utime + stime
                    faults = f[2]; // minflt
                } catch (IOException | RuntimeException e) {
                    server = Double.NaN; // not Linux, or the process is gone: the column stays empty
                    faults = Double.NaN;
                }
            }
            return new Cpu(harness, server, faults);
        }

        Cpu since(Cpu start) {
            return new Cpu(harness - start.harness, server - start.server, serverFaults - start.serverFaults);
        }
    }

    static final int HEADER = 16;
    /** A receiver that has seen nothing for this long after the senders finished gives up. */
    private static final long IDLE_NANOS = TimeUnit.SECONDS.toNanos(3);
    /** Hard cap on one run, whatever happens. */
    private static final long RUN_CAP_NANOS = TimeUnit.SECONDS.toNanos(60);

    private FanOut() {
    }

    static byte[] payload(int size, int sender, int seq) {
        byte[] b = new byte[size];
        ByteBuffer.wrap(b).putLong(System.nanoTime()).putInt(sender).putInt(seq);
        return b;
    }

    /** Per-receiver bookkeeping: which (sender, seq) arrived, and the latencies. */
    static final class Tally {
        final BitSet[] seen;
        long delivered;
        long duplicated;
        long[] latencies = new long[1024];
        int n;
        long lastNanos;
        long expected = Long.MAX_VALUE;

        Tally(int senders, int count) {
            seen = new BitSet[senders];
            for (int i = 0; i < senders; i++) {
                seen[i] = new BitSet(count);
            }
        }

        /** Called by the receiving client's own thread; the run's thread waits in {@link #await}. */
        synchronized void record(byte[] payload, long now) {
            ByteBuffer b = ByteBuffer.wrap(payload);
            long sent = b.getLong();
            int sender = b.getInt();
            int seq = b.getInt();
            delivered++;
            if (seen[sender].get(seq)) {
                duplicated++;
            } else {
                seen[sender].set(seq);
            }
            if (n == latencies.length) {
                latencies = Arrays.copyOf(latencies, n * 2);
            }
            latencies[n++] = now - sent;
            lastNanos = now;
            if (delivered == expected) {
                notifyAll();
            }
        }

        /** Until {@code expected} deliveries, the run cap, or 3 s of silence after the senders finished. */
        synchronized void await(AtomicLong sendersDone, int senders, long start) throws InterruptedException {
            long idleSince = System.nanoTime();
            long seen = delivered;
            while (delivered < expected && System.nanoTime() - start < RUN_CAP_NANOS) {
                wait(100);
                long now = System.nanoTime();
                if (delivered != seen) {
                    seen = delivered;
                    idleSince = now;
                } else if (sendersDone.get() == senders && now - idleSince > IDLE_NANOS) {
                    return;
                }
            }
        }

        long unique() {
            long u = 0;
            for (BitSet s : seen) {
                u += s.cardinality();
            }
            return u;
        }
    }

    // ---------------------------------------------------------------- through the server

    /**
     * Runs one case against the server on {@code basePort}. {@code nodes} are COMMON nodes of the
     * uploaded scene: sender i edits nodes[i]. Receivers are the clients that do not send (one
     * sender) or all clients (all send: each gets everybody's updates but its own).
     */
    static Result viaServer(Case c, int basePort, long serverPid, List<Node> nodes, int run, Consumer<String> kick)
            throws Exception {
        int senders = c.allSend() ? c.clients() : 1;
        int total = c.allSend() ? c.clients() : c.clients() + 1;
        List<TestClient> clients = new ArrayList<>();
        ZContext shared = new ZContext(1);
        try {
            for (int i = 0; i < total; i++) {
                TestClient client = new TestClient("127.0.0.1", basePort, "r" + run + "c" + i, shared);
                clients.add(client);
                String reply = client.loginAsClient();
                if (!reply.equals("RUNNING")) {
                    throw new IllegalStateException("login: " + reply);
                }
                client.join();
            }
            // one sender: the last client sends, the first c.clients() receive
            List<TestClient> sending = c.allSend() ? clients : clients.subList(total - 1, total);
            List<TestClient> receiving = c.allSend() ? clients : clients.subList(0, total - 1);
            Tally[] tallies = new Tally[receiving.size()];
            AtomicLong sendersDone = new AtomicLong();
            long start = System.nanoTime();
            List<Thread> threads = new ArrayList<>();
            for (int r = 0; r < receiving.size(); r++) {
                Tally t = tallies[r] = new Tally(senders, c.count());
                TestClient client = receiving.get(r);
                int own = c.allSend() ? r : -1;
                t.expected = (long) c.count() * (own >= 0 ? senders - 1 : senders);
                // recorded on the client's receiving thread, the moment the datablock is read
                client.onBlock(b -> t.record(b.payload(), System.nanoTime()));
                threads.add(thread(() -> awaitQuietly(t, sendersDone, senders, start)));
            }
            CountDownLatch go = new CountDownLatch(1);
            List<Thread> sendThreads = new ArrayList<>();
            for (int s = 0; s < senders; s++) {
                TestClient client = sending.get(s);
                Node node = nodes.get(s);
                int index = s;
                sendThreads.add(thread(() -> {
                    await(go);
                    pace(c, index, i -> client.push(new Node(node.uuid(), node.owner(), node.type(), List.of(),
                            payload(c.size(), index, i))));
                    sendersDone.incrementAndGet();
                }));
            }
            Cpu cpu = Cpu.now(serverPid);
            long first = System.nanoTime();
            go.countDown();
            joinAll(sendThreads);
            joinAll(threads);
            return summarize(c, "server", tallies, senders, first, Cpu.now(serverPid).since(cpu));
        } finally {
            // Kicked before they leave: the next run must not pay for this run's clients, which the
            // server would otherwise keep (and queue for) until their heartbeat times out.
            for (TestClient client : clients) {
                kick.accept(client.name);
            }
            for (TestClient client : clients) {
                client.close();
            }
            shared.close();
        }
    }

    private static void awaitQuietly(Tally t, AtomicLong sendersDone, int senders, long start) {
        try {
            t.await(sendersDone, senders, start);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    // ---------------------------------------------------------------- raw JeroMQ

    private static final byte[] SERVER_PUSH = "SERVER_PUSH".getBytes();
    private static final byte[] RAW_UUID = "00000000-0000-0000-0000-000000000000".getBytes();
    private static final byte[] RAW_OWNER = Node.COMMON.getBytes();
    private static final byte[] RAW_TYPE = "SynthNode".getBytes();
    private static final byte[] ONE_CHUNK = io.multiuser.server.wire.Pickles.dumps(1); // as the server sends it
    private static final byte[] NO_DEPENDENCIES = io.multiuser.server.wire.Pickles.dumps(null);

    /**
     * The ceiling: one ROUTER (own context, as the server) sends each update, as the server's
     * 6-frame header + chunk pair, straight to N DEALERs (one context for them all, as the clients
     * through the server). No inbound hop.
     */
    static Result raw(Case c, int run) throws Exception {
        if (c.allSend()) {
            throw new IllegalArgumentException("the raw ceiling is one sender only");
        }
        try (ZContext serverContext = new ZContext(1)) {
            ZMQ.Socket router = serverContext.createSocket(SocketType.ROUTER);
            router.setRouterMandatory(true);
            router.setLinger(0);
            router.bind("tcp://127.0.0.1:*");
            int n = c.clients();
            Tally[] tallies = new Tally[n];
            List<Thread> threads = new ArrayList<>();
            CountDownLatch connected = new CountDownLatch(n);
            long start = System.nanoTime();
            AtomicLong sendersDone = new AtomicLong();
            List<byte[]> ids = new ArrayList<>();
            ZContext ctx = new ZContext(1); // all receivers share one I/O thread, as the server's clients do
            for (int r = 0; r < n; r++) {
                Tally t = tallies[r] = new Tally(1, c.count());
                byte[] id = ("raw" + run + "-" + r).getBytes();
                ids.add(id);
                threads.add(thread(() -> rawReceiver(ctx, router.getLastEndpoint(), id, t, c.count(), connected,
                        sendersDone, 1, start)));
            }
            connected.await();
            awaitHellos(router, n);
            Cpu cpu = Cpu.now(0);
            long first = System.nanoTime();
            pace(c, 0, i -> {
                byte[] p = payload(c.size(), 0, i);
                for (byte[] id : ids) {
                    router.sendMore(id);
                    router.sendMore(SERVER_PUSH);
                    router.sendMore(RAW_UUID);
                    router.sendMore(RAW_OWNER);
                    router.sendMore(RAW_TYPE);
                    router.sendMore(ONE_CHUNK);
                    router.send(NO_DEPENDENCIES);
                    router.sendMore(id);
                    router.send(p);
                }
            });
            sendersDone.set(1);
            joinAll(threads);
            Cpu used = Cpu.now(0).since(cpu);
            router.close();
            ctx.close();
            return summarize(c, "raw JeroMQ", tallies, 1, first, used);
        }
    }

    /**
     * The floor for the server's own path: clients PUSH datablocks to a bare relay thread (PULL in,
     * ROUTER out, own context, no session logic) that forwards each to every other client's
     * DEALER, exactly the hops an update takes through the server. For paced runs: the relay
     * blocks on a full pipe instead of queueing.
     */
    static Result relay(Case c, int run) throws Exception {
        return relay(c, run, RELAY, "relay", RelayHub.InJvm::new);
    }

    /** {@link #relay} with the relay's loop in a JVM of its own, started as the server is. */
    static Result relayOwnJvm(Case c, int run) throws Exception {
        return relay(c, run, RELAY_OWN_JVM, "relayj", RelayHub.OwnJvm::new);
    }

    /** How {@link #relay}'s runs are labelled, here and in the process-clients family. */
    static final String RELAY = "raw relay";
    /** How {@link #relayOwnJvm}'s runs are labelled. */
    static final String RELAY_OWN_JVM = RELAY + ", own JVM";

    /** Starts a relay hub for the given receivers' identities. */
    private interface HubFactory {
        RelayHub start(List<byte[]> receivers) throws IOException;
    }

    private static Result relay(Case c, int run, String via, String prefix, HubFactory hubs) throws Exception {
        int senders = c.allSend() ? c.clients() : 1;
        int total = c.allSend() ? c.clients() : c.clients() + 1;
        // one sender: the last client sends and receives nothing (as through the server)
        int receivers = c.allSend() ? total : total - 1;
        List<byte[]> ids = new ArrayList<>();
        for (int k = 0; k < total; k++) {
            ids.add((prefix + run + "-" + k).getBytes());
        }
        try (RelayHub hub = hubs.start(ids.subList(0, receivers))) {
            List<Thread> threads = new ArrayList<>();
            CountDownLatch connected = new CountDownLatch(total);
            AtomicLong sendersDone = new AtomicLong();
            long start = System.nanoTime();
            Tally[] tallies = new Tally[receivers];
            ZContext ctx = new ZContext(1); // all clients share one I/O thread, as through the server
            for (int k = 0; k < total; k++) {
                byte[] id = ids.get(k);
                if (k < receivers) {
                    Tally t = tallies[k] = new Tally(senders, c.count());
                    long expected = (long) c.count() * (c.allSend() ? senders - 1 : senders);
                    threads.add(thread(() -> rawReceiver(ctx, hub.routerEndpoint(), id, t, expected, connected,
                            sendersDone, senders, start)));
                } else {
                    connected.countDown();
                }
            }
            connected.await();
            hub.forwardOnceAllHello();
            CountDownLatch go = new CountDownLatch(1);
            List<Thread> sendThreads = new ArrayList<>();
            for (int s = 0; s < senders; s++) {
                int index = s;
                int client = c.allSend() ? s : total - 1;
                ZMQ.Socket push = ClientSockets.create(ctx, SocketType.PUSH);
                push.setLinger(0);
                push.connect(hub.pullEndpoint());
                byte[] id = ids.get(client);
                sendThreads.add(thread(() -> {
                    await(go);
                    pace(c, index, i -> {
                        push.sendMore(id);
                        push.sendMore(RAW_UUID);
                        push.sendMore(RAW_OWNER);
                        push.sendMore(RAW_TYPE);
                        push.sendMore(ONE_CHUNK);
                        push.send(NO_DEPENDENCIES);
                        push.send(payload(c.size(), index, i));
                    });
                    sendersDone.incrementAndGet();
                }));
            }
            Cpu cpu = Cpu.now(hub.pid());
            long first = System.nanoTime();
            go.countDown();
            joinAll(sendThreads);
            joinAll(threads);
            Cpu used = Cpu.now(hub.pid()).since(cpu);
            ctx.close();
            return summarize(c, via, tallies, senders, first, used);
        }
    }

    /**
     * The relay's loop: header (6 frames, the sender's identity first) + chunk in, to every other
     * client. PULL interleaves concurrent pushers, so a chunk is paired with the header of its own
     * connection (JeroMQ gives each connection's messages one Metadata instance), as the server does.
     */
    static void forward(ZMQ.Socket pull, ZMQ.Socket router, List<byte[]> receivers, AtomicBoolean stop) {
        java.util.Map<Object, byte[][]> pending = new java.util.IdentityHashMap<>();
        while (!stop.get()) {
            zmq.Msg msg = pull.base().recv(0);
            if (msg == null) {
                continue; // receive timeout: check stop
            }
            Object connection = msg.getMetadata();
            if (msg.hasMore()) {
                byte[][] header = new byte[6][];
                header[0] = msg.data();
                for (int f = 1; f < 6; f++) {
                    header[f] = pull.base().recv(0).data();
                }
                pending.put(connection, header);
                continue;
            }
            byte[][] header = pending.remove(connection);
            if (header == null) {
                System.err.println("raw relay: a chunk without its header, dropped");
                continue; // shows as lost deliveries instead of killing the relay
            }
            byte[] chunk = msg.data();
            for (byte[] id : receivers) {
                if (Arrays.equals(id, header[0])) {
                    continue;
                }
                router.sendMore(id);
                router.sendMore(SERVER_PUSH);
                for (int f = 1; f < 5; f++) {
                    router.sendMore(header[f]);
                }
                router.send(header[5]);
                router.sendMore(id);
                router.send(chunk);
            }
        }
    }

    /** A bare client: a DEALER that says hello, then records every header + chunk pair on its own thread. */
    private static void rawReceiver(ZContext ctx, String endpoint, byte[] id, Tally t, long expected,
            CountDownLatch connected, AtomicLong sendersDone, int senders, long start) {
        ZMQ.Socket dealer = ClientSockets.create(ctx, SocketType.DEALER);
        dealer.setIdentity(id);
        dealer.setLinger(0);
        dealer.setReceiveTimeOut(100);
        dealer.connect(endpoint);
        dealer.send("hello");
        connected.countDown();
        long idleSince = System.nanoTime();
        while (t.delivered < expected && System.nanoTime() - start < RUN_CAP_NANOS) {
            byte[] first = dealer.recv();
            long now = System.nanoTime();
            if (first == null) {
                if (sendersDone.get() == senders && now - idleSince > IDLE_NANOS) {
                    break;
                }
                continue;
            }
            while (dealer.hasReceiveMore()) {
                dealer.recv(); // rest of the 6-frame header
            }
            byte[] chunk = dealer.recv(); // the chunk message follows the header
            while (chunk == null && System.nanoTime() - start < RUN_CAP_NANOS) {
                chunk = dealer.recv();
            }
            if (chunk == null) {
                break;
            }
            idleSince = now;
            t.record(chunk, System.nanoTime());
        }
        dealer.close();
    }

    /** Reads one hello per DEALER, so that every one is routable before the first send. */
    static void awaitHellos(ZMQ.Socket router, int n) {
        for (int r = 0; r < n; r++) {
            router.recv(); // identity (any order; all are known)
            router.recv(); // hello
        }
    }

    // ---------------------------------------------------------------- common

    interface Send {
        void send(int seq);
    }

    /** Sends c.count() updates, flat-out or at c.rate() per second (on a schedule, no drift). */
    private static void pace(Case c, int sender, Send send) {
        long period = c.rate() == 0 ? 0 : TimeUnit.SECONDS.toNanos(1) / c.rate();
        long t0 = System.nanoTime();
        if (period > 0 && !Boolean.getBoolean("bench.lockstep")) {
            // Independent clients: each schedule has its own phase within the period (fixed per sender,
            // so that runs repeat). -Dbench.lockstep=true fires all senders together, the worst case.
            t0 += (long) (new SplittableRandom(sender).nextDouble() * period);
        }
        for (int i = 0; i < c.count(); i++) {
            if (period > 0) {
                long wait = t0 + i * period - System.nanoTime();
                if (wait > 0) {
                    LockSupport.parkNanos(wait);
                }
            }
            send.send(i);
        }
    }

    private static Result summarize(Case c, String via, Tally[] tallies, int senders, long firstSend, Cpu cpu) {
        long expected = 0;
        long delivered = 0;
        long unique = 0;
        long dup = 0;
        long last = firstSend;
        int n = 0;
        for (Tally t : tallies) {
            n += t.n;
        }
        long[] all = new long[n];
        int k = 0;
        for (int r = 0; r < tallies.length; r++) {
            Tally t = tallies[r];
            expected += (long) c.count() * (c.allSend() ? senders - 1 : senders); // all send: not one's own
            delivered += t.delivered;
            unique += t.unique();
            dup += t.duplicated;
            last = Math.max(last, t.lastNanos);
            System.arraycopy(t.latencies, 0, all, k, t.n);
            k += t.n;
        }
        Arrays.sort(all);
        double seconds = Math.max(1e-9, (last - firstSend) / 1e9);
        return new Result(c, via, expected, delivered, expected - unique, dup, seconds, delivered / seconds,
                delivered * (double) c.size() / seconds / 1e6, pct(all, 0.50), pct(all, 0.99),
                all.length == 0 ? Double.NaN : all[all.length - 1] / 1e6, cpu.server(), cpu.harness(),
                cpu.serverFaults());
    }

    private static double pct(long[] sorted, double p) {
        if (sorted.length == 0) {
            return Double.NaN;
        }
        int i = (int) Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1);
        return sorted[Math.max(0, i)] / 1e6;
    }

    private static Thread thread(Runnable body) {
        Thread t = new Thread(body, "bench");
        t.setDaemon(true);
        t.start();
        return t;
    }

    private static void joinAll(List<Thread> threads) throws InterruptedException {
        for (Thread t : threads) {
            t.join(RUN_CAP_NANOS / 1_000_000 + 10_000);
        }
    }

    private static void await(CountDownLatch latch) {
        try {
            latch.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
