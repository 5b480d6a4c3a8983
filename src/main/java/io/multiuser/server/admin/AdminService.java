package io.multiuser.server.admin;

import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import java.util.function.Supplier;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

import org.jboss.logging.Logger;

import io.multiuser.server.SessionServer;
import io.multiuser.server.config.ServerConfig;
import io.multiuser.server.config.ServerSettings;
import io.multiuser.server.engine.ZmqEngine;
import io.multiuser.server.persistence.SessionStore;
import io.multiuser.server.persistence.StoreFormatException;
import io.multiuser.server.persistence.StoreReader;
import io.multiuser.server.protocol.Generation;
import io.multiuser.server.session.Scene;
import io.multiuser.server.session.Session;
import io.multiuser.server.session.SessionSettings;
import io.multiuser.server.session.SessionState;
import io.multiuser.server.session.User;
import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.StartupEvent;

/**
 * What an admin can do, for the REST API and the console alike. Everything that reads or
 * changes the session runs on the engine thread through {@link ZmqEngine#call}, bounded by
 * {@code multiuser.admin.engine-timeout}: an admin gets an answer even from a stuck engine.
 */
@ApplicationScoped
public class AdminService {

    private static final Logger LOG = Logger.getLogger(AdminService.class);

    private final Supplier<ZmqEngine> engine;
    private final Supplier<SessionStore> store;
    private final ServerConfig serverConfig;
    private final Duration timeout;
    private volatile Instant startedAt = Instant.now();
    private volatile SessionSettings resolved;

    @Inject
    public AdminService(SessionServer server, ServerConfig serverConfig, AdminConfig adminConfig) {
        this(() -> server.runningEngine().orElse(null), server::store, serverConfig, adminConfig.engineTimeout());
    }

    /** For tests: any engine and store (or none), any timeout. */
    AdminService(Supplier<ZmqEngine> engine, Supplier<SessionStore> store, ServerConfig serverConfig,
            Duration timeout) {
        this.engine = engine;
        this.store = store;
        this.serverConfig = serverConfig;
        this.timeout = timeout;
    }

    void onStart(@Observes StartupEvent event) {
        // Observing the event also creates this bean at start-up rather than on the first request.
        startedAt = Instant.now();
    }

    public List<UserInfo> users() {
        return call(session -> session.users().stream().map(UserInfo::of).toList());
    }

    /** The protocol's admin kick; false when no user has that name. {@code by} goes to the log. */
    public boolean kick(String name, String by) {
        return call(session -> session.kick(name, by));
    }

    public SessionInfo info() {
        SessionSettings settings = sessionSettings();
        List<String> versions = settings.acceptedVersions(); // resolved: empty is any
        long uptimeSeconds = Duration.between(startedAt, Instant.now()).toSeconds();
        // The bound ports, not the configured ones: they differ when the engine may pick its own.
        SessionInfo.Ports ports = SessionInfo.Ports.from(running().basePort(), settings.generation());
        SessionStore kept = store.get();
        SessionInfo.Store storeInfo = kept == null ? null : SessionInfo.Store.of(kept);
        return call(session -> new SessionInfo(stateName(session.state()), session.users().size(),
                session.graph().size(), session.graph().totalBytes(), startedAt, uptimeSeconds,
                serverConfig.bindAddress(), settings.generation().label(), settings.privateSession(), ports,
                versions.isEmpty() ? "any" : "listed", versions, storeInfo));
    }

    /** The protocol generation the session speaks, as configured ({@code multiuser.protocol}). */
    public Generation generation() {
        return sessionSettings().generation();
    }

    /** The session's settings as the server resolved them (the version policy's default, say). */
    public SessionSettings sessionSettings() {
        SessionSettings settings = resolved;
        if (settings == null) {
            // Valid: the server checked the same configuration before it started the engine.
            settings = ServerSettings.from(serverConfig).session();
            resolved = settings;
        }
        return settings;
    }

    /** The scene as it is now (nodes and chains), to stream as an export file; refused while an upload is half done. */
    public Scene sceneForExport() {
        return call(session -> {
            if (session.state() == SessionState.SRV_SYNC) {
                throw AdminException.conflict("an admin is uploading a scene; export once the upload completes");
            }
            return session.scene(); // immutable nodes and deltas: the stream needs no engine time
        });
    }

    /**
     * Replaces the scene with an exported one (or a session log). Refused while users are
     * connected unless {@code force}, which disconnects them: their copy would no longer match.
     */
    public SceneChange importScene(InputStream file, boolean force, String by) {
        checkNoUsers(force, "import"); // before reading a big file for nothing
        StoreReader.Replay replay;
        try {
            replay = StoreReader.read(file);
        } catch (StoreFormatException e) {
            throw AdminException.badRequest("not a session export: " + e.getMessage());
        } catch (IOException e) {
            throw AdminException.badRequest("the upload broke off: " + e.getMessage() + "; nothing imported");
        }
        if (replay.damage() != null) {
            throw AdminException.badRequest("the file is damaged at byte " + replay.damage().offset() + " ("
                    + replay.damage().reason() + "); nothing imported");
        }
        if (replay.records() == 0) {
            // Without this, an empty body (a failed download, a wrong path in curl) would reset the session.
            throw AdminException.badRequest("the file holds no records (" + (replay.validBytes() == 0 ? "it is empty"
                    : "a header and nothing else") + "); nothing imported. To empty the session, use session/reset");
        }
        if (!replay.stateRecorded()) {
            // Every export ends with a state record; a file cut between two records passes every checksum.
            throw AdminException.badRequest("the file ends after " + replay.records() + " records without the session"
                    + " state record an export ends with: it was cut short; nothing imported");
        }
        if (replay.state() == SessionState.SRV_SYNC) {
            throw AdminException.badRequest("the file holds a half-done upload; nothing imported");
        }
        Scene scene = replay.scene();
        scene.incompatibleWith(generation()).ifPresent(why -> {
            throw AdminException.badRequest("the file cannot be imported here: " + why + "; nothing imported");
        });
        SceneChange change = replace(scene, force, "import", "session replaced by an admin import (" + by + ")");
        LOG.infof("Import by %s: %d nodes, %d bytes; %d user(s) disconnected", by, change.nodes(),
                replay.payloadBytes(), change.disconnected().size());
        return change;
    }

    /** Drops every node; the session waits for a new upload. Same rule as an import for connected users. */
    public SceneChange reset(boolean force, String by) {
        SceneChange change = replace(Scene.EMPTY, force, "reset", "session reset by an admin (" + by + ")");
        LOG.infof("Reset by %s: %d user(s) disconnected", by, change.disconnected().size());
        return change;
    }

    /** What an import or reset did. */
    public record SceneChange(int nodes, long payloadBytes, List<String> disconnected) {
    }

    private SceneChange replace(Scene scene, boolean force, String what, String reason) {
        return call(session -> {
            List<String> names = userNames(session);
            if (!force && !names.isEmpty()) {
                throw usersConnected(what, names);
            }
            session.replaceScene(scene, reason);
            return new SceneChange(session.graph().size(), session.graph().totalBytes(), names);
        });
    }

    private void checkNoUsers(boolean force, String what) {
        if (!force) {
            List<String> names = call(AdminService::userNames);
            if (!names.isEmpty()) {
                throw usersConnected(what, names);
            }
        }
    }

    private static List<String> userNames(Session session) {
        return session.users().stream().map(User::name).toList();
    }

    private static AdminException usersConnected(String what, List<String> names) {
        return AdminException.conflict(names.size() + " user(s) connected (" + String.join(", ", names) + "): a "
                + what + " would disconnect them; repeat with force=true to do it anyway");
    }

    /** Page {@code page} (1-based) of {@code size} nodes; the caller checks the bounds. */
    public NodePage nodes(int page, int size) {
        return call(session -> NodePage.of(session.graph(), page, size));
    }

    /** Graceful stop, as on SIGINT/SIGTERM: Quarkus' shutdown closes the engine and frees the ports. */
    public void stop(String by) {
        LOG.infof("Stop requested by %s: shutting down", by);
        Quarkus.asyncExit();
    }

    private static String stateName(SessionState state) {
        return state == SessionState.SRV_SYNC ? "syncing" : state.name().toLowerCase(Locale.ROOT);
    }

    private ZmqEngine running() {
        ZmqEngine engine = this.engine.get();
        if (engine == null || !engine.isRunning()) {
            throw AdminException.unavailable("the session engine is not running");
        }
        return engine;
    }

    private <T> T call(Function<Session, T> work) {
        ZmqEngine engine = running();
        try {
            return engine.call(work).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            LOG.warnf("Admin request: the engine did not answer within %d ms", timeout.toMillis());
            throw AdminException.unavailable("the session engine did not answer within " + timeout.toMillis()
                    + " ms; try again");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw AdminException.unavailable("interrupted while waiting for the session engine");
        } catch (ExecutionException e) {
            if (e.getCause() instanceof AdminException refused) {
                throw refused; // the engine-side check said no (a conflict)
            }
            if (!engine.isRunning()) {
                throw AdminException.unavailable("the session engine stopped");
            }
            throw new IllegalStateException("admin task failed on the engine thread", e.getCause());
        }
    }
}
