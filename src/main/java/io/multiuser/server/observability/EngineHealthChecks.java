package io.multiuser.server.observability;

import jakarta.enterprise.context.ApplicationScoped;

import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Liveness;
import org.eclipse.microprofile.health.Readiness;
import org.eclipse.microprofile.health.Startup;

import io.multiuser.server.SessionServer;
import io.multiuser.server.config.ServerConfig;
import io.multiuser.server.engine.SessionStats;
import io.multiuser.server.engine.ZmqEngine;
import io.multiuser.server.protocol.Generation;

/**
 * Liveness: the engine thread runs and its loop turns (a stalled loop means no pings, so every
 * client would time out). Readiness: the session ports (four with protocol 0.1, three with 0.9)
 * are bound and logins are answered; its data names the protocol.
 * Startup: the engine has started once.
 */
@ApplicationScoped
public class EngineHealthChecks {

    private final SessionServer server;
    private final HealthConfig config;
    private final Generation generation;

    public EngineHealthChecks(SessionServer server, HealthConfig config, ServerConfig serverConfig) {
        this.server = server;
        this.config = config;
        // Checked at start (ServerSettings); an unknown value cannot get this far.
        Generation configured = Generation.parse(serverConfig.protocol().strip());
        this.generation = configured == null ? Generation.V01 : configured;
    }

    @Liveness
    HealthCheck engineLoop() {
        return () -> {
            HealthCheckResponseBuilder r = HealthCheckResponse.named("engine-loop");
            ZmqEngine engine = server.runningEngine().orElse(null);
            if (engine == null) {
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
            ZmqEngine engine = server.runningEngine().orElse(null);
            if (engine == null) {
                return r.down().withData("bound", false).withData("protocol", generation.label()).build();
            }
            SessionStats stats = engine.stats();
            int port = engine.basePort();
            return r.up().withData("bound", true).withData("protocol", generation.label())
                    .withData("ports", port + "-" + (port + generation.portCount() - 1))
                    .withData("state", stats.state().name()).withData("users", stats.users())
                    .withData("nodes", stats.nodes()).build();
        };
    }

    @Startup
    HealthCheck engineStarted() {
        return () -> HealthCheckResponse.named("engine-started").status(server.engine() != null).build();
    }
}
