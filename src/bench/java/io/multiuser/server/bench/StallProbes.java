package io.multiuser.server.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import io.multiuser.server.testclient.ServerProcess;

/**
 * One {@code stall_probe.py} pinned to each CPU while a bench family runs: its wake-ups that come
 * at least the report threshold late tell a phase whose tail the host's stalls made (a virtual CPU
 * not run for 10-30 ms, at times several a minute on the bench's machine) from one the server made.
 * The processes family's probes ({@link #start(Path)}) wake 200 times a second each, the same cost
 * for the server's phases and the relay's; the sessions family's sleep 20 ms and report only
 * stalls of 200 ms or more ({@code SessionsBench.HOST_STALL_MS}).
 */
final class StallProbes implements AutoCloseable {

    static final double REPORT_MS = 10;
    private static final double PERIOD_MS = 5;

    /** Late wake-ups within a window, on any CPU, and the latest of them. */
    record Count(int stalls, double maxMs) {
        @Override
        public String toString() {
            return stalls == 0 ? "0" : String.format("%d (max %.0f ms)", stalls, maxMs);
        }
    }

    private final List<Process> probes = new ArrayList<>();
    private final List<Path> files = new ArrayList<>();

    private StallProbes() {
    }

    /** Starts a probe on every online CPU and waits until each runs. */
    static StallProbes start(Path work) throws IOException {
        return start(work, PERIOD_MS, REPORT_MS);
    }

    /** Probes that sleep {@code periodMs} and report wake-ups {@code reportMs} or more late. */
    static StallProbes start(Path work, double periodMs, double reportMs) throws IOException {
        StallProbes all = new StallProbes();
        try {
            for (int cpu : onlineCpus()) {
                Path out = work.resolve("stalls-cpu" + cpu + ".txt");
                Files.deleteIfExists(out);
                Process p = new ProcessBuilder(ServerProcess.underNormalPolicy(List.of(ProcessClientsBench.PYTHON,
                        ProcessClientsBench.PYTHON_DIR.resolve("stall_probe.py").toString(), "--cpu",
                        String.valueOf(cpu), "--out", out.toString(), "--period-ms", String.valueOf(periodMs),
                        "--report-ms", String.valueOf(reportMs))))
                        .redirectError(ProcessBuilder.Redirect.INHERIT).start();
                all.probes.add(p);
                all.files.add(out);
                String first = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))
                        .readLine(); // the probe writes nothing else: EOF or STARTED comes
                if (!"STARTED".equals(first)) {
                    throw new IllegalStateException("stall probe on CPU " + cpu + " did not start: " + first);
                }
            }
            return all;
        } catch (IOException | RuntimeException e) {
            all.close();
            throw e;
        }
    }

    /** Late wake-ups whose sleep began within [fromNanos, toNanos] (CLOCK_MONOTONIC, System.nanoTime). */
    Count within(long fromNanos, long toNanos) throws IOException {
        int stalls = 0;
        long max = 0;
        for (Path f : files) {
            for (String line : Files.readAllLines(f)) {
                String[] v = line.split(" ");
                if (v.length != 2 || v[1].isEmpty()) {
                    continue; // a line the probe is still writing
                }
                long at = Long.parseLong(v[0]);
                if (at >= fromNanos && at <= toNanos) {
                    stalls++;
                    max = Math.max(max, Long.parseLong(v[1]));
                }
            }
        }
        return new Count(stalls, max / 1e6);
    }

    /** The CPUs in /sys/devices/system/cpu/online ("0-1", "0,2-3"), or 0..n-1 where it cannot be read. */
    static List<Integer> onlineCpus() {
        List<Integer> cpus = new ArrayList<>();
        try {
            for (String range : Files.readString(Path.of("/sys/devices/system/cpu/online")).strip().split(",")) {
                String[] ends = range.split("-");
                int from = Integer.parseInt(ends[0]);
                int to = ends.length == 2 ? Integer.parseInt(ends[1]) : from;
                for (int c = from; c <= to; c++) {
                    cpus.add(c);
                }
            }
        } catch (IOException | NumberFormatException e) {
            cpus.clear();
            for (int c = 0; c < Runtime.getRuntime().availableProcessors(); c++) {
                cpus.add(c);
            }
        }
        return cpus;
    }

    @Override
    public void close() {
        for (Process p : probes) {
            try {
                p.getOutputStream().close(); // the probe ends when its stdin closes
                if (!p.waitFor(5, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                }
            } catch (IOException e) {
                p.destroyForcibly();
            } catch (InterruptedException e) {
                p.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
    }
}
