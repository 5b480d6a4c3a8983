package io.multiuser.server.config;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/**
 * Everything an admin can set, under the {@code multiuser.} prefix (application.properties,
 * {@code -Dmultiuser.port=…}, env {@code MULTIUSER_PORT}). The original server's interface
 * keeps working on top: flags {@code -p -pwd -t} ({@link LegacyArguments}) and the Docker
 * image's env variables {@code port password timeout} ({@link LegacyEnvConfigSource}).
 */
@ConfigMapping(prefix = "multiuser")
public interface ServerConfig {

    /** Base port P; the server binds P (commands) to P+3 (heartbeat); 0 picks four free ones (tests). */
    @WithDefault("5555")
    int port();

    /** Password an ADMIN login must give. */
    @WithDefault(DEFAULT_PASSWORD)
    String password();

    /** Heartbeat timeout in milliseconds: a client silent longer is dropped. */
    @WithDefault("5000")
    long timeout();

    /** Interface to bind; {@code *} is every interface. */
    @WithDefault("*")
    String bindAddress();

    /** Client VERSION strings accepted; unset accepts any version. */
    Optional<List<String>> acceptedVersions();

    Engine engine();

    Snapshot snapshot();

    Store store();

    /** Where the session is kept across restarts (README: "Sessions that survive a restart"). */
    interface Store {

        /** Keep the session on disk; false keeps it in memory only, like the original server. */
        @WithDefault("true")
        boolean enabled();

        /** Data directory, created if missing; relative paths start from the working directory. */
        @WithDefault("data")
        String directory();

        /**
         * Changes are written and fsynced at most this long after they happen: a crash loses at
         * most the changes of the last interval. 0 writes each change at once (slower under load).
         */
        @WithDefault("200ms")
        Duration flushInterval();

        /** The log is compacted once it is over this size (bytes) and over twice the live scene. */
        @WithDefault("67108864")
        long compactionMinSize();
    }

    /** How joiners get the scene. */
    interface Snapshot {

        /** Nodes pushed ahead of a joiner's GETs; 0 answers one GET at a time, like the original. */
        @WithDefault("128")
        int window();

        /** Payload bytes pushed ahead of a joiner's GETs, at most. */
        @WithDefault("8388608")
        long windowBytes();
    }

    String DEFAULT_PASSWORD = "admin";

    /** Tuning of the ZeroMQ engine; the defaults suit studio sessions. */
    interface Engine {

        /** ZeroMQ I/O threads. */
        @WithDefault("1")
        int ioThreads();

        /** Largest message frame accepted on P and P+2, in bytes; a larger one closes that connection. */
        @WithDefault("536870912")
        long maxMessageSize();

        /** Per-client ZeroMQ send queue on P and P+1, in messages (the client's receive side holds 1000). */
        @WithDefault("1000")
        int sendHighWaterMark();

        /** Bytes that may wait in our own queue for one client before it is dropped as too slow. */
        @WithDefault("1073741824")
        long maxQueuedBytesPerClient();

        /**
         * Run the engine thread and its I/O threads under Linux SCHED_BATCH, so that they never
         * preempt each other on wake-up (which stalls JeroMQ's signalling for milliseconds on a busy
         * machine). Needs no privilege; where the call is refused the server logs why and goes on.
         */
        @WithDefault("true")
        boolean batchScheduling();
    }
}
