package io.multiuser.server.observability;

import java.util.Optional;

import jakarta.enterprise.context.ApplicationScoped;

import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Liveness;
import org.eclipse.microprofile.health.Readiness;
import org.eclipse.microprofile.health.Startup;

import io.multiuser.server.SessionServer;
import io.multiuser.server.engine.SessionStats;
import io.multiuser.server.engine.ZmqEngine;
import io.multiuser.server.hosting.HostedSession;
import io.multiuser.server.hosting.SessionSpec;

/**
 * Liveness: every started engine thread runs and its loop turns (a stalled loop means no pings,
 * so every client of that session would time out; a restart is the cure). Readiness: every hosted
 * session has its ports bound and answers logins; the data has one entry per session, with the
 * reason of any that does not serve, plus the default session's details. A session that could not
 * bind its ports makes readiness DOWN, while the others go on serving. Startup: the sessions were
 * started once.
 */
@ApplicationScoped
public class EngineHealthChecks {

    private final SessionServer server;
    private final HealthConfig config;

    public EngineHealthChecks(SessionServer server, HealthConfig config) {
        this.server = server;
        this.config = config;
    }

    @Liveness
    HealthCheck engineLoop() {
        return () -> {
            HealthCheckResponseBuilder r = HealthCheckResponse.named("engine-loop").up();
            boolean any = false;
            long maxStall = config.maxLoopStall().toMillis();
            for (HostedSession session : server.sessions()) {
                ZmqEngine engine = session.engine();
                if (engine == null) {
                    continue; // never started (its ports): readiness reports it, a restart would not help
                }
                any = true;
                if (!engine.isRunning()) {
                    r.down().withData(session.name(), "engine thread stopped");
                    continue;
                }
                long ageMillis = (System.nanoTime() - engine.lastLoopNanos()) / 1_000_000;
                if (ageMillis > maxStall) {
                    r.down();
                }
                r.withData(session.name(), "loop age " + ageMillis + " ms");
                if (session.name().equals(SessionSpec.DEFAULT)) {
                    r.withData("loopAgeMillis", ageMillis);
                }
            }
            if (!any) {
                r.down(); // stopped, or not started yet
            }
            return r.withData("running", any).withData("maxLoopStallMillis", maxStall).build();
        };
    }

    @Readiness
    HealthCheck sessionPorts() {
        return () -> {
            HealthCheckResponseBuilder r = HealthCheckResponse.named("session-ports");
            boolean all = !server.sessions().isEmpty();
            if (!all) {
                r.withData("bound", false); // stopped, or not started yet
            }
            for (HostedSession session : server.sessions()) {
                Optional<String> failure = session.failure();
                String protocol = session.spec().generation().label();
                if (failure.isPresent()) {
                    all = false;
                    r.withData(session.name(), "DOWN: " + failure.get());
                } else {
                    SessionStats stats = session.runningEngine().map(ZmqEngine::stats).orElse(SessionStats.EMPTY);
                    r.withData(session.name(), "UP: protocol " + protocol + ", ports "
                            + session.spec().withPort(session.basePort()).ports() + ", " + stats.users() + " users");
                }
                if (session.name().equals(SessionSpec.DEFAULT)) {
                    defaultSession(r, session, failure.isEmpty(), protocol);
                }
            }
            return r.status(all).build();
        };
    }

    /** The default session's details, as before there were several. */
    private static void defaultSession(HealthCheckResponseBuilder r, HostedSession session, boolean serves,
            String protocol) {
        r.withData("bound", serves).withData("protocol", protocol);
        ZmqEngine engine = session.runningEngine().orElse(null);
        if (serves && engine != null) {
            SessionStats stats = engine.stats();
            r.withData("ports", session.spec().withPort(engine.basePort()).ports())
                    .withData("state", stats.state().name()).withData("users", stats.users())
                    .withData("nodes", stats.nodes());
        }
    }

    @Startup
    HealthCheck engineStarted() {
        return () -> HealthCheckResponse.named("engine-started")
                .status(server.sessions().stream().anyMatch(s -> s.engine() != null)).build();
    }
}
