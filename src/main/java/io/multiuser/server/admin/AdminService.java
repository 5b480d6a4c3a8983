package io.multiuser.server.admin;

import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.jboss.logging.Logger;

import io.multiuser.server.SessionServer;
import io.multiuser.server.config.ServerConfig;
import io.multiuser.server.config.ServerSettings;
import io.multiuser.server.engine.SessionStats;
import io.multiuser.server.engine.ZmqEngine;
import io.multiuser.server.hosting.HostedSession;
import io.multiuser.server.hosting.SessionSpec;
import io.multiuser.server.persistence.StoreFormatException;
import io.multiuser.server.persistence.StoreReader;
import io.multiuser.server.protocol.Generation;
import io.multiuser.server.security.AuditLog;
import io.multiuser.server.security.Ban;
import io.multiuser.server.security.ServerSecurity;
import io.multiuser.server.session.PeerHost;
import io.multiuser.server.session.Scene;
import io.multiuser.server.session.Session;
import io.multiuser.server.session.SessionSettings;
import io.multiuser.server.session.SessionState;
import io.multiuser.server.session.User;
import io.quarkus.runtime.Quarkus;

/**
 * What an admin can do, for the REST API and the console alike. Everything that reads or
 * changes the session runs on the engine thread through {@link ZmqEngine#call}, bounded by
 * {@code multiuser.admin.engine-timeout}: an admin gets an answer even from a stuck engine.
 */
@ApplicationScoped
public class AdminService {

    private static final Logger LOG = Logger.getLogger(AdminService.class);

    private final Function<String, Optional<HostedSession>> sessions;
    private final SessionServer server;
    private final ServerConfig serverConfig;
    private final Duration timeout;
    private final ServerSecurity security;

    @Inject
    public AdminService(SessionServer server, ServerConfig serverConfig, AdminConfig adminConfig,
            ServerSecurity security) {
        this(server::session, server, serverConfig, adminConfig.engineTimeout(), security);
    }

    /**
     * For tests: any sessions (or none), any timeout; {@code server} may be null when nothing is
     * created, {@code security} when nothing is audited or banned.
     */
    AdminService(Function<String, Optional<HostedSession>> sessions, SessionServer server, ServerConfig serverConfig,
            Duration timeout, ServerSecurity security) {
        this.sessions = sessions;
        this.server = server;
        this.serverConfig = serverConfig;
        this.timeout = timeout;
        this.security = security;
    }

    private void audit(String kind, String session, String by, String target, String detail) {
        if (security != null) {
            security.audit().record(kind, session, by, target, detail);
        }
    }

    public List<UserInfo> users(String session) {
        return call(session, s -> s.users().stream().map(u -> UserInfo.of(u, s)).toList());
    }

    /** The protocol's admin kick; false when no user has that name. {@code by} goes to the log. */
    public boolean kick(String session, String name, String by) {
        boolean kicked = call(session, s -> s.kick(name, by));
        if (kicked) {
            audit("kick", session, by, name, "kicked");
        }
        return kicked;
    }

    /** The session at a glance, answered by its engine (exact, even right after a change). */
    public SessionInfo info(String session) {
        HostedSession hosted = hosted(session);
        if (hosted.runningEngine().isEmpty()) {
            return SessionInfo.of(hosted, serverConfig.bindAddress(), SessionStats.EMPTY);
        }
        return call(session, s -> SessionInfo.of(hosted, serverConfig.bindAddress(), exactStats(s)));
    }

    /** The last events of the session, newest first, at most {@code limit}. */
    public List<ActivityInfo> activity(String session, int limit) {
        return call(session, s -> s.activity().stream().limit(limit).map(ActivityInfo::of).toList());
    }

    /** The scene at a glance: nodes by type, the biggest ones. */
    public SceneSummary sceneSummary(String session) {
        return call(session, s -> SceneSummary.of(s.graph()));
    }

    /** What the admin page shows of a session, in one engine call: its info, users and last events. */
    public LiveView live(String session) {
        HostedSession hosted = hosted(session);
        return call(session, s -> new LiveView(SessionInfo.of(hosted, serverConfig.bindAddress(), exactStats(s)),
                s.users().stream().map(u -> UserInfo.of(u, s)).toList(),
                s.activity().stream().limit(LiveView.ACTIVITY).map(ActivityInfo::of).toList()));
    }

    /** The figures an admin sees, read on the engine thread (the published ones may be a moment old). */
    private static SessionStats exactStats(Session s) {
        return new SessionStats(s.state(), 0, 0, s.users().size(), s.graph().size(), s.graph().totalBytes(), 0, 0, 0, 0, 0,
                0);
    }

    /** Every hosted session, from the figures its engine publishes (a stuck engine cannot hold up the list). */
    public List<SessionInfo> sessions() {
        return server.sessions().stream().map(h -> SessionInfo.of(h, serverConfig.bindAddress(),
                h.runningEngine().map(ZmqEngine::stats).orElse(SessionStats.EMPTY))).toList();
    }

    /** Creates, starts and remembers a session ({@link SessionServer#create}). */
    public SessionInfo create(SessionRequest request, String by) {
        ServerSettings settings = server.settings();
        if (settings == null) {
            throw AdminException.unavailable("the server is not running");
        }
        HostedSession created = server.create(request.toSpec(settings.defaultSpec(), serverConfig.password()), by);
        audit("session-create", created.name(), by, created.name(), "protocol " + created.spec().generation().label()
                + ", ports " + created.spec().withPort(created.basePort()).ports());
        return info(created.name()); // from the engine: its published figures may not exist yet
    }

    /** Deletes a session created at run time ({@link SessionServer#delete}). */
    public void delete(String session, boolean force, boolean purge, String by) {
        server.delete(session, force, purge, by);
        audit("session-delete", session, by, session, (force ? "forced" : "no users") + (purge ? ", data purged" : ""));
    }

    // ---------------------------------------------------------------- bans and audit

    /** Bans a name and/or an address range on every session, and kicks whoever online it matches. */
    public BanResult ban(BanRequest request, String by) {
        Ban ban;
        try {
            ban = security.bans().add(request.user(), request.address(), request.reason(),
                    request.minutes() == null ? null : Duration.ofMinutes(request.minutes()), by);
        } catch (IllegalArgumentException e) {
            throw AdminException.badRequest(e.getMessage());
        }
        List<String> kicked = new java.util.ArrayList<>();
        for (HostedSession hosted : server.sessions()) {
            if (hosted.runningEngine().isEmpty()) {
                continue;
            }
            List<String> names = call(hosted.name(), s -> s.users().stream()
                    .filter(u -> security.bans().match(u.name(), ServerSecurity.parse(PeerHost.of(u.address())))
                            .filter(b -> b.id().equals(ban.id())).isPresent())
                    .map(User::name).toList());
            for (String name : names) {
                if (call(hosted.name(), s -> s.kick(name, by + ", banned"))) {
                    kicked.add(hosted.name() + "/" + name);
                }
            }
        }
        server.refreshAddressPolicies(); // a banned range is refused at the handshake from now on
        audit("ban", null, by, describe(ban), "reason: " + ban.reason() + (ban.expiresAt() == null ? ""
                : ", until " + ban.expiresAt()) + (kicked.isEmpty() ? "" : "; kicked " + String.join(", ", kicked)));
        LOG.infof("Ban %s by %s: %s (%s)%s", ban.id(), by, describe(ban), ban.reason(),
                kicked.isEmpty() ? "" : "; kicked " + String.join(", ", kicked));
        return new BanResult(ban, kicked);
    }

    /** A ban and the users it kicked ({@code session/user}). */
    public record BanResult(Ban ban, List<String> kicked) {
    }

    public List<Ban> bans() {
        return security.bans().active();
    }

    public Ban unban(String id, String by) {
        Ban removed = security.bans().remove(id).orElseThrow(() -> AdminException.notFound("no ban with id '" + id
                + "'; GET /admin/api/bans lists them"));
        server.refreshAddressPolicies();
        audit("unban", null, by, describe(removed), "ban " + id + " lifted");
        LOG.infof("Ban %s lifted by %s: %s", id, by, describe(removed));
        return removed;
    }

    private static String describe(Ban ban) {
        return ban.user() == null ? "address " + ban.address()
                : ban.address() == null ? "user '" + ban.user() + "'" : "user '" + ban.user() + "' from " + ban.address();
    }

    /** Changes a session's address lists at run time ({@link SessionServer#network}). */
    public SessionInfo network(String session, String allow, String deny, String by) {
        SessionSpec changed = server.network(session, allow, deny, by);
        audit("network", session, by, session, changed.addressPolicy().toString());
        return info(session);
    }

    /** The audit trail's last entries, newest first. */
    public List<AuditLog.Entry> audit(int limit) {
        return security.audit().recent(limit);
    }

    /** The protocol generation the session speaks. */
    public Generation generation(String session) {
        return hosted(session).spec().generation();
    }

    /** The session's settings as the server resolved them (the version policy's default, say). */
    public SessionSettings sessionSettings(String session) {
        return hosted(session).sessionSettings();
    }

    /** The names of the hosted sessions, {@code default} first. */
    public List<String> sessionNames() {
        return server.sessions().stream().map(HostedSession::name).toList();
    }

    /** The scene as it is now (nodes and chains), to stream as an export file; refused while an upload is half done. */
    public Scene sceneForExport(String name) {
        return call(name, session -> {
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
    public SceneChange importScene(String name, InputStream file, boolean force, String by) {
        checkNoUsers(name, force, "import"); // before reading a big file for nothing
        StoreReader.Replay replay;
        try {
            replay = StoreReader.read(file, hosted(name).payloadStash()); // big payloads off the heap, as restored
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
        scene.incompatibleWith(generation(name)).ifPresent(why -> {
            throw AdminException.badRequest("the file cannot be imported here: " + why + "; nothing imported");
        });
        SceneChange change = replace(name, scene, force, "import", "session replaced by an admin import (" + by + ")");
        audit("import", name, by, name, change.nodes() + " nodes; " + change.disconnected().size()
                + " user(s) disconnected");
        LOG.infof("Import into session '%s' by %s: %d nodes, %d bytes; %d user(s) disconnected", name, by, change.nodes(),
                replay.payloadBytes(), change.disconnected().size());
        return change;
    }

    /** Drops every node; the session waits for a new upload. Same rule as an import for connected users. */
    public SceneChange reset(String name, boolean force, String by) {
        SceneChange change = replace(name, Scene.EMPTY, force, "reset", "session reset by an admin (" + by + ")");
        audit("reset", name, by, name, change.disconnected().size() + " user(s) disconnected");
        LOG.infof("Reset of session '%s' by %s: %d user(s) disconnected", name, by, change.disconnected().size());
        return change;
    }

    /** What an import or reset did. */
    public record SceneChange(int nodes, long payloadBytes, List<String> disconnected) {
    }

    private SceneChange replace(String name, Scene scene, boolean force, String what, String reason) {
        return call(name, session -> {
            List<String> names = userNames(session);
            if (!force && !names.isEmpty()) {
                throw usersConnected(what, names);
            }
            session.replaceScene(scene, reason);
            return new SceneChange(session.graph().size(), session.graph().totalBytes(), names);
        });
    }

    private void checkNoUsers(String name, boolean force, String what) {
        if (!force) {
            List<String> names = call(name, AdminService::userNames);
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
    public NodePage nodes(String name, int page, int size) {
        return call(name, session -> NodePage.of(session.graph(), page, size));
    }

    /** Graceful stop, as on SIGINT/SIGTERM: Quarkus' shutdown closes the engine and frees the ports. */
    public void stop(String by) {
        audit("stop", null, by, "", "server stop requested");
        LOG.infof("Stop requested by %s: shutting down", by);
        Quarkus.asyncExit();
    }

    private HostedSession hosted(String name) {
        return sessions.apply(name).orElseThrow(() -> AdminException.notFound("no session named '" + name
                + "'; GET /admin/api/sessions lists them"));
    }

    private ZmqEngine running(String name) {
        HostedSession hosted = hosted(name);
        return hosted.runningEngine().orElseThrow(() -> AdminException.unavailable("session '" + name
                + "' is not running" + hosted.failure().map(why -> ": " + why).orElse("")));
    }

    private <T> T call(String name, Function<Session, T> work) {
        ZmqEngine engine = running(name);
        try {
            return engine.call(work).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            LOG.warnf("Admin request: the engine of session '%s' did not answer within %d ms", name, timeout.toMillis());
            throw AdminException.unavailable("the engine of session '" + name + "' did not answer within " + timeout.toMillis()
                    + " ms; try again");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw AdminException.unavailable("interrupted while waiting for the session engine");
        } catch (ExecutionException e) {
            if (e.getCause() instanceof AdminException refused) {
                throw refused; // the engine-side check said no (a conflict)
            }
            if (!engine.isRunning()) {
                throw AdminException.unavailable("the engine of session '" + name + "' stopped");
            }
            throw new IllegalStateException("admin task failed on the engine thread", e.getCause());
        }
    }
}
