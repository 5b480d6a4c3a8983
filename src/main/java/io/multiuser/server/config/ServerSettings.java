package io.multiuser.server.config;

import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

import io.multiuser.server.engine.EngineSettings;
import io.multiuser.server.hosting.PortRange;
import io.multiuser.server.hosting.SessionSpec;
import io.multiuser.server.memory.SpillSettings;
import io.multiuser.server.persistence.StoreSettings;
import io.multiuser.server.protocol.Generation;
import io.multiuser.server.security.AddressPolicy;
import io.multiuser.server.session.SessionSettings;
import io.quarkus.runtime.configuration.ConfigurationException;
import io.quarkus.runtime.configuration.DurationConverter;

/**
 * The validated configuration, split into what the engine, the session and the store need
 * ({@code store} is empty when the session is kept in memory only), and whether the JIT's threads
 * yield to everything else ({@link io.multiuser.server.platform.CompilerThreads}).
 */
public record ServerSettings(EngineSettings engine, SessionSettings session, Optional<StoreSettings> store,
        boolean defaultPassword, List<SessionSpec> sessions, Optional<PortRange> portRange,
        boolean idleCompilerThreads) {

    /** Where the data directory keeps the sessions other than {@code default} (which keeps the top level). */
    public static final String SESSIONS_DIRECTORY = "sessions";

    public ServerSettings {
        sessions = List.copyOf(sessions);
    }

    /** The engine settings of a hosted session: this server's, on the session's ports. */
    public EngineSettings engineFor(SessionSpec spec) {
        return new EngineSettings(engine.bindAddress(), spec.port(), engine.ioThreads(), engine.maxMessageBytes(),
                engine.sendHighWaterMark(), engine.maxQueuedBytesPerClient(), spec.timeoutMillis(),
                engine.batchScheduling(), engine.addressPolicy(), engine.spill());
    }

    /** The session settings of a hosted session: its own passwords, versions and limits, this server's tuning. */
    public SessionSettings sessionFor(SessionSpec spec) {
        return session.toBuilder().generation(spec.generation()).adminPassword(spec.adminPassword())
                .sessionPassword(spec.sessionPassword()).acceptedVersions(spec.acceptedVersions())
                .heartbeatTimeoutMillis(spec.timeoutMillis()).maxUsers(spec.maxUsers())
                .maxSceneBytes(spec.maxSceneBytes()).build();
    }

    /** The store of a hosted session: the data directory itself for {@code default}, else its own under it. */
    public Optional<StoreSettings> storeFor(String name) {
        return store.map(s -> new StoreSettings(directoryOf(s.directory(), name), s.flushIntervalMillis(),
                s.compactionMinBytes()));
    }

    /** The directory where a session's store lives under the data directory {@code root}. */
    public static Path directoryOf(Path root, String name) {
        return name.equals(SessionSpec.DEFAULT) ? root : root.resolve(SESSIONS_DIRECTORY).resolve(name);
    }

    /** The session named {@code default}, always the first. */
    public SessionSpec defaultSpec() {
        return sessions.get(0);
    }

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
        List<String> versions = acceptedVersions("multiuser.accepted-versions", config.acceptedVersions(), generation,
                problems);
        Long maxUsers = optionalNumber(problems, "multiuser.max-users", config.maxUsers(), "most users at once");
        Long maxSceneBytes = optionalNumber(problems, "multiuser.max-scene-bytes", config.maxSceneBytes(),
                "largest scene in bytes");
        Optional<PortRange> portRange = Optional.empty();
        if (config.portRange().isPresent()) {
            portRange = PortRange.parse(config.portRange().get());
            if (portRange.isEmpty()) {
                problems.add("multiuser.port-range=" + shown(config.portRange().get()) + " is not a port range: write it"
                        + " FIRST-LAST, e.g. 5555-5586");
            }
        }
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
        Boolean idleCompilers = problems.bool("multiuser.engine.idle-compiler-threads", engine.idleCompilerThreads());

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

        Long failures = problems.number("multiuser.security.login-failures-per-minute",
                config.security().loginFailuresPerMinute(), "wrong passwords a minute before an address is slowed down");
        if (failures != null && (failures < 1 || failures > Integer.MAX_VALUE)) {
            problems.add("multiuser.security.login-failures-per-minute=" + failures + " must be at least 1");
        }
        Long maxBlock = problems.number("multiuser.security.max-block-seconds", config.security().maxBlockSeconds(),
                "longest block of an address in seconds");
        if (maxBlock != null && (maxBlock < 1 || maxBlock > 86_400)) {
            problems.add("multiuser.security.max-block-seconds=" + maxBlock + " must be between 1 and 86400");
        }
        Long firstBlock = problems.number("multiuser.security.first-block-seconds",
                config.security().firstBlockSeconds(), "first block of an address in seconds");
        if (firstBlock != null && (firstBlock < 1 || maxBlock != null && firstBlock > maxBlock)) {
            problems.add("multiuser.security.first-block-seconds=" + firstBlock
                    + " must be between 1 and multiuser.security.max-block-seconds (" + maxBlock + ")");
        }
        Optional<StoreSettings> store = store(config.store(), problems);
        SpillSettings spill = spill(config.payloads(), problems);
        List<SessionSpec> named = named(config, generation, timeout, problems);
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
        SessionSpec defaultSpec = new SessionSpec(SessionSpec.DEFAULT, port.intValue(), generation, config.password(),
                sessionPassword, timeout, versions, maxUsers.intValue(), maxSceneBytes, config.allow().orElse(""),
                config.deny().orElse(""), SessionSpec.Origin.CONFIGURATION);
        problems.addAll(defaultSpec.problems(key -> "multiuser." + kebab(key)));
        List<SessionSpec> sessions = new ArrayList<>();
        sessions.add(defaultSpec);
        sessions.addAll(named);
        checkBlocks(sessions, portRange, problems);
        problems.throwIfAny();
        return new ServerSettings(
                new EngineSettings(config.bindAddress(), port.intValue(), ioThreads.intValue(), maxMessage,
                        highWaterMark.intValue(), maxQueued, timeout, batchScheduling, AddressPolicy.ALLOW_ALL, spill),
                session.toBuilder().maxUsers(maxUsers.intValue()).maxSceneBytes(maxSceneBytes).build(), store,
                config.password().equals(ServerConfig.DEFAULT_PASSWORD)
                        || config.password().equals(ServerConfig.PLACEHOLDER_PASSWORD),
                sessions, portRange, idleCompilers);
    }

    /** The sessions of {@code multiuser.sessions."NAME".*}, in name order; what is unset comes from the default's keys. */
    private static List<SessionSpec> named(ServerConfig config, Generation defaultGeneration, Long defaultTimeout,
            Problems problems) {
        List<SessionSpec> specs = new ArrayList<>();
        Map<String, ServerConfig.Hosted> sorted = new TreeMap<>(config.sessions());
        for (Map.Entry<String, ServerConfig.Hosted> entry : sorted.entrySet()) {
            String name = entry.getKey();
            ServerConfig.Hosted hosted = entry.getValue();
            String prefix = "multiuser.sessions." + name + ".";
            if (name.equals(SessionSpec.DEFAULT)) {
                problems.add("multiuser.sessions.default.* cannot be set: the session named default is configured by"
                        + " the top-level keys (multiuser.port, multiuser.password, ...) and the original flags");
                continue;
            }
            if (!SessionSpec.validName(name)) {
                problems.add("multiuser.sessions.\"" + shown(name) + "\" is not a valid session name: use 1 to 40"
                        + " characters a-z, 0-9 and '-'");
                continue;
            }
            if (hosted.port().isEmpty()) {
                problems.add(prefix + "port is missing: every session needs a base port of its own (0 picks free ports)");
                continue;
            }
            Generation generation = defaultGeneration;
            if (hosted.protocol().isPresent()) {
                generation = Generation.parse(hosted.protocol().get().strip());
                if (generation == null) {
                    problems.add(prefix + "protocol=" + shown(hosted.protocol().get()) + " is not a protocol: use 0.1"
                            + " (four ports) or 0.9 (three ports)");
                    continue;
                }
            }
            if (generation == null) {
                continue; // multiuser.protocol is reported already
            }
            Long port = problems.number(prefix + "port", hosted.port().get(), "base port");
            Long timeout = hosted.timeout().isPresent()
                    ? problems.number(prefix + "timeout", hosted.timeout().get(), "heartbeat timeout in milliseconds")
                    : defaultTimeout;
            Long maxUsers = optionalNumber(problems, prefix + "max-users", hosted.maxUsers(), "most users at once");
            Long maxSceneBytes = optionalNumber(problems, prefix + "max-scene-bytes", hosted.maxSceneBytes(),
                    "largest scene in bytes");
            List<String> versions = acceptedVersions(prefix + "accepted-versions", hosted.acceptedVersions(), generation,
                    problems);
            if (port == null || timeout == null || maxUsers == null || maxSceneBytes == null) {
                continue;
            }
            SessionSpec spec = new SessionSpec(name, port.intValue() == port ? port.intValue() : -1, generation,
                    hosted.password().orElse(config.password()), hosted.sessionPassword().orElse(""), timeout, versions,
                    (int) Math.min(Integer.MAX_VALUE, maxUsers), maxSceneBytes,
                    hosted.allow().or(config::allow).orElse(""), hosted.deny().or(config::deny).orElse(""),
                    SessionSpec.Origin.CONFIGURATION);
            List<String> found = spec.problems(key -> prefix + kebab(key));
            found.forEach(problems::add);
            if (found.isEmpty()) {
                specs.add(spec);
            }
        }
        return specs;
    }

    /** No two sessions may share a port, and with a port range every block must lie in it. */
    private static void checkBlocks(List<SessionSpec> sessions, Optional<PortRange> range, Problems problems) {
        for (int i = 0; i < sessions.size(); i++) {
            SessionSpec a = sessions.get(i);
            if (range.isPresent() && a.port() != 0 && !range.get().holds(a)) {
                problems.add("session '" + a.name() + "' uses ports " + a.ports() + ", outside multiuser.port-range="
                        + range.get() + ": move it or widen the range");
            }
            for (int j = i + 1; j < sessions.size(); j++) {
                SessionSpec b = sessions.get(j);
                if (a.overlaps(b)) {
                    problems.add("sessions '" + a.name() + "' (ports " + a.ports() + ") and '" + b.name() + "' (ports "
                            + b.ports() + ") share ports: give each a block of its own");
                }
            }
        }
    }

    /** {@code sessionPassword} as written in a property: {@code session-password}. */
    static String kebab(String field) {
        return field.replaceAll("([a-z])([A-Z])", "$1-$2").toLowerCase(Locale.ROOT);
    }

    /** An optional limit: unset is 0 (no limit). */
    private static Long optionalNumber(Problems problems, String property, Optional<String> value, String meaning) {
        return value.isEmpty() ? Long.valueOf(0) : problems.number(property, value.get(), meaning);
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
    private static List<String> acceptedVersions(String property, Optional<List<String>> configured,
            Generation generation, Problems problems) {
        if (configured.isEmpty()) {
            return generation == null ? List.of() : generation.knownVersions();
        }
        List<String> versions = configured.get().stream().map(String::strip).toList();
        if (versions.stream().anyMatch(String::isEmpty)) {
            problems.add(property + " contains an empty entry");
        }
        boolean any = versions.stream().anyMatch(v -> v.equalsIgnoreCase(ServerConfig.ANY_VERSION));
        if (any && versions.size() > 1) {
            problems.add(property + "=" + shown(String.join(",", versions))
                    + " mixes 'any' with versions: give either any or a list of versions");
        }
        return any ? List.of() : versions;
    }

    private static SpillSettings spill(ServerConfig.Payloads payloads, Problems problems) {
        Long threshold = problems.number("multiuser.payloads.spill-threshold", payloads.spillThreshold(),
                "payload size in bytes from which payloads are kept in a file");
        if (threshold != null && threshold < 0) {
            problems.add("multiuser.payloads.spill-threshold=" + threshold
                    + " must not be negative (0 keeps every payload on the heap)");
        }
        Path path = problems.path("multiuser.payloads.spill-directory",
                payloads.spillDirectory().orElse(System.getProperty("java.io.tmpdir")),
                "name a directory, or unset it for java.io.tmpdir");
        return threshold == null || threshold < 0 || path == null ? SpillSettings.OFF : new SpillSettings(threshold, path);
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
        Path directory = problems.path("multiuser.store.directory", store.directory(), "name a data directory, or set"
                + " multiuser.store.enabled=false to keep the session in memory only");
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

        void addAll(List<String> problems) {
            list.addAll(problems);
        }

        Long number(String property, String value, String meaning) {
            try {
                return Long.parseLong(value.strip());
            } catch (NumberFormatException e) {
                list.add(property + "=" + shown(value) + " is not a number (" + meaning + ")");
                return null;
            }
        }

        /** The path {@code value} names; null, with a problem, when it is blank ({@code ifEmpty} says what to do) or invalid. */
        Path path(String property, String value, String ifEmpty) {
            if (value.isBlank()) {
                list.add(property + " is empty: " + ifEmpty);
                return null;
            }
            try {
                return Path.of(value);
            } catch (InvalidPathException e) {
                list.add(property + "=" + shown(value) + " is not a valid path: " + e.getReason());
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
