package io.multiuser.server.observability;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import jakarta.inject.Singleton;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Meter;
import io.micrometer.prometheus.PrometheusMeterRegistry;
import io.multiuser.server.hosting.HostedSession;
import io.multiuser.server.hosting.SessionObserver;
import io.multiuser.server.persistence.StoreListener;
import io.multiuser.server.security.ServerSecurity;
import io.multiuser.server.session.SessionListener;

/**
 * Every session's metrics, labelled {@code session="NAME"}: counters and histograms of its
 * events ({@link SessionMetrics}), of its store ({@link StoreMetrics}) and gauges of its size and
 * health ({@link SessionGauges}). A session's series appear when it is hosted (all at 0) and go
 * when it is deleted; a restart of a session keeps them, counts included.
 * <p>
 * Registered on the Prometheus registry itself, not on Micrometer's global composite: Quarkus
 * attaches the registry to the composite only after the StartupEvent that starts the sessions,
 * and whatever a client did in between (a login, an upload) would be lost from the counts.
 */
@Singleton
public class ServerMetrics implements SessionObserver, ServerSecurity.AuditCounter {

    private final PrometheusMeterRegistry registry;
    private final Map<String, SessionMetrics> sessions = new ConcurrentHashMap<>();
    private final Map<String, StoreMetrics> stores = new ConcurrentHashMap<>();
    /** The hosted object each name's gauges read; replaced when a session restarts. */
    private final Map<String, HostedSession> hosted = new ConcurrentHashMap<>();

    public ServerMetrics(PrometheusMeterRegistry registry) {
        this.registry = registry;
    }

    /** Server-wide, so not labelled by session: the audit trail's entries by kind. */
    @Override
    public void count(String kind) {
        Counter.builder(SessionMetrics.PREFIX + "server.audit.events").tag("kind", kind)
                .description("Audit trail entries (admin actions and security refusals) by kind").register(registry)
                .increment();
    }

    @Override
    public SessionListener sessionListener(String session) {
        return sessions.computeIfAbsent(session, name -> new SessionMetrics(registry, name));
    }

    @Override
    public StoreListener storeListener(String session) {
        return stores.computeIfAbsent(session, name -> new StoreMetrics(registry, name));
    }

    @Override
    public void added(HostedSession session) {
        if (hosted.put(session.name(), session) == null) {
            SessionGauges.register(registry, session.name(), () -> hosted.get(session.name()));
        }
    }

    @Override
    public void removed(String session) {
        hosted.remove(session);
        sessions.remove(session);
        stores.remove(session);
        List<Meter> meters = registry.getMeters().stream()
                .filter(m -> session.equals(m.getId().getTag(SessionMetrics.SESSION))).toList();
        meters.forEach(registry::remove);
    }
}
