package io.multiuser.server.config;

import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

import io.multiuser.server.engine.EngineSettings;
import io.multiuser.server.persistence.StoreSettings;
import io.multiuser.server.protocol.Generation;
import io.multiuser.server.session.SessionSettings;
import io.quarkus.runtime.configuration.ConfigurationException;
import io.quarkus.runtime.configuration.DurationConverter;

/**
 * The validated configuration, split into what the engine, the session and the store need
 * ({@code store} is empty when the session is kept in memory only).
 */
public record ServerSettings(EngineSettings engine, SessionSettings session, Optional<StoreSettings> store,
        boolean defaultPassword) {

    /**
     * Thrown for configuration that cannot work; the message, one line, names every bad setting.
     * Quarkus prints a {@link ConfigurationException} as its bare message, without a stack trace.
     */
    public static final class InvalidConfigException extends ConfigurationException {
        public InvalidConfigException(String message) {
            super(message);
        }
    }

    /** The protocol the session speaks. */
    public Generation generation() {
        return session.generation();
    }

    public static ServerSettings from(ServerConfig config) {
        Problems problems = new Problems();

        Generation generation = Generation.parse(config.protocol().strip());
        if (generation == null) {
            problems.add("multiuser.protocol=" + shown(config.protocol()) + " is not a protocol: use 0.1 (add-on 2020,"
                    + " replication 0.1.x, four ports) or 0.9 (add-on 0.6.x, replication 0.9.x, three ports)");
        }
        Long port = problems.number("multiuser.port", config.port(), "base port");
        if (port != null) {
            checkPort(port, generation, problems);
        }
        Long timeout = problems.number("multiuser.timeout", config.timeout(), "heartbeat timeout in milliseconds");
        if (timeout != null && timeout <= 0) {
            problems.add("multiuser.timeout=" + timeout + " must be a positive number of milliseconds (heartbeat timeout)");
        }
        if (config.password().isEmpty()) {
            problems.add("multiuser.password is empty: set an admin password");
        }
        String sessionPassword = config.sessionPassword().orElse("");
        if (!sessionPassword.isEmpty() && generation == Generation.V01) {
            problems.add("multiuser.session-password applies to multiuser.protocol=0.9 only: unset it (-spwd) or set"
                    + " multiuser.protocol=0.9 (--protocol 0.9)");
        }
        if (config.bindAddress().isBlank()) {
            problems.add("multiuser.bind-address is empty: use * for every interface");
        }
        List<String> versions = acceptedVersions(config.acceptedVersions(), generation, problems);
        Long chainWarning = problems.number("multiuser.chain-warning-size", config.chainWarningSize(),
                "delta chain size in bytes above which a node is logged");
        if (chainWarning != null && chainWarning <= 0) {
            problems.add("multiuser.chain-warning-size=" + chainWarning + " must be a positive number of bytes");
        }

        ServerConfig.Engine engine = config.engine();
        Long ioThreads = problems.number("multiuser.engine.io-threads", engine.ioThreads(), "ZeroMQ I/O threads");
        if (ioThreads != null && (ioThreads < 1 || ioThreads > 1024)) {
            problems.add("multiuser.engine.io-threads=" + ioThreads + " must be between 1 and 1024");
        }
        Long maxMessage = problems.number("multiuser.engine.max-message-size", engine.maxMessageSize(),
                "largest message frame in bytes");
        if (maxMessage != null && (maxMessage < 1024 || maxMessage > Integer.MAX_VALUE - 16)) {
            problems.add("multiuser.engine.max-message-size=" + maxMessage + " must be between 1024 and "
                    + (Integer.MAX_VALUE - 16) + " bytes");
        }
        Long highWaterMark = problems.number("multiuser.engine.send-high-water-mark", engine.sendHighWaterMark(),
                "ZeroMQ send queue per client in messages");
        if (highWaterMark != null && (highWaterMark < 1 || highWaterMark > Integer.MAX_VALUE)) {
            problems.add("multiuser.engine.send-high-water-mark=" + highWaterMark + " must be at least 1");
        }
        Long maxQueued = problems.number("multiuser.engine.max-queued-bytes-per-client",
                engine.maxQueuedBytesPerClient(), "backlog per client in bytes");
        if (maxQueued != null && maxMessage != null && maxQueued < maxMessage) {
            problems.add("multiuser.engine.max-queued-bytes-per-client=" + maxQueued
                    + " must be at least multiuser.engine.max-message-size (" + maxMessage + ")");
        }
        Boolean batchScheduling = problems.bool("multiuser.engine.batch-scheduling", engine.batchScheduling());

        Long window = problems.number("multiuser.snapshot.window", config.snapshot().window(),
                "snapshot nodes sent ahead of a joiner's requests");
        if (window != null && (window < 0 || window > Integer.MAX_VALUE)) {
            problems.add("multiuser.snapshot.window=" + window + " must be 0 (one node per request) or more");
        }
        Long windowBytes = problems.number("multiuser.snapshot.window-bytes", config.snapshot().windowBytes(),
                "snapshot bytes sent ahead of a joiner's requests");
        if (windowBytes != null && windowBytes < 1) {
            problems.add("multiuser.snapshot.window-bytes=" + windowBytes + " must be positive");
        }

        Optional<StoreSettings> store = store(config.store(), problems);
        problems.throwIfAny();

        SessionSettings session = SessionSettings.builder()
                .generation(generation)
                .adminPassword(config.password())
                .sessionPassword(sessionPassword)
                .acceptedVersions(versions)
                .heartbeatTimeoutMillis(timeout)
                .snapshotWindow(window.intValue(), windowBytes)
                .chainWarningBytes(chainWarning)
                .build();
        return new ServerSettings(
                new EngineSettings(config.bindAddress(), port.intValue(), ioThreads.intValue(), maxMessage,
                        highWaterMark.intValue(), maxQueued, timeout, batchScheduling),
                session, store, config.password().equals(ServerConfig.DEFAULT_PASSWORD)
                        || config.password().equals(ServerConfig.PLACEHOLDER_PASSWORD));
    }

    /** P..P+portCount-1 must all exist; 0 lets the engine pick free ports. */
    private static void checkPort(long port, Generation generation, Problems problems) {
        if (generation == null) { // the protocol is already reported; check only what holds for both
            if (port < 0 || port > 65535) {
                problems.add("multiuser.port=" + port + " is out of range: the base port must be between 1 and"
                        + " 65535 (or 0 for any free ports)");
            }
            return;
        }
        int last = generation.portCount() - 1;
        if (port < 0 || port + last > 65535) {
            problems.add("multiuser.port=" + port + " is out of range: protocol " + generation.label() + " uses P..P+"
                    + last + ", so the base port must be between 1 and " + (65535 - last)
                    + " (or 0 for any free ports)");
        }
    }

    /**
     * The version policy: unset, the versions known to speak the protocol; {@code any}, every
     * version (an empty list); otherwise the list as given.
     */
    private static List<String> acceptedVersions(Optional<List<String>> configured, Generation generation,
            Problems problems) {
        if (configured.isEmpty()) {
            return generation == null ? List.of() : generation.knownVersions();
        }
        List<String> versions = configured.get().stream().map(String::strip).toList();
        if (versions.stream().anyMatch(String::isEmpty)) {
            problems.add("multiuser.accepted-versions contains an empty entry");
        }
        boolean any = versions.stream().anyMatch(v -> v.equalsIgnoreCase(ServerConfig.ANY_VERSION));
        if (any && versions.size() > 1) {
            problems.add("multiuser.accepted-versions=" + shown(String.join(",", versions))
                    + " mixes 'any' with versions: give either any or a list of versions");
        }
        return any ? List.of() : versions;
    }

    private static Optional<StoreSettings> store(ServerConfig.Store store, Problems problems) {
        Boolean enabled = problems.bool("multiuser.store.enabled", store.enabled());
        Long compactionMinSize = problems.number("multiuser.store.compaction-min-size", store.compactionMinSize(),
                "log size in bytes from which it is compacted");
        if (compactionMinSize != null && compactionMinSize < 0) {
            problems.add("multiuser.store.compaction-min-size=" + compactionMinSize + " must not be negative");
        }
        Duration flushInterval = null;
        try {
            flushInterval = DurationConverter.parseDuration(store.flushInterval().strip());
        } catch (RuntimeException e) {
            problems.add("multiuser.store.flush-interval=" + shown(store.flushInterval())
                    + " is not a duration (write it like 200ms, 1s or PT0.2S)");
        }
        if (flushInterval != null && (flushInterval.isNegative() || flushInterval.toMillis() > 60_000)) {
            problems.add("multiuser.store.flush-interval=" + flushInterval
                    + " must be between 0 and 60 s (the changes a crash may lose)");
        }
        if (!Boolean.TRUE.equals(enabled)) {
            return Optional.empty();
        }
        Path directory = null;
        if (store.directory().isBlank()) {
            problems.add("multiuser.store.directory is empty: name a data directory, or set"
                    + " multiuser.store.enabled=false to keep the session in memory only");
        } else {
            try {
                directory = Path.of(store.directory());
            } catch (InvalidPathException e) {
                problems.add("multiuser.store.directory=" + shown(store.directory()) + " is not a valid path: " + e.getReason());
            }
        }
        return directory == null || flushInterval == null || compactionMinSize == null ? Optional.empty()
                : Optional.of(new StoreSettings(directory, flushInterval.toMillis(), compactionMinSize));
    }

    /** A value as quoted in a message: control characters (a stray line break) would split the line. */
    private static String shown(String value) {
        return value.replaceAll("\\p{Cntrl}", "?");
    }

    /** Collects what is wrong; conversions report a value that is not a number and give null. */
    private static final class Problems {
        private final List<String> list = new ArrayList<>();

        void add(String problem) {
            list.add(problem);
        }

        Long number(String property, String value, String meaning) {
            try {
                return Long.parseLong(value.strip());
            } catch (NumberFormatException e) {
                list.add(property + "=" + shown(value) + " is not a number (" + meaning + ")");
                return null;
            }
        }

        Boolean bool(String property, String value) {
            return switch (value.strip().toLowerCase(Locale.ROOT)) {
                case "true", "yes", "on", "1" -> true;
                case "false", "no", "off", "0" -> false;
                default -> {
                    list.add(property + "=" + shown(value) + " is neither true nor false");
                    yield null;
                }
            };
        }

        void throwIfAny() {
            if (!list.isEmpty()) {
                throw new InvalidConfigException("Invalid configuration: " + String.join("; ", list));
            }
        }
    }
}
