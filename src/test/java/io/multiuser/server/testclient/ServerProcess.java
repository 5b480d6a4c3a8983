package io.multiuser.server.testclient;

import java.io.IOException;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import io.multiuser.server.platform.CpuPolicy;

/**
 * The packaged server as its own process (failsafe passes the jar as {@code server.jar}), on a
 * free base port and a free HTTP port, with a pipe to its standard input and its output in a file.
 */
public final class ServerProcess implements AutoCloseable {

    private static final Path CHRT = Path.of("/usr/bin/chrt");

    public final int basePort;
    public final int httpPort;
    /** The session store's data directory: a fresh temporary one unless the caller chose it. */
    public final Path storeDirectory;
    private final Process process;
    private final Path output;
    private final OutputStream stdin;
    /** Whether {@link #storeDirectory} is the temporary one made here, removed at {@link #close()}. */
    private final boolean ownsStore;

    private ServerProcess(int basePort, int httpPort, Path storeDirectory, boolean ownsStore, Process process,
            Path output) {
        this.basePort = basePort;
        this.httpPort = httpPort;
        this.storeDirectory = storeDirectory;
        this.ownsStore = ownsStore;
        this.process = process;
        this.output = output;
        this.stdin = process.getOutputStream();
    }

    /** Starts the jar with the original flags {@code -p <free base port> -pwd <password>} plus {@code jvmOptions}. */
    public static ServerProcess start(String password, String... jvmOptions) throws IOException {
        int base = FreePorts.base();
        return launch(base, List.of("-p", String.valueOf(base), "-pwd", password), Map.of(), jvmOptions);
    }

    /** The server's java: the caller's, or the one -Dserver.java names (bench rounds on another JDK). */
    public static String java() {
        String java = System.getProperty("server.java", "");
        return java.isBlank() ? Path.of(System.getProperty("java.home"), "bin", "java").toString() : java;
    }

    /** The CPUs the server may run on (a taskset list, -Dserver.cpus, for bench runs), or "" for all. */
    public static String cpus() {
        return System.getProperty("server.cpus", "").trim();
    }

    /** {@code command} confined to {@link #cpus()} when set; taskset execs it, so the pid stays the command's. */
    public static List<String> onServerCpus(List<String> command) {
        if (cpus().isEmpty()) {
            return command;
        }
        List<String> pinned = new ArrayList<>(List.of("taskset", "--cpu-list", cpus()));
        pinned.addAll(command);
        return pinned;
    }

    /**
     * {@code command} under Linux's normal CPU policy, as a server (or the add-on, or the connector) runs
     * where deployed: a child inherits the policy of the thread that starts it, and the bench's harness
     * runs under SCHED_BATCH. chrt execs the command, so the pid stays the command's. From a thread
     * already under the normal policy (the tests') the command is left as it is.
     */
    public static List<String> underNormalPolicy(List<String> command) {
        if (!Files.isExecutable(CHRT) || callerPolicy() == CpuPolicy.NORMAL) {
            return command;
        }
        List<String> all = new ArrayList<>(List.of(CHRT.toString(), "--other", "0"));
        all.addAll(command);
        return all;
    }

    /** The calling thread's CPU policy ({@link CpuPolicy}'s numbers), or -1 where /proc does not tell. */
    private static int callerPolicy() {
        try {
            return ProcStat.policy(Path.of("/proc/thread-self"));
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /** The jcmd of the server's JDK; for a bare "java", the one on the PATH. */
    public static String jcmd() {
        Path bin = Path.of(java()).getParent();
        return bin == null ? "jcmd" : bin.resolve("jcmd").toString();
    }

    /**
     * Starts the jar with these program arguments and extra environment (the caller's own
     * {@code MULTIUSER_*}, {@code port}, {@code password}, {@code timeout} variables are removed),
     * on a free HTTP port; {@code basePort} is the port the arguments or environment select. Unless
     * a {@code -Dmultiuser.store.directory=} option names one, the store gets a fresh temporary
     * directory: no test restores another one's scene.
     */
    public static ServerProcess launch(int basePort, List<String> args, Map<String, String> env,
            String... jvmOptions) throws IOException {
        int http = freeHttpPort(basePort);
        List<String> command = new ArrayList<>(List.of(java(), "-Dquarkus.http.port=" + http));
        command.addAll(List.of(jvmOptions));
        String storeOption = "-Dmultiuser.store.directory=";
        Path store = command.stream().filter(o -> o.startsWith(storeOption)).findFirst()
                .map(o -> Path.of(o.substring(storeOption.length()))).orElse(null);
        boolean ownsStore = store == null;
        if (ownsStore) {
            store = Files.createTempDirectory("server-store");
            command.add(storeOption + store);
        }
        command.addAll(List.of("-jar", System.getProperty("server.jar", "target/quarkus-app/quarkus-run.jar")));
        command.addAll(args);
        Path output = Files.createTempFile("server", ".log");
        ProcessBuilder pb = new ProcessBuilder(onServerCpus(underNormalPolicy(command))).redirectErrorStream(true)
                .redirectOutput(output.toFile());
        pb.environment().keySet().removeIf(k -> k.startsWith("MULTIUSER_") || List.of("port", "password", "timeout")
                .contains(k));
        pb.environment().putAll(env);
        return new ServerProcess(basePort, http, store, ownsStore, pb.start(), output);
    }

    private static int freeHttpPort(int base) throws IOException {
        while (true) {
            try (ServerSocket s = new ServerSocket(0)) {
                int port = s.getLocalPort();
                if (port < base || port > base + 3) {
                    return port;
                }
            }
        }
    }

    public String log() throws IOException {
        return Files.readString(output, StandardCharsets.UTF_8);
    }

    /** Waits until the output contains {@code text}; fails early if the process exits first. */
    public void awaitOutput(String text, Duration timeout) throws Exception {
        awaitOutput(Pattern.compile(Pattern.quote(text)), timeout);
    }

    public void awaitOutput(Pattern pattern, Duration timeout) throws Exception {
        String text = pattern.pattern();
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!pattern.matcher(log()).find()) {
            if (!process.isAlive()) {
                throw new AssertionError("server exited (" + process.exitValue() + ") before printing '" + text
                        + "':\n" + log());
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("server did not print '" + text + "' within " + timeout + ":\n" + log());
            }
            Thread.sleep(20);
        }
    }

    /** Waits until Quarkus is up: the four ports and the HTTP port are listening. */
    public void awaitStarted() throws Exception {
        awaitOutput("Listening on: http", Duration.ofSeconds(30));
    }

    /** Writes one line to the server's standard input. */
    public void typeLine(String line) throws IOException {
        stdin.write((line + "\n").getBytes(StandardCharsets.UTF_8));
        stdin.flush();
    }

    public void closeStdin() throws IOException {
        stdin.close();
    }

    public boolean waitForExit(Duration timeout) throws InterruptedException {
        return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /**
     * {@code jcmd <pid> GC.run}: a collection in the server (a concurrent cycle under Shenandoah), so
     * that a heap figure read afterwards is the live set and not the garbage since the last periodic
     * cycle. False when jcmd failed or took over a minute.
     */
    public boolean collect() {
        try {
            Process p = new ProcessBuilder(jcmd(), String.valueOf(pid()), "GC.run").redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return false;
            }
            Thread.sleep(500); // heap metrics are read from the pools: let the cycle's end reach them
            return p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** The server's operating-system process id (for /proc/<pid>/status). */
    public long pid() {
        return process.pid();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    public int exitValue() {
        return process.exitValue();
    }

    /** True when the four protocol ports and the HTTP port can all be bound again. */
    public boolean portsFree() {
        for (int i = 0; i < 4; i++) {
            if (!FreePorts.free(basePort + i)) {
                return false;
            }
        }
        return FreePorts.free(httpPort);
    }

    /** SIGKILL: no shutdown hook runs, as in a crash or an OOM kill. */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            process.destroy();
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
            }
        }
        if (ownsStore && !process.isAlive() && Files.isDirectory(storeDirectory)) { // close() may be called twice
            deleteTree(storeDirectory);
        }
    }

    private static void deleteTree(Path dir) {
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            System.err.println("could not delete the test server's store " + dir + ": " + e);
        }
    }
}
