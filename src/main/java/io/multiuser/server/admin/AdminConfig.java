package io.multiuser.server.admin;

import java.time.Duration;
import java.util.Optional;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/** Settings of the admin REST API, under {@code multiuser.admin.}. */
@ConfigMapping(prefix = "multiuser.admin")
public interface AdminConfig {

    /**
     * Secret of the admin API. Unset, the admin password ({@code multiuser.password}) is the
     * secret; set, it replaces the password there, so API scripts need not know the password
     * that lets a Blender client host and kick.
     */
    Optional<String> token();

    /** How long a request waits for the engine thread before answering 503. */
    @WithDefault("5s")
    Duration engineTimeout();
}
