package io.multiuser.server.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import org.zeromq.SocketType;
import org.zeromq.ZContext;
import org.zeromq.ZMQ;

import io.multiuser.server.engine.BatchScheduling;
import io.multiuser.server.testclient.ServerProcess;

/**
 * Where the raw relay's loop ({@link FanOut#forward}) runs: on a thread of the bench's JVM, next
 * to the clients, or in a JVM of its own, as the server runs. The paced latency of the two differs
 * by what a separate process costs on a machine whose cores the clients share, which the
 * server's own figures include.
 */
interface RelayHub extends AutoCloseable {

    /** Where clients PUSH their datablocks. */
    String pullEndpoint();

    /** Where receivers' DEALERs connect and say hello. */
    String routerEndpoint();

    /** Waits until every receiver said hello, then forwards until closed. */
    void forwardOnceAllHello() throws IOException;

    /** The process whose CPU a run reports as the hub's; 0 for the bench's own. */
    long pid();

    @Override
    void close() throws IOException, InterruptedException;

    /** PULL in, ROUTER out, both bound on loopback in a context of the hub's own. */
    private static ZMQ.Socket[] bind(ZContext context) {
        ZMQ.Socket pull = context.createSocket(SocketType.PULL);
        pull.setLinger(0);
        pull.setReceiveTimeOut(100); // the loop checks its stop flag this often
        pull.bind("tcp://127.0.0.1:*");
        ZMQ.Socket router = context.createSocket(SocketType.ROUTER);
        router.setRouterMandatory(true);
        router.setLinger(0);
        router.bind("tcp://127.0.0.1:*");
        return new ZMQ.Socket[] {pull, router};
    }

    /** The loop on a thread of this JVM (which runs under the harness's CPU policy). */
    final class InJvm implements RelayHub {
        private final ZContext context = new ZContext(1);
        private final ZMQ.Socket pull;
        private final ZMQ.Socket router;
        private final List<byte[]> receivers;
        private final AtomicBoolean stop = new AtomicBoolean();
        private Thread loop;

        InJvm(List<byte[]> receivers) {
            ZMQ.Socket[] sockets = bind(context);
            this.pull = sockets[0];
            this.router = sockets[1];
            this.receivers = receivers;
        }

        @Override
        public String pullEndpoint() {
            return pull.getLastEndpoint();
        }

        @Override
        public String routerEndpoint() {
            return router.getLastEndpoint();
        }

        @Override
        public void forwardOnceAllHello() {
            FanOut.awaitHellos(router, receivers.size());
            loop = new Thread(() -> {
                try {
                    FanOut.forward(pull, router, receivers, stop);
                } catch (RuntimeException e) {
                    e.printStackTrace(); // the run then reports its losses
                }
            }, "bench-relay");
            loop.setDaemon(true);
            loop.start();
        }

        @Override
        public long pid() {
            return 0;
        }

        @Override
        public void close() throws InterruptedException {
            stop.set(true);
            if (loop != null) {
                loop.join(1000);
            }
            context.close();
        }
    }

    /**
     * The same loop in a JVM of its own, started like the server: its java and JVM options, its CPUs,
     * the normal CPU policy, and the loop's threads under SCHED_BATCH as the server's engine and I/O
     * thread are.
     * It talks to the bench on its standard streams: the endpoints, then READY; stdin closed = stop.
     * A fresh JVM per run, which first runs {@link #WARM_UP} (the same loop, with clients of its own),
     * so that the run meets compiled code, as it meets a server warmed by the bench's earlier cases.
     */
    final class OwnJvm implements RelayHub {
        private final Process process;
        private final BufferedReader out;
        private final String pullEndpoint;
        private final String routerEndpoint;

        OwnJvm(List<byte[]> receivers) throws IOException {
            List<String> names = receivers.stream().map(id -> new String(id, StandardCharsets.UTF_8)).toList();
            List<String> command = new ArrayList<>();
            command.add(ServerProcess.java());
            command.addAll(Bench.serverOptions());
            command.addAll(List.of("-cp", System.getProperty("java.class.path"), RelayHub.class.getName(),
                    String.join(",", names)));
            // wrapped as ServerProcess.launch wraps the server: its CPUs (-Dserver.cpus), the normal policy
            process = new ProcessBuilder(ServerProcess.onServerCpus(ServerProcess.underNormalPolicy(command)))
                    .redirectError(ProcessBuilder.Redirect.INHERIT).start();
            out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
            String[] line = expect("ENDPOINTS").split(" ");
            pullEndpoint = line[1];
            routerEndpoint = line[2];
        }

        private String expect(String word) throws IOException {
            String line = out.readLine();
            if (line == null || !line.startsWith(word)) {
                process.destroyForcibly();
                throw new IOException("relay process: expected " + word + ", got " + line);
            }
            return line;
        }

        @Override
        public String pullEndpoint() {
            return pullEndpoint;
        }

        @Override
        public String routerEndpoint() {
            return routerEndpoint;
        }

        @Override
        public void forwardOnceAllHello() throws IOException {
            expect("READY");
        }

        @Override
        public long pid() {
            return process.pid();
        }

        @Override
        public void close() throws IOException, InterruptedException {
            process.getOutputStream().close();
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        }
    }

    /** Updates of 1 KiB, to 7 receivers each, that {@link OwnJvm}'s process forwards before it reports its endpoints. */
    int WARM_UP_UPDATES = 30_000;
    /** The warm-up: a flat-out raw relay run with its clients inside the relay's process, on sockets of their own. */
    FanOut.Case WARM_UP = new FanOut.Case(7, false, 1024, 0, WARM_UP_UPDATES);

    /** The relay process of {@link OwnJvm}; the argument names its receivers, comma-separated. */
    static void main(String[] args) throws Exception {
        BatchScheduling.applyToCurrentThread(); // ZeroMQ's I/O threads, started below, inherit it
        List<byte[]> receivers = new ArrayList<>();
        for (String name : args[0].split(",")) {
            receivers.add(name.getBytes(StandardCharsets.UTF_8));
        }
        FanOut.relay(WARM_UP, 0); // prints nothing: stdout is the channel to the bench
        try (ZContext context = new ZContext(1)) {
            ZMQ.Socket[] sockets = bind(context);
            System.out.println("ENDPOINTS " + sockets[0].getLastEndpoint() + " " + sockets[1].getLastEndpoint());
            System.out.flush();
            AtomicBoolean stop = new AtomicBoolean();
            Thread stdin = new Thread(() -> {
                try {
                    while (System.in.read() >= 0) {
                        // the bench writes nothing: wait for the end of the stream
                    }
                } catch (IOException e) {
                    // a broken pipe stops the relay too
                }
                stop.set(true);
            }, "stdin");
            stdin.setDaemon(true);
            stdin.start();
            FanOut.awaitHellos(sockets[1], receivers.size());
            System.out.println("READY");
            System.out.flush();
            FanOut.forward(sockets[0], sockets[1], receivers, stop);
        }
    }
}
