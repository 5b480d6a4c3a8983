package io.multiuser.server.admin;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

import io.multiuser.server.engine.SessionStats;
import io.multiuser.server.hosting.HostedSession;
import io.multiuser.server.hosting.SessionSpec;
import io.multiuser.server.persistence.SessionStore;
import io.multiuser.server.persistence.StoreStats;
import io.multiuser.server.protocol.Generation;
import io.multiuser.server.session.SessionState;

/** The session at a glance. */
@Schema(description = "The session at a glance")
public record SessionInfo(
        @Schema(description = "the session's name; 'default' is the one the single-session settings define")
        String name,
        @Schema(description = "configuration (multiuser.* keys, every start) or runtime (created over this API,"
                + " remembered in the data directory)", enumeration = {"configuration", "runtime"}) String origin,
        @Schema(description = "true while the session's ports are bound and logins are answered") boolean serving,
        @Schema(description = "why the session does not serve; null while it serves") String failure,
        @Schema(description = "waiting (no scene yet), syncing (an admin uploads one) or active",
                enumeration = {"waiting", "syncing", "active"}) String state,
        int users,
        int nodes,
        @Schema(description = "sum of the nodes' payload sizes") long payloadBytes,
        @Schema(description = "when the session's engine last started; null if it never did") Instant startedAt,
        long uptimeSeconds,
        String bindAddress,
        @Schema(description = "protocol generation the session speaks: 0.1 (add-on 2020, four ports) or 0.9"
                + " (add-on 0.6.x, three ports)", enumeration = {"0.1", "0.9"}) String protocol,
        @Schema(description = "true when users must give a session password (protocol 0.9)") boolean privateSession,
        Ports ports,
        @Schema(description = "any: every client version may log in; listed: only acceptedVersions (by default the"
                + " versions known to speak the protocol)", enumeration = {"any", "listed"}) String versionPolicy,
        @Schema(description = "the client versions let in; empty when versionPolicy is any")
        List<String> acceptedVersions,
        @Schema(description = "heartbeat timeout in milliseconds") long timeout,
        @Schema(description = "logins beyond this many users are refused; 0: no limit") int maxUsers,
        @Schema(description = "changes that would grow the scene past this many bytes are refused; 0: no limit")
        long maxSceneBytes,
        @Schema(description = "address ranges that may connect (comma-separated); empty: every address") String allow,
        @Schema(description = "address ranges that may not connect (besides the server's banned ranges)") String deny,
        @Schema(description = "the session store; null when the session is kept in memory only") Store store) {

    /** The session from its hosting and the figures given (its engine's, or empty when it does not run). */
    static SessionInfo of(HostedSession hosted, String bindAddress, SessionStats stats) {
        SessionSpec spec = hosted.spec();
        Instant started = hosted.startedAt();
        Optional<String> failure = hosted.failure();
        SessionStore kept = hosted.store();
        return new SessionInfo(spec.name(), spec.origin().name().toLowerCase(Locale.ROOT), failure.isEmpty(),
                failure.orElse(null), stateName(stats.state()), stats.users(), stats.nodes(), stats.payloadBytes(),
                started, started == null ? 0 : Duration.between(started, Instant.now()).toSeconds(), bindAddress,
                spec.generation().label(), !spec.sessionPassword().isEmpty(),
                Ports.from(hosted.basePort(), spec.generation()),
                spec.acceptedVersions().isEmpty() ? "any" : "listed", spec.acceptedVersions(), spec.timeoutMillis(),
                spec.maxUsers(), spec.maxSceneBytes(), spec.allow(), spec.deny(), kept == null ? null : Store.of(kept));
    }

    private static String stateName(SessionState state) {
        return state == SessionState.SRV_SYNC ? "syncing" : state.name().toLowerCase(Locale.ROOT);
    }

    /** Where and how well the session is kept on disk. */
    @Schema(description = "The session store")
    public record Store(
            String directory,
            @Schema(description = "size of the session log on disk") long logBytes,
            @Schema(description = "size of the log once compacted") long liveBytes,
            @Schema(description = "when changes were last made durable") Instant lastFlush,
            @Schema(description = "changes received and not yet on disk") int pendingChanges,
            @Schema(description = "why the last write failed; null when it succeeded") String lastError) {

        static Store of(SessionStore store) {
            StoreStats s = store.stats();
            return new Store(store.directory().toString(), s.fileBytes(), s.liveBytes(),
                    Instant.ofEpochMilli(s.lastFlushEpochMillis()), s.pendingChanges(), s.lastError());
        }
    }

    /**
     * The consecutive ports clients connect to: four with protocol 0.1, three with 0.9, where
     * datablocks go both ways on P+1 (dataOut and dataIn are then the same port).
     */
    @Schema(description = "The ports clients connect to (protocol 0.9: dataOut = dataIn = P+1, heartbeat P+2)")
    public record Ports(int commands, int dataOut, int dataIn, int heartbeat) {

        static Ports from(int base, Generation generation) {
            return generation == Generation.V09 ? new Ports(base, base + 1, base + 1, base + 2)
                    : new Ports(base, base + 1, base + 2, base + 3);
        }
    }
}
