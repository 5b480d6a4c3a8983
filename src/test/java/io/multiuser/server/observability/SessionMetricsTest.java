package io.multiuser.server.observability;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

import io.micrometer.prometheus.PrometheusConfig;
import io.micrometer.prometheus.PrometheusMeterRegistry;

/** A session's series as scraped: at 0 from the start, then what happened, in that session's series only. */
class SessionMetricsTest {

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final SessionMetrics studio = new SessionMetrics(registry, "studio");

    SessionMetricsTest() {
        new SessionMetrics(registry, "other"); // a second session, whose series must stay at 0
    }

    @Test
    void everyRefusedConnectionIsCountedPerSession() {
        assertThat(registry.scrape()).contains("multiuser_connections_refused_total{session=\"studio\",} 0.0")
                .contains("multiuser_connections_refused_total{session=\"other\",} 0.0");

        studio.connectionRefused();
        studio.connectionRefused();

        assertThat(registry.scrape()).contains("multiuser_connections_refused_total{session=\"studio\",} 2.0")
                .contains("multiuser_connections_refused_total{session=\"other\",} 0.0");
    }

    @Test
    void engineStandstillsAreCountedAndTimedPerSession() {
        assertThat(registry.scrape()).contains("multiuser_engine_standstills_seconds_count{session=\"studio\",} 0.0");

        studio.engineStoodStill(400);
        studio.engineStoodStill(5_100);

        assertThat(registry.scrape()).contains("multiuser_engine_standstills_seconds_count{session=\"studio\",} 2.0")
                .contains("multiuser_engine_standstills_seconds_sum{session=\"studio\",} 5.5")
                .contains("multiuser_engine_standstills_seconds_max{session=\"studio\",} 5.1")
                .contains("multiuser_engine_standstills_seconds_count{session=\"other\",} 0.0");
    }
}
