package io.multiuser.server.memory;

import java.time.Duration;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/** When the server gives memory it no longer uses back to the OS. */
@ConfigMapping(prefix = "multiuser.memory")
public interface MemoryConfig {

    /**
     * After this long without work (the server's threads below 5 % of a core), free heap regions and
     * malloc's free pages go back to the OS, once per quiet spell; 0 turns it off. The start's
     * leftovers go back at a quiet second among the first three whatever this says.
     */
    @WithDefault("60s")
    Duration idleTrimAfter();
}
