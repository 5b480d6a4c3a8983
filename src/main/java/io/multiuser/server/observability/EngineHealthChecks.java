package io.multiuser.server.observability;

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

/**
 * Liveness: the engine thread runs and its loop turns (a stalled loop means no pings, so every
 * client would time out). Readiness: the four ports are bound and logins are answered.
 * Startup: the engine has started once.
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
            HealthCheckResponseBuilder r = HealthCheckResponse.named("engine-loop");
            ZmqEngine engine = server.engine();
            if (engine == null || !engine.isRunning()) {
                return r.down().withData("running", false).build();
            }
            long ageMillis = (System.nanoTime() - engine.lastLoopNanos()) / 1_000_000;
            return r.status(ageMillis <= config.maxLoopStall().toMillis()).withData("running", true)
                    .withData("loopAgeMillis", ageMillis).withData("maxLoopStallMillis", config.maxLoopStall().toMillis())
                    .build();
        };
    }

    @Readiness
    HealthCheck sessionPorts() {
        return () -> {
            HealthCheckResponseBuilder r = HealthCheckResponse.named("session-ports");
            ZmqEngine engine = server.engine();
            if (engine == null || !engine.isRunning()) {
                return r.down().withData("bound", false).build();
            }
            SessionStats stats = engine.stats();
            int port = engine.basePort();
            return r.up().withData("bound", true).withData("ports", port + "-" + (port + 3))
                    .withData("state", stats.state().name()).withData("users", stats.users())
                    .withData("nodes", stats.nodes()).build();
        };
    }

    @Startup
    HealthCheck engineStarted() {
        return () -> HealthCheckResponse.named("engine-started").status(server.engine() != null).build();
    }
}
