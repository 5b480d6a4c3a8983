package io.multiuser.server.config;

import java.util.List;
import java.util.Map;
import java.util.Optional;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/**
 * Everything an admin can set, under the {@code multiuser.} prefix (application.properties,
 * {@code -Dmultiuser.port=…}, env {@code MULTIUSER_PORT}). The original servers' interfaces
 * keep working on top: flags {@code -p -pwd -apwd -spwd -t} ({@link LegacyArguments}) and the
 * Docker image's env variables {@code port password timeout} ({@link LegacyEnvConfigSource}).
 * <p>
 * Numbers, durations and switches are read as text and converted by {@link ServerSettings#from}:
 * a value that is not a number (or not true/false) then stops start-up with one line naming the
 * setting and what it means, whatever source it came from, instead of SmallRye's multi-line
 * conversion error (or, for a switch, a silent {@code false}).
 */
@ConfigMapping(prefix = "multiuser")
public interface ServerConfig {

    /**
     * Base port P; the server binds P to P+3 (protocol 0.1) or P to P+2 (protocol 0.9); 0 picks
     * free ones (tests). A number.
     */
    @WithDefault("5555")
    String port();

    /** Password an ADMIN login must give. */
    @WithDefault(DEFAULT_PASSWORD)
    String password();

    /** Heartbeat timeout in milliseconds: a client silent longer is dropped. A number. */
    @WithDefault("5000")
    String timeout();

    /** Protocol generation the session speaks: {@code 0.1} (four ports) or {@code 0.9} (three ports). */
    @WithDefault(DEFAULT_PROTOCOL)
    String protocol();

    /**
     * Password every login must give, protocol 0.9 only; unset (or empty, which MicroProfile
     * Config treats as unset) for a public session.
     */
    Optional<String> sessionPassword();

    /** Interface to bind; {@code *} is every interface. */
    @WithDefault("*")
    String bindAddress();

    /**
     * Client VERSION strings accepted; {@code any} accepts every version; unset accepts the
     * versions known to speak the protocol ({@code Generation.knownVersions()}).
     */
    Optional<List<String>> acceptedVersions();

    /** A node whose delta chain grows past this many bytes is logged (protocol 0.9). A number. */
    @WithDefault("67108864")
    String chainWarningSize();

    /**
     * Address ranges (CIDR, IPv4 or IPv6, comma-separated) that may connect to the session ports,
     * checked at the ZeroMQ handshake; unset: every address. The default of every session.
     */
    Optional<String> allow();

    /** Address ranges that may not connect, even when allowed. The default of every session. */
    Optional<String> deny();

    /** Logins beyond this many users are refused (session {@code default}); unset or 0: no limit. A number. */
    Optional<String> maxUsers();

    /**
     * Changes that would grow the scene (payloads and delta chains) past this many bytes are refused
     * (session {@code default}); unset or 0: no limit. A number.
     */
    Optional<String> maxSceneBytes();

    /**
     * Ports every session's block must lie in, {@code FIRST-LAST} (e.g. the block a Kubernetes Service
     * exposes); a session created at run time with port 0 gets the first free block in it. Unset: any
     * ports, and port 0 picks free ones anywhere.
     */
    Optional<String> portRange();

    /**
     * More sessions, by name ({@code multiuser.sessions."shot-1".port=6000}). The keys above define the
     * session named {@code default}; a key left out here takes its value from them (admin password,
     * timeout, protocol), except the port, which every session needs its own of.
     */
    Map<String, Hosted> sessions();

    Engine engine();

    Security security();

    Snapshot snapshot();

    Store store();

    Payloads payloads();

    String DEFAULT_PASSWORD = "admin";

    /** The placeholder of the shipped Kubernetes Secret (kubernetes/base/secret.yaml): as public as the default. */
    String PLACEHOLDER_PASSWORD = "change-me";

    String DEFAULT_PROTOCOL = "0.1";

    /** The value that turns the version policy off. */
    String ANY_VERSION = "any";

    /** Login throttling: numbers, read as text. */
    interface Security {

        /** Wrong passwords a minute one address may make (protocol logins and admin API) before it is slowed down. */
        @WithDefault("10")
        String loginFailuresPerMinute();

        /** The first block of an address that goes on guessing, in seconds; each further one doubles it. */
        @WithDefault("1")
        String firstBlockSeconds();

        /** The longest an address is blocked at a time, in seconds (the block doubles up to this). */
        @WithDefault("300")
        String maxBlockSeconds();
    }

    /** One more session; every setting is text, checked by {@link ServerSettings#from}. */
    interface Hosted {

        /** Base port P of this session's block (P..P+3 or P..P+2). */
        Optional<String> port();

        /** 0.1 or 0.9; unset, multiuser.protocol. */
        Optional<String> protocol();

        /** ADMIN login password; unset, multiuser.password. */
        Optional<String> password();

        /** Session password (0.9 only); unset, a public session. */
        Optional<String> sessionPassword();

        /** Heartbeat timeout in milliseconds; unset, multiuser.timeout. */
        Optional<String> timeout();

        /** As multiuser.accepted-versions; unset, the versions known to speak the session's protocol. */
        Optional<List<String>> acceptedVersions();

        /** Logins beyond this many users are refused; unset or 0: no limit. */
        Optional<String> maxUsers();

        /** Changes that would grow the scene past this many bytes are refused; unset or 0: no limit. */
        Optional<String> maxSceneBytes();

        /** As multiuser.allow, for this session; unset, multiuser.allow. */
        Optional<String> allow();

        /** As multiuser.deny, for this session; unset, multiuser.deny. */
        Optional<String> deny();
    }

    /** Where the session is kept across restarts (README: "Sessions that survive a restart"). */
    interface Store {

        /** Keep the session on disk; false keeps it in memory only, like the original server. */
        @WithDefault("true")
        String enabled();

        /** Data directory, created if missing; relative paths start from the working directory. */
        @WithDefault("data")
        String directory();

        /**
         * Changes are written and fsynced at most this long after they happen: a crash loses at
         * most the changes of the last interval. 0 writes each change at once (slower under load).
         * A duration ({@code 200ms}, {@code 1s}, ISO-8601 {@code PT1S}; a bare number is seconds).
         */
        @WithDefault("200ms")
        String flushInterval();

        /** The log is compacted once it is over this size (bytes) and over twice the live scene. A number. */
        @WithDefault("67108864")
        String compactionMinSize();
    }

    /** Where the scene's big payloads are kept while the server runs (the store keeps them across restarts). */
    interface Payloads {

        /**
         * Payloads of this many bytes or more (meshes, images) are kept in a file, which the page
         * cache serves, rather than on the heap; 0 keeps every payload on the heap. A number.
         */
        @WithDefault("32768")
        String spillThreshold();

        /** Directory of the spill files, unlinked once open (nothing is left behind); default: java.io.tmpdir. */
        Optional<String> spillDirectory();
    }

    /** How joiners get the scene. */
    interface Snapshot {

        /** Nodes pushed ahead of a joiner's GETs; 0 answers one GET at a time, like the original. A number. */
        @WithDefault("128")
        String window();

        /** Payload bytes pushed ahead of a joiner's GETs, at most. A number. */
        @WithDefault("8388608")
        String windowBytes();
    }

    /** Tuning of the ZeroMQ engine; the defaults suit studio sessions. Numbers, read as text. */
    interface Engine {

        /** ZeroMQ I/O threads. */
        @WithDefault("1")
        String ioThreads();

        /** Largest message frame accepted on the ports datablocks arrive on, in bytes; a larger one closes that connection. */
        @WithDefault("536870912")
        String maxMessageSize();

        /** Per-client ZeroMQ send queue on P and P+1, in messages (the client's receive side holds 1000). */
        @WithDefault("1000")
        String sendHighWaterMark();

        /** Bytes that may wait in our own queue for one client before it is dropped as too slow. */
        @WithDefault("1073741824")
        String maxQueuedBytesPerClient();

        /**
         * Run the engine thread and its I/O threads under Linux SCHED_BATCH, so that they never
         * preempt each other on wake-up (which stalls JeroMQ's signalling for milliseconds on a busy
         * machine). Needs no privilege; where the call is refused the server logs why and goes on.
         */
        @WithDefault("true")
        String batchScheduling();

        /**
         * Run the JVM's JIT compiler threads under Linux SCHED_IDLE, so that compiling never takes a
         * core from the sessions or the clients beside them (a fresh server compiles for seconds).
         * Needs no privilege, and cannot be undone while the server runs.
         */
        @WithDefault("true")
        String idleCompilerThreads();
    }
}
