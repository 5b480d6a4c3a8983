package io.multiuser.server.observability;

import java.util.Locale;
import java.util.function.ToDoubleFunction;

import jakarta.enterprise.context.ApplicationScoped;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.prometheus.PrometheusMeterRegistry;
import io.multiuser.server.SessionServer;
import io.multiuser.server.engine.SessionStats;
import io.multiuser.server.engine.ZmqEngine;
import io.multiuser.server.persistence.SessionStore;
import io.multiuser.server.persistence.StoreStats;
import io.multiuser.server.session.SessionState;
import io.quarkus.runtime.Startup;

/**
 * Gauges read from the engine's published {@link SessionStats} at scrape time: users by
 * status, the scene's size, the session state and the engine loop's health.
 */
@Startup // created at start, so the gauges are in the scrape from the first one
@ApplicationScoped
public class SessionGauges {

    private final SessionServer server;

    public SessionGauges(SessionServer server, PrometheusMeterRegistry registry) {
        this.server = server;
        for (String status : new String[] {"lobby", "syncing", "active"}) {
            Gauge.builder(ServerMetrics.PREFIX + "users", this, g -> g.users(status)).tag("status", status)
                    .description("Users online by status").register(registry);
        }
        stat(registry, "session.nodes", null, "Nodes in the scene", s -> s.nodes());
        stat(registry, "session.payload", "bytes", "Payload bytes held by the scene", s -> s.payloadBytes());
        stat(registry, "session.chain.entries", null, "Deltas held in the nodes' chains (protocol 0.9)",
                s -> s.chainEntries());
        stat(registry, "session.chain", "bytes", "Bytes held in the nodes' delta chains (protocol 0.9)",
                s -> s.chainBytes());
        stat(registry, "engine.backlog.messages", null, "Messages waiting for slow or absent clients",
                s -> s.backlogMessages());
        for (SessionState state : SessionState.values()) {
            String label = state.name().toLowerCase(Locale.ROOT);
            Gauge.builder(ServerMetrics.PREFIX + "session.state", this, g -> g.stats().state() == state ? 1 : 0)
                    .tag("state", label).description("1 for the session's current state").register(registry);
        }
        Gauge.builder(ServerMetrics.PREFIX + "engine.running", this, g -> g.running() ? 1 : 0)
                .description("1 while the engine thread runs with its ports bound").register(registry);
        Gauge.builder(ServerMetrics.PREFIX + "engine.loop.age", this, SessionGauges::loopAgeSeconds).baseUnit("seconds")
                .description("Time since the engine loop last started an iteration").register(registry);
        store(registry, "store.size", "bytes", "Size of the session log on disk", s -> s.fileBytes());
        store(registry, "store.live", "bytes", "Size of the session log once compacted (the live scene)",
                s -> s.liveBytes());
        store(registry, "store.last.flush", "seconds", "Unix time when changes were last made durable",
                s -> s.lastFlushEpochMillis() / 1000.0);
        store(registry, "store.pending", "changes", "Changes received and not yet on disk", s -> s.pendingChanges());
        store(registry, "store.healthy", null, "1 while the last write of the session log succeeded",
                s -> s.lastError() == null ? 1 : 0);
    }

    /** A store gauge: NaN (absent from dashboards) while the store is disabled or closed. */
    private void store(MeterRegistry registry, String name, String unit, String description,
            ToDoubleFunction<StoreStats> value) {
        Gauge.builder(ServerMetrics.PREFIX + name, this, g -> {
            SessionStore store = g.server.store();
            return store == null ? Double.NaN : value.applyAsDouble(store.stats());
        }).baseUnit(unit).description(description).register(registry);
    }


    private void stat(MeterRegistry registry, String name, String unit, String description,
            ToDoubleFunction<SessionStats> value) {
        Gauge.builder(ServerMetrics.PREFIX + name, this, g -> value.applyAsDouble(g.stats())).baseUnit(unit)
                .description(description).register(registry);
    }

    private SessionStats stats() {
        return server.runningEngine().map(ZmqEngine::stats).orElse(SessionStats.EMPTY);
    }

    private double users(String status) {
        SessionStats s = stats();
        return switch (status) {
            case "lobby" -> s.lobby();
            case "syncing" -> s.syncing();
            default -> s.active();
        };
    }

    private boolean running() {
        return server.runningEngine().isPresent();
    }

    private double loopAgeSeconds() {
        return server.runningEngine().map(e -> (System.nanoTime() - e.lastLoopNanos()) / 1e9).orElse(Double.NaN);
    }
}
