package io.multiuser.server.memory;

import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;

/**
 * Run in its own JVM under the deployed collector flags by {@link PacedCycleTest}: touches 96 MiB of
 * heap, lets it go, asks for one cycle (paced, or {@code System.gc()}) and prints what the heap kept
 * and the most it held as the pacer sees it.
 */
public final class PacedCycleProbe {

    static final int TOUCHED_MIB = 96;
    private static volatile Object sink;

    private PacedCycleProbe() {
    }

    public static void main(String[] args) throws InterruptedException {
        boolean paced = args[0].equals("paced");
        HeapGauge heap = HeapGauge.ofThisJvm();
        SoftMaxHeap softMax = SoftMaxHeap.ofThisJvm();
        byte[][] arrays = new byte[TOUCHED_MIB][];
        for (int i = 0; i < arrays.length; i++) {
            arrays[i] = new byte[1 << 20];
            arrays[i][4096] = 1;
        }
        sink = arrays;
        sink = null;
        arrays = null;
        long cyclesBefore = cycles();
        HeapPacer pacer = new HeapPacer(1 << 20, true);
        if (paced) {
            pacer.transientBytes(2 << 20);
        } else {
            System.gc();
        }
        long deadline = System.nanoTime() + 20_000_000_000L;
        while (cycles() == cyclesBefore && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        Thread.sleep(1_000); // an uncommit follows the cycle at once, if there is one
        System.out.printf("cycles=%d committed=%d used=%d peak=%d softMax=%d configured=%d ignored=%d%n",
                cycles() - cyclesBefore, heap.committed(), heap.used(), heap.peak(), softMax.current(),
                softMax.configured(), pacer.nudgesIgnored());
    }

    private static long cycles() {
        long count = 0;
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            if (gc.getName().endsWith("Cycles")) {
                count += gc.getCollectionCount();
            }
        }
        return count;
    }
}
