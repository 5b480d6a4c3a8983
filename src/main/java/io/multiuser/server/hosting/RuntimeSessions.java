package io.multiuser.server.hosting;

import java.io.IOException;
import java.io.Reader;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;

import org.jboss.logging.Logger;

import io.multiuser.server.persistence.PrivateFiles;
import io.multiuser.server.protocol.Generation;

/**
 * Remembers the sessions an admin created at run time: each one's spec is a {@code session.properties}
 * file in its own data directory ({@code DATA/sessions/NAME/}), next to its session log. Deleting
 * a session removes the file and keeps the log, so a session created again under that name gets
 * its scene back. The file holds the session's passwords: it is readable by the server's user only.
 */
public final class RuntimeSessions {

    public static final String SPEC_FILE = "session.properties";
    private static final Logger LOG = Logger.getLogger(RuntimeSessions.class);

    private final Path sessionsDirectory;

    /** {@code sessionsDirectory} holds one directory per session ({@code DATA/sessions}). */
    public RuntimeSessions(Path sessionsDirectory) {
        this.sessionsDirectory = sessionsDirectory;
    }

    /** Every remembered spec, in name order; an unreadable one is logged and skipped. */
    public List<SessionSpec> load() {
        if (!Files.isDirectory(sessionsDirectory)) {
            return List.of();
        }
        List<SessionSpec> specs = new ArrayList<>();
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(sessionsDirectory)) {
            List<Path> sorted = new ArrayList<>();
            dirs.forEach(sorted::add);
            sorted.sort(null);
            for (Path dir : sorted) {
                Path file = dir.resolve(SPEC_FILE);
                if (Files.isRegularFile(file)) {
                    try {
                        specs.add(read(file, dir.getFileName().toString()));
                    } catch (IOException | RuntimeException e) {
                        LOG.errorf("Cannot restore the session in %s (%s); it stays down until the file is fixed or"
                                + " removed", file, e.getMessage());
                    }
                }
            }
        } catch (IOException e) {
            LOG.errorf("Cannot list the run-time sessions in %s: %s", sessionsDirectory, e);
        }
        return specs;
    }

    /** Writes the spec atomically (a crash leaves the old file or the new one). */
    public void save(SessionSpec spec) {
        Path dir = sessionsDirectory.resolve(spec.name());
        Properties p = new Properties();
        p.setProperty("name", spec.name());
        p.setProperty("port", String.valueOf(spec.port()));
        p.setProperty("protocol", spec.generation().label());
        p.setProperty("password", spec.adminPassword());
        p.setProperty("session-password", spec.sessionPassword());
        p.setProperty("timeout", String.valueOf(spec.timeoutMillis()));
        p.setProperty("accepted-versions", spec.acceptedVersions().isEmpty() ? "any"
                : String.join(",", spec.acceptedVersions()));
        p.setProperty("max-users", String.valueOf(spec.maxUsers()));
        p.setProperty("max-scene-bytes", String.valueOf(spec.maxSceneBytes()));
        p.setProperty("allow", spec.allow());
        p.setProperty("deny", spec.deny());
        try {
            StringWriter out = new StringWriter();
            p.store(out, "multi-user-server: session created at run time by an admin (admin API)");
            PrivateFiles.writeAtomically(dir.resolve(SPEC_FILE), out.toString().getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot remember session '" + spec.name() + "' in " + dir + ": " + e, e);
        }
    }

    /** Forgets the session: it will not come back at the next start (its log stays). */
    public void forget(String name) {
        try {
            Files.deleteIfExists(sessionsDirectory.resolve(name).resolve(SPEC_FILE));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot forget session '" + name + "': " + e, e);
        }
    }

    private static SessionSpec read(Path file, String directoryName) throws IOException {
        Properties p = new Properties();
        try (Reader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            p.load(in);
        }
        String name = required(p, "name");
        if (!name.equals(directoryName)) {
            throw new IllegalArgumentException("it names session '" + name + "', not '" + directoryName + "'");
        }
        Generation generation = Generation.parse(required(p, "protocol").strip());
        if (generation == null) {
            throw new IllegalArgumentException("unknown protocol '" + p.getProperty("protocol") + "'");
        }
        String versions = p.getProperty("accepted-versions", "any").strip();
        SessionSpec spec = new SessionSpec(name, Integer.parseInt(required(p, "port").strip()), generation,
                required(p, "password"), p.getProperty("session-password", ""), Long.parseLong(required(p, "timeout").strip()),
                versions.equalsIgnoreCase("any") ? List.of()
                        : Arrays.stream(versions.split(",")).map(String::strip).toList(),
                Integer.parseInt(p.getProperty("max-users", "0").strip()),
                Long.parseLong(p.getProperty("max-scene-bytes", "0").strip()), p.getProperty("allow", ""),
                p.getProperty("deny", ""), SessionSpec.Origin.RUNTIME);
        List<String> problems = spec.problems(key -> key);
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException(String.join("; ", problems));
        }
        return spec;
    }

    private static String required(Properties p, String key) {
        String value = p.getProperty(key);
        if (value == null) {
            throw new IllegalArgumentException("'" + key + "' is missing");
        }
        return value;
    }
}
