package io.multiuser.server.memory;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/** A collection after every so many transient bytes, counted again from the end of any cycle. */
class HeapPacerTest {

    @Test
    void enoughTransientBytesStartACycle() {
        HeapPacer pacer = new HeapPacer(1 << 20, true);
        pacer.transientBytes(600 << 10);
        assertThat(pacer.explicitCycles()).isZero();
        pacer.transientBytes(600 << 10);
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> pacer.explicitCycles() == 1);
    }

    @Test
    void aCycleThatEndedStartsTheCountAgain() throws InterruptedException {
        HeapPacer pacer = new HeapPacer(1 << 20, true);
        pacer.transientBytes(900 << 10);
        pacer.cycleEnded();
        pacer.transientBytes(900 << 10); // 1.8 MiB in all, but only 0.9 since the last cycle
        Thread.sleep(200);
        assertThat(pacer.explicitCycles()).isZero();
    }

    @Test
    void underACollectorThatWouldStopTheWorldItDoesNothing() throws InterruptedException {
        HeapPacer pacer = new HeapPacer(1, false);
        pacer.transientBytes(1 << 30);
        Thread.sleep(200);
        assertThat(pacer.explicitCycles()).isZero();
    }

    @Test
    void aStoppedPacerStartsNoMoreCycles() throws InterruptedException {
        HeapPacer pacer = new HeapPacer(1 << 20, true);
        pacer.transientBytes(2 << 20);
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> pacer.explicitCycles() == 1);
        pacer.stop();
        pacer.transientBytes(2 << 20);
        Thread.sleep(200);
        assertThat(pacer.explicitCycles()).isEqualTo(1);
    }
}
