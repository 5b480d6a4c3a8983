package io.multiuser.server.testclient;

import java.util.List;

/** JVM flags of the server process, shared by the benchmark suite and the tests of the deployment files. */
public final class JvmFlags {

    /**
     * The server's collector, as deployed: the README's run command, the Dockerfile's
     * JAVA_OPTS_APPEND and the Kubernetes deployment use these same flags (KubernetesManifestsTest),
     * and the benchmark suite starts its servers with them. Shenandoah compacts concurrently, so its
     * pauses do not grow with the live set (the 100,000 nodes); the compact heuristics collect often
     * enough that the heap holds little garbage. Their one-second uncommit delay made every burst
     * fault its memory in again (a third of the server's CPU in the fan-out runs), so freed memory is
     * kept for five minutes instead. A cycle starts once 2 % of the maximum heap has been allocated since
     * the last one (compact's default is 10 %: 600 MB on a 24 GiB host), so the server keeps reusing
     * regions it has already touched instead of faulting fresh ones in: on the 2-core bench host, with
     * 8 process clients pushing 1 MiB each per second, the JeroMQ I/O thread's CPU (mostly zeroing and
     * faulting in fresh heap for each received message) fell by a third and the peak RSS from 336 to
     * 210 MiB (issue #19).
     */
    public static final List<String> SERVER_GC_FLAGS = List.of("-XX:+UseShenandoahGC",
            "-XX:ShenandoahGCHeuristics=compact", "-XX:+UnlockExperimentalVMOptions",
            "-XX:ShenandoahUncommitDelay=300000", "-XX:ShenandoahAllocationThreshold=2");

    private JvmFlags() {
    }
}
