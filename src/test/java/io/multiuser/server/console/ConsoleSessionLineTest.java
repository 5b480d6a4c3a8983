package io.multiuser.server.console;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import org.junit.jupiter.api.Test;

import io.multiuser.server.protocol.Generation;
import io.multiuser.server.session.SessionSettings;

/** The status line {@code help} starts with: which protocol the session speaks, and to whom. */
class ConsoleSessionLineTest {

    @Test
    void aFourPortSessionSaysSo() {
        SessionSettings settings = SessionSettings.builder().generation(Generation.V01)
                .acceptedVersions(Generation.V01.knownVersions()).build();
        assertThat(ConsoleCommands.session(settings)).isEqualTo(
                "Session: protocol 0.1 (add-on 2020, four ports P..P+3), public, client versions 0.1.25");
    }

    @Test
    void aPrivateThreePortSessionSaysSoWithoutThePassword() {
        SessionSettings settings = SessionSettings.builder().generation(Generation.V09).sessionPassword("s3cret")
                .acceptedVersions(List.of()).build();
        assertThat(ConsoleCommands.session(settings)).isEqualTo(
                "Session: protocol 0.9 (add-on 0.6.x, three ports P..P+2), private (session password),"
                        + " client versions any");
    }
}
