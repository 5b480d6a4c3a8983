package io.multiuser.server.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;

class EngineClockTest {

    private final AtomicLong source = new AtomicLong(1_000_000);
    private final EngineClock clock = new EngineClock(source::get, 250);

    @Test
    void stepsUpToTheMaximumCountInFull() {
        long start = clock.getAsLong();
        for (int i = 0; i < 40; i++) {
            source.addAndGet(50);
            clock.getAsLong();
        }
        source.addAndGet(250);
        assertThat(clock.getAsLong() - start).isEqualTo(40 * 50 + 250);
        assertThat(clock.takePause()).isZero();
    }

    @Test
    void aLongerStepCountsAsTheMaximumAndIsReportedOnce() {
        long start = clock.getAsLong();
        source.addAndGet(6_000);
        assertThat(clock.getAsLong() - start).isEqualTo(250);
        source.addAndGet(10);
        assertThat(clock.getAsLong() - start).isEqualTo(260);
        assertThat(clock.takePause()).isEqualTo(6_000);
        assertThat(clock.takePause()).as("taken").isZero();
    }

    @Test
    void theLongestOfSeveralStandstillsIsReported() {
        source.addAndGet(1_500);
        clock.getAsLong();
        source.addAndGet(4_000);
        clock.getAsLong();
        source.addAndGet(700);
        clock.getAsLong();
        assertThat(clock.takePause()).isEqualTo(4_000);
    }

    @Test
    void neverGoesBackwards() {
        long before = clock.getAsLong();
        source.addAndGet(-100);
        assertThat(clock.getAsLong()).isEqualTo(before);
        source.addAndGet(100 + 30);
        assertThat(clock.getAsLong()).isEqualTo(before + 130);
    }

    @Test
    void aMaximumStepMustBePositive() {
        assertThatThrownBy(() -> new EngineClock(source::get, 0)).isInstanceOf(IllegalArgumentException.class);
    }
}
