package io.multiuser.server.console;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

import io.multiuser.server.console.ConsoleConfig.Mode;
import io.quarkus.runtime.LaunchMode;

class AdminConsoleTest {

    @Test
    void autoReadsOnlyATerminalOutsideDevMode() {
        assertThat(AdminConsole.enabled(Mode.AUTO, LaunchMode.NORMAL, true)).isTrue();
        assertThat(AdminConsole.enabled(Mode.AUTO, LaunchMode.NORMAL, false)).isFalse();
        assertThat(AdminConsole.enabled(Mode.AUTO, LaunchMode.DEVELOPMENT, true)).isFalse();
        assertThat(AdminConsole.enabled(Mode.AUTO, LaunchMode.TEST, true)).isFalse();
    }

    @Test
    void theSwitchOverridesTheTerminalCheck() {
        assertThat(AdminConsole.enabled(Mode.TRUE, LaunchMode.DEVELOPMENT, false)).isTrue();
        assertThat(AdminConsole.enabled(Mode.FALSE, LaunchMode.NORMAL, true)).isFalse();
    }
}
