package io.multiuser.server.observability;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

import jakarta.inject.Singleton;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheus.PrometheusMeterRegistry;
import io.multiuser.server.persistence.StoreListener;

/** The store's writes and compactions; its size and last flush time are gauges in {@link SessionGauges}. */
@Singleton
public class StoreMetrics implements StoreListener {

    private final Timer writes;
    private final Counter compactions;
    private final Counter bytesCompactedAway;

    public StoreMetrics(PrometheusMeterRegistry registry) {
        writes = Timer.builder(ServerMetrics.PREFIX + "store.write")
                .description("Time to write and fsync one batch of changes to the session log")
                .publishPercentileHistogram().minimumExpectedValue(Duration.ofNanos(100_000))
                .maximumExpectedValue(Duration.ofSeconds(10)).register(registry);
        compactions = Counter.builder(ServerMetrics.PREFIX + "store.compactions")
                .description("Rewrites of the session log from the live scene").register(registry);
        bytesCompactedAway = Counter.builder(ServerMetrics.PREFIX + "store.compacted").baseUnit("bytes")
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
