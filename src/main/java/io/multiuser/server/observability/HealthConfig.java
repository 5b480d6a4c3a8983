package io.multiuser.server.observability;

import java.time.Duration;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/** Thresholds of the health checks. */
@ConfigMapping(prefix = "multiuser.health")
public interface HealthConfig {

    /** Liveness fails when the engine loop has not started an iteration for this long (it polls every 50 ms). */
    @WithDefault("5s")
    Duration maxLoopStall();
}
