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
     * kept for five minutes instead. A cycle at least every ten seconds bounds the garbage of steady
     * small traffic (compact otherwise waits for 10 % of the maximum heap to be allocated); big
     * datablocks start their own cycles (HeapPacer). Every two seconds, as before, the cycles were
     * the largest part of a fresh server's latency tail (docs/performance.md, issue #19).
     */
    public static final List<String> SERVER_GC_FLAGS = List.of("-XX:+UseShenandoahGC",
            "-XX:ShenandoahGCHeuristics=compact", "-XX:+UnlockExperimentalVMOptions",
            "-XX:ShenandoahUncommitDelay=300000", "-XX:ShenandoahGuaranteedGCInterval=10000");

    private JvmFlags() {
    }
}
