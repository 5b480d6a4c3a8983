package io.multiuser.server.observability;

import java.util.Locale;
import java.util.function.Supplier;
import java.util.function.ToDoubleFunction;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.multiuser.server.engine.SessionStats;
import io.multiuser.server.engine.ZmqEngine;
import io.multiuser.server.hosting.HostedSession;
import io.multiuser.server.persistence.SessionStore;
import io.multiuser.server.persistence.StoreStats;
import io.multiuser.server.session.SessionState;

/**
 * One session's gauges, read at scrape time from the engine's published {@link SessionStats}
 * and the store's stats: users by status, the scene's size, the session state and the engine
 * loop's health. They read the session through {@code current}, because a restart (a dev-mode
 * reload) hosts a new object under the same name and the gauges stay registered. They hold this
 * object strongly: nothing else references it, and Micrometer's default weak reference would turn
 * them into NaN at the first garbage collection.
 */
final class SessionGauges {

    private final Supplier<HostedSession> current;

    private SessionGauges(Supplier<HostedSession> current) {
        this.current = current;
    }

    static void register(MeterRegistry registry, String session, Supplier<HostedSession> current) {
        new SessionGauges(current).registerAll(registry, Tags.of(SessionMetrics.SESSION, session));
    }

    private void registerAll(MeterRegistry registry, Tags tags) {
        for (String status : new String[] {"lobby", "syncing", "active"}) {
            Gauge.builder(SessionMetrics.PREFIX + "users", this, g -> g.users(status)).tags(tags).tag("status", status)
                    .description("Users online by status").strongReference(true).register(registry);
        }
        stat(registry, tags, "session.nodes", null, "Nodes in the scene", s -> s.nodes());
        stat(registry, tags, "session.payload", "bytes", "Payload bytes held by the scene", s -> s.payloadBytes());
        stat(registry, tags, "session.spill.file", "bytes", "Size of the file big payloads are kept in, dead ones"
                + " included (it is unlinked: not visible in the directory)", s -> s.spillFileBytes());
        stat(registry, tags, "session.chain.entries", null, "Deltas held in the nodes' chains (protocol 0.9)",
                s -> s.chainEntries());
        stat(registry, tags, "session.chain", "bytes", "Bytes held in the nodes' delta chains (protocol 0.9)",
                s -> s.chainBytes());
        stat(registry, tags, "snapshot.downloads.active", null, "Joiners downloading the scene now",
                s -> s.downloads());
        stat(registry, tags, "snapshot.download.remaining", "bytes", "Payload bytes the joiners still have to get",
                s -> s.downloadBytesLeft());
        stat(registry, tags, "engine.backlog.messages", null, "Messages waiting for slow or absent clients",
                s -> s.backlogMessages());
        for (SessionState state : SessionState.values()) {
            String label = state.name().toLowerCase(Locale.ROOT);
            Gauge.builder(SessionMetrics.PREFIX + "session.state", this, g -> g.stats().state() == state ? 1 : 0)
                    .tags(tags).tag("state", label).description("1 for the session's current state")
                    .strongReference(true).register(registry);
        }
        Gauge.builder(SessionMetrics.PREFIX + "engine.running", this, g -> g.engine() != null ? 1 : 0).tags(tags)
                .description("1 while the session's engine thread runs with its ports bound").strongReference(true)
                .register(registry);
        Gauge.builder(SessionMetrics.PREFIX + "engine.loop.age", this, SessionGauges::loopAgeSeconds).tags(tags)
                .baseUnit("seconds").description("Time since the engine loop last started an iteration")
                .strongReference(true).register(registry);
        store(registry, tags, "store.size", "bytes", "Size of the session log on disk", s -> s.fileBytes());
        store(registry, tags, "store.live", "bytes", "Size of the session log once compacted (the live scene)",
                s -> s.liveBytes());
        store(registry, tags, "store.last.flush", "seconds", "Unix time when changes were last made durable",
                s -> s.lastFlushEpochMillis() / 1000.0);
        store(registry, tags, "store.pending", "changes", "Changes received and not yet on disk",
                s -> s.pendingChanges());
        store(registry, tags, "store.healthy", null, "1 while the last write of the session log succeeded",
                s -> s.lastError() == null ? 1 : 0);
    }

    /** A store gauge: NaN (absent from dashboards) while the store is disabled or closed. */
    private void store(MeterRegistry registry, Tags tags, String name, String unit, String description,
            ToDoubleFunction<StoreStats> value) {
        Gauge.builder(SessionMetrics.PREFIX + name, this, g -> {
            HostedSession session = g.current.get();
            SessionStore store = session == null ? null : session.store();
            return store == null ? Double.NaN : value.applyAsDouble(store.stats());
        }).tags(tags).baseUnit(unit).description(description).strongReference(true).register(registry);
    }

    private void stat(MeterRegistry registry, Tags tags, String name, String unit, String description,
            ToDoubleFunction<SessionStats> value) {
        Gauge.builder(SessionMetrics.PREFIX + name, this, g -> value.applyAsDouble(g.stats())).tags(tags).baseUnit(unit)
                .description(description).strongReference(true).register(registry);
    }

    private ZmqEngine engine() {
        HostedSession session = current.get();
        return session == null ? null : session.runningEngine().orElse(null);
    }

    private SessionStats stats() {
        ZmqEngine engine = engine();
        return engine == null ? SessionStats.EMPTY : engine.stats();
    }

    private double users(String status) {
        SessionStats s = stats();
        return switch (status) {
            case "lobby" -> s.lobby();
            case "syncing" -> s.syncing();
            default -> s.active();
        };
    }

    private double loopAgeSeconds() {
        ZmqEngine engine = engine();
        return engine == null ? Double.NaN : (System.nanoTime() - engine.lastLoopNanos()) / 1e9;
    }
}
