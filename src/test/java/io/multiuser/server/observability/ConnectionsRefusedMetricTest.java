package io.multiuser.server.observability;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

import io.micrometer.prometheus.PrometheusConfig;
import io.micrometer.prometheus.PrometheusMeterRegistry;

/** The refusals of the network allow and deny lists, as scraped: at 0 from the start, one per refused connection. */
class ConnectionsRefusedMetricTest {

    @Test
    void everyRefusedConnectionIsCountedPerSession() {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        SessionMetrics studio = new SessionMetrics(registry, "studio");
        new SessionMetrics(registry, "other");
        assertThat(registry.scrape()).contains("multiuser_connections_refused_total{session=\"studio\",} 0.0")
                .contains("multiuser_connections_refused_total{session=\"other\",} 0.0");

        studio.connectionRefused();
        studio.connectionRefused();

        assertThat(registry.scrape()).contains("multiuser_connections_refused_total{session=\"studio\",} 2.0")
                .contains("multiuser_connections_refused_total{session=\"other\",} 0.0");
    }
}
