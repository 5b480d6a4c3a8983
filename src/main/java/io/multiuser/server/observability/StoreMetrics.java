package io.multiuser.server.observability;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.multiuser.server.persistence.StoreListener;

/** One session's store writes and compactions; its size and last flush time are gauges in {@link SessionGauges}. */
final class StoreMetrics implements StoreListener {

    private final Timer writes;
    private final Counter compactions;
    private final Counter bytesCompactedAway;

    StoreMetrics(MeterRegistry registry, String session) {
        Tags tags = Tags.of(SessionMetrics.SESSION, session);
        writes = Timer.builder(SessionMetrics.PREFIX + "store.write").tags(tags)
                .description("Time to write and fsync one batch of changes to the session log")
                .publishPercentileHistogram().minimumExpectedValue(Duration.ofNanos(100_000))
                .maximumExpectedValue(Duration.ofSeconds(10)).register(registry);
        compactions = Counter.builder(SessionMetrics.PREFIX + "store.compactions").tags(tags)
                .description("Rewrites of the session log from the live scene").register(registry);
        bytesCompactedAway = Counter.builder(SessionMetrics.PREFIX + "store.compacted").tags(tags).baseUnit("bytes")
                .description("Bytes of obsolete records removed by compactions").register(registry);
    }

    @Override
    public void flushed(long nanos) {
        writes.record(nanos, TimeUnit.NANOSECONDS);
    }

    @Override
    public void compacted(long nanos, long bytesBefore, long bytesAfter) {
        compactions.increment();
        bytesCompactedAway.increment(Math.max(0, bytesBefore - bytesAfter));
    }
}
