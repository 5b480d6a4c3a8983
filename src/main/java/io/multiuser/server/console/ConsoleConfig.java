package io.multiuser.server.console;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/** The stdin console, under {@code multiuser.console.}. */
@ConfigMapping(prefix = "multiuser.console")
public interface ConsoleConfig {

    /** When to read commands from standard input. */
    enum Mode {
        /** Only when started from a terminal, and never in {@code quarkus dev} (its own console owns the terminal). */
        AUTO,
        /** Always, e.g. with commands piped to standard input. */
        TRUE,
        FALSE
    }

    @WithDefault("auto")
    Mode enabled();
}
