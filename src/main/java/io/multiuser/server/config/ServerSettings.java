package io.multiuser.server.config;

import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import io.multiuser.server.engine.EngineSettings;
import io.multiuser.server.persistence.StoreSettings;
import io.quarkus.runtime.configuration.ConfigurationException;
import io.multiuser.server.session.SessionSettings;

/**
 * The validated configuration, split into what the engine, the session and the store need
 * ({@code store} is empty when the session is kept in memory only).
 */
public record ServerSettings(EngineSettings engine, SessionSettings session, Optional<StoreSettings> store,
        boolean defaultPassword) {

    /**
     * Thrown for configuration that cannot work; the message names every bad setting. Quarkus
     * prints a {@link ConfigurationException} as its bare message, without a stack trace.
     */
    public static final class InvalidConfigException extends ConfigurationException {
        public InvalidConfigException(String message) {
            super(message);
        }
    }

    public static ServerSettings from(ServerConfig config) {
        List<String> problems = new ArrayList<>();
        if (config.port() < 0 || config.port() > 65532) {
            problems.add("multiuser.port=" + config.port() + " is out of range: the server uses P to P+3,"
                    + " so the base port must be between 1 and 65532 (or 0 for any free ports)");
        }
        if (config.timeout() <= 0) {
            problems.add("multiuser.timeout=" + config.timeout()
                    + " must be a positive number of milliseconds (heartbeat timeout)");
        }
        if (config.password().isEmpty()) {
            problems.add("multiuser.password is empty: set an admin password");
        }
        if (config.bindAddress().isBlank()) {
            problems.add("multiuser.bind-address is empty: use * for every interface");
        }
        List<String> versions = config.acceptedVersions().orElse(List.of());
        if (versions.stream().anyMatch(String::isBlank)) {
            problems.add("multiuser.accepted-versions contains an empty entry");
        }
        ServerConfig.Engine engine = config.engine();
        if (engine.ioThreads() < 1) {
            problems.add("multiuser.engine.io-threads=" + engine.ioThreads() + " must be at least 1");
        }
        if (engine.maxMessageSize() < 1024 || engine.maxMessageSize() > Integer.MAX_VALUE - 16) {
            problems.add("multiuser.engine.max-message-size=" + engine.maxMessageSize()
                    + " must be between 1024 and " + (Integer.MAX_VALUE - 16) + " bytes");
        }
        if (engine.sendHighWaterMark() < 1) {
            problems.add("multiuser.engine.send-high-water-mark=" + engine.sendHighWaterMark() + " must be at least 1");
        }
        if (engine.maxQueuedBytesPerClient() < engine.maxMessageSize()) {
            problems.add("multiuser.engine.max-queued-bytes-per-client=" + engine.maxQueuedBytesPerClient()
                    + " must be at least multiuser.engine.max-message-size (" + engine.maxMessageSize() + ")");
        }
        if (config.snapshot().window() < 0) {
            problems.add("multiuser.snapshot.window=" + config.snapshot().window()
                    + " must be 0 (one node per request) or more");
        }
        if (config.snapshot().windowBytes() < 1) {
            problems.add("multiuser.snapshot.window-bytes=" + config.snapshot().windowBytes() + " must be positive");
        }
        Optional<StoreSettings> store = store(config.store(), problems);
        if (!problems.isEmpty()) {
            throw new InvalidConfigException("Invalid configuration: " + String.join("; ", problems));
        }
        return new ServerSettings(
                new EngineSettings(config.bindAddress(), config.port(), engine.ioThreads(), engine.maxMessageSize(),
                        engine.sendHighWaterMark(), engine.maxQueuedBytesPerClient(), config.timeout(),
                        engine.batchScheduling()),
                SessionSettings.of(config.password(), versions, config.timeout())
                        .withSnapshotWindow(config.snapshot().window(), config.snapshot().windowBytes()),
                store, config.password().equals(ServerConfig.DEFAULT_PASSWORD));
    }

    private static Optional<StoreSettings> store(ServerConfig.Store store, List<String> problems) {
        if (!store.enabled()) {
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
                problems.add("multiuser.store.directory=" + store.directory() + " is not a valid path: " + e.getReason());
            }
        }
        long flushMillis = store.flushInterval().toMillis();
        if (store.flushInterval().isNegative() || flushMillis > 60_000) {
            problems.add("multiuser.store.flush-interval=" + store.flushInterval()
                    + " must be between 0 and 60 s (the changes a crash may lose)");
        }
        if (store.compactionMinSize() < 0) {
            problems.add("multiuser.store.compaction-min-size=" + store.compactionMinSize() + " must not be negative");
        }
        return directory == null ? Optional.empty()
                : Optional.of(new StoreSettings(directory, flushMillis, store.compactionMinSize()));
    }
}
