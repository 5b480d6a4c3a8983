package io.multiuser.server.hosting;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.multiuser.server.protocol.Generation;

/** Run-time sessions survive a restart as spec files, readable by the server's user only. */
class RuntimeSessionsTest {

    @TempDir
    Path dir;

    private static SessionSpec spec(String name, int port) {
        return new SessionSpec(name, port, Generation.V09, " admin pw ", "artists", 7000, List.of("0.9.10"), 4, 1 << 20,
                "10.0.0.0/8, ::1", "10.9.0.0/16", SessionSpec.Origin.RUNTIME);
    }

    @Test
    void aSavedSpecLoadsBackExactlyPasswordsIncluded() throws Exception {
        RuntimeSessions sessions = new RuntimeSessions(dir);
        sessions.save(spec("shot-2", 6000));
        sessions.save(spec("shot-1", 6004));
        List<SessionSpec> loaded = sessions.load();
        assertThat(loaded).containsExactly(spec("shot-1", 6004), spec("shot-2", 6000)); // in name order
        assertThat(loaded.get(0).adminPassword()).isEqualTo(" admin pw "); // not trimmed
        Path file = dir.resolve("shot-2").resolve(RuntimeSessions.SPEC_FILE);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
        assertThat(spec("shot-1", 6004).toString()).doesNotContain("artists").doesNotContain("admin pw");
    }

    @Test
    void forgettingRemovesOnlyTheSpecAndBrokenFilesAreSkipped() throws Exception {
        RuntimeSessions sessions = new RuntimeSessions(dir);
        sessions.save(spec("kept", 6000));
        sessions.save(spec("gone", 6004));
        Files.writeString(dir.resolve("gone").resolve("session.log"), "scene");
        sessions.forget("gone");
        assertThat(dir.resolve("gone").resolve("session.log")).exists();
        Files.createDirectories(dir.resolve("broken"));
        Files.writeString(dir.resolve("broken").resolve(RuntimeSessions.SPEC_FILE), "name=broken\nport=x\n");
        Files.createDirectories(dir.resolve("moved"));
        Files.copy(dir.resolve("kept").resolve(RuntimeSessions.SPEC_FILE),
                dir.resolve("moved").resolve(RuntimeSessions.SPEC_FILE));
        assertThat(sessions.load()).extracting(SessionSpec::name).containsExactly("kept");
        assertThat(new RuntimeSessions(dir.resolve("none")).load()).isEmpty();
    }
}
