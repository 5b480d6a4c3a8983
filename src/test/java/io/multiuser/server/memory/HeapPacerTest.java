package io.multiuser.server.memory;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * A collection after every so many transient bytes, counted again from the end of any cycle; replaced
 * payloads count for less while the heap reuses memory it held before. Cycles here are System.gc()
 * (no soft maximum to lower); {@link PacedCycleTest} has the real one.
 */
class HeapPacerTest {

    private static final long MIB = 1 << 20;
    /** The cause HotSpot gives a cycle Shenandoah's heuristics started. */
    private static final String CONCURRENT = "Concurrent GC";
    private final FakeHeap heap = new FakeHeap();

    private HeapPacer pacer(boolean active) {
        return new HeapPacer(MIB, active, null, heap);
    }

    @Test
    void enoughTransientBytesStartACycle() {
        HeapPacer pacer = pacer(true);
        pacer.transientBytes(600 << 10);
        assertThat(pacer.requestedCycles()).isZero();
        pacer.transientBytes(600 << 10);
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> pacer.requestedCycles() == 1);
    }

    @Test
    void aCycleThatEndedStartsTheCountAgain() throws InterruptedException {
        heap.used = 10 * MIB;
        heap.peak = 200 * MIB; // edits count a quarter
        HeapPacer pacer = pacer(true);
        pacer.transientBytes(900 << 10);
        pacer.replacedBytes(3 * MIB);
        pacer.cycleEnded(CONCURRENT);
        pacer.transientBytes(900 << 10); // 1.8 MiB in all, but only 0.9 since the last cycle
        pacer.replacedBytes(3 * MIB); // 6 MiB of edits in all, 3 since the last cycle
        Thread.sleep(200);
        assertThat(pacer.requestedCycles()).isZero();
    }

    @Test
    void replacedPayloadsWaitForFourTimesTheBudgetWhileTheHeapReusesItsMemory() throws InterruptedException {
        heap.used = 10 * MIB;
        heap.peak = 200 * MIB;
        HeapPacer pacer = pacer(true);
        for (int i = 0; i < 7; i++) {
            pacer.replacedBytes(MIB / 2);
        }
        Thread.sleep(200);
        assertThat(pacer.requestedCycles()).isZero();
        pacer.replacedBytes(MIB / 2);
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> pacer.requestedCycles() == 1);
    }

    @Test
    void replacedPayloadsStartACycleAfterOneBudgetWhenTheHeapGrowsPastItsPeak() throws InterruptedException {
        heap.used = 10 * MIB;
        heap.peak = 200 * MIB;
        HeapPacer pacer = pacer(true);
        pacer.replacedBytes(MIB + 1);
        Thread.sleep(200);
        assertThat(pacer.requestedCycles()).isZero();
        heap.used = 199 * MIB; // next to its peak: what it allocates now was never touched
        pacer.replacedBytes(MIB);
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> pacer.requestedCycles() == 1);
    }

    @Test
    void anExplicitCycleGaveMemoryBackSoItsEndResetsThePeak() {
        heap.peak = 200 * MIB;
        heap.used = 20 * MIB;
        HeapPacer pacer = pacer(true);
        pacer.cycleEnded(CONCURRENT);
        assertThat(heap.peak).as("an ordinary cycle keeps the regions").isEqualTo(200 * MIB);
        pacer.cycleEnded("System.gc()");
        assertThat(heap.peak).isEqualTo(20 * MIB);
    }

    @Test
    void underACollectorThatWouldStopTheWorldItDoesNothing() throws InterruptedException {
        HeapPacer pacer = pacer(false);
        pacer.transientBytes(1 << 30);
        pacer.replacedBytes(1 << 30);
        Thread.sleep(200);
        assertThat(pacer.requestedCycles()).isZero();
    }

    @Test
    void aStoppedPacerStartsNoMoreCycles() throws InterruptedException {
        HeapPacer pacer = pacer(true);
        pacer.transientBytes(2 * MIB);
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> pacer.requestedCycles() == 1);
        pacer.stop();
        pacer.transientBytes(2 * MIB);
        Thread.sleep(200);
        assertThat(pacer.requestedCycles()).isEqualTo(1);
    }

    /** Figures set by the test; the peak follows what it sets, as the JVM's does. */
    private static final class FakeHeap implements HeapGauge {
        volatile long used;
        volatile long peak;

        @Override
        public long used() {
            return used;
        }

        @Override
        public long peak() {
            return Math.max(peak, used);
        }

        @Override
        public long committed() {
            return peak();
        }

        @Override
        public void resetPeak() {
            peak = used;
        }
    }
}
