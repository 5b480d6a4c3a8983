package io.multiuser.server;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import org.jboss.logging.Logger;

import io.multiuser.server.admin.AdminException;
import io.multiuser.server.config.ServerConfig;
import io.multiuser.server.config.ServerSettings;
import io.multiuser.server.engine.ZmqEngine;
import io.multiuser.server.hosting.HostedSession;
import io.multiuser.server.hosting.PortRange;
import io.multiuser.server.hosting.RuntimeSessions;
import io.multiuser.server.hosting.SessionObserver;
import io.multiuser.server.hosting.SessionSpec;
import io.multiuser.server.hosting.SessionStartException;
import io.multiuser.server.logging.SessionLogContext;
import io.multiuser.server.memory.HeapPacer;
import io.multiuser.server.persistence.SessionStore;
import io.multiuser.server.platform.CompilerThreads;
import io.multiuser.server.security.AddressPolicy;
import io.multiuser.server.security.CidrRange;
import io.multiuser.server.security.ServerSecurity;
import io.multiuser.server.session.User;
import io.multiuser.server.tunnel.TunnelConfig;
import io.multiuser.server.tunnel.TunnelStreams;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.quarkus.runtime.configuration.ConfigurationException;

/**
 * The sessions this server hosts. At start it hosts {@code default} (the single-session settings
 * and the original flags), the sessions of {@code multiuser.sessions."NAME".*} and the ones an
 * admin created at run time (remembered in the data directory); at run time it creates and deletes
 * sessions for the admin API. On stop (also every dev-mode reload) it stops them all, so the ports
 * and data directories are free when {@link #onStop} returns.
 * <p>
 * A session that cannot start (a port in use) is kept with its reason and reported DOWN; the
 * others serve. Only when no session at all can start does the server refuse to start, with the
 * first reason as its one-line error, as the single-session server did.
 */
@ApplicationScoped
public class SessionServer {

    private static final Logger LOG = Logger.getLogger(SessionServer.class);
    /** How long a deleted session's sockets may deliver the kicks before they close. */
    private static final int DELETE_LINGER_MILLIS = 1000;
    private static final List<CidrRange> LOOPBACK = List.of(CidrRange.parse("127.0.0.0/8"), CidrRange.parse("::1/128"));

    private final ServerConfig config;
    private final SessionObserver observer;
    private final ServerSecurity security;
    private final TunnelConfig tunnel;
    private final TunnelStreams tunnelStreams;
    /** Guarded by {@code this}; {@code default} first, then in creation order. */
    private final Map<String, HostedSession> sessions = new LinkedHashMap<>();
    private volatile List<HostedSession> snapshot = List.of();
    private volatile ServerSettings settings;

    /** {@code observer} is the observability layer, known here only by its role. */
    public SessionServer(ServerConfig config, SessionObserver observer, ServerSecurity security, TunnelConfig tunnel,
            TunnelStreams tunnelStreams) {
        this.config = config;
        this.observer = observer;
        this.security = security;
        this.tunnel = tunnel;
        this.tunnelStreams = tunnelStreams;
    }

    synchronized void onStart(@Observes StartupEvent event) {
        ServerSettings resolved = ServerSettings.from(config);
        settings = resolved;
        if (resolved.defaultPassword()) {
            LOG.warn("*** The admin password is a published default ('admin', or the Kubernetes Secret's"
                    + " 'change-me'): anyone can host or kick as admin. Set it with -pwd, the env variable 'password',"
                    + " MULTIUSER_PASSWORD or kubernetes/base/secret.yaml. ***");
        }
        if (resolved.idleCompilerThreads()) {
            yieldCompilerThreads();
        }
        if (resolved.store().isEmpty()) {
            LOG.warn("Session store disabled (multiuser.store.enabled=false): the scenes are lost when the server stops,"
                    + " and sessions created at run time are not remembered");
        }
        List<SessionSpec> specs = new ArrayList<>(resolved.sessions());
        remembered().ifPresent(runtime -> {
            for (SessionSpec spec : runtime.load()) {
                Optional<SessionSpec> clash = specs.stream()
                        .filter(s -> s.name().equals(spec.name()) || s.overlaps(spec)).findFirst();
                if (clash.isPresent()) {
                    LOG.errorf("Session '%s' (created at run time, ports %s) is not restored: it clashes with session"
                            + " '%s' (ports %s) of the configuration. Delete one of them", spec.name(), spec.ports(),
                            clash.get().name(), clash.get().ports());
                } else {
                    specs.add(spec);
                }
            }
        });
        String firstFailure = null;
        boolean anyServes = false;
        for (SessionSpec spec : specs) {
            try {
                startAtBoot(spec, specs, resolved.portRange());
                anyServes = true;
            } catch (SessionStartException e) {
                firstFailure = firstFailure == null ? e.getMessage() : firstFailure;
                if (specs.size() > 1) {
                    LOG.errorf("Session '%s' does not serve: %s", spec.name(), e.getMessage());
                }
            }
        }
        if (!anyServes) {
            stopAll();
            // A port in use is a setting to change: one line, no stack trace (Quarkus prints a
            // ConfigurationException as its message).
            throw new ConfigurationException(firstFailure);
        }
        if (specs.size() > 1) {
            LOG.infof("Hosting %d sessions: %s", specs.size(), String.join(", ", names()));
        }
    }

    /** Before any port opens, so that the first edits' compilations already yield (see {@link CompilerThreads}). */
    private static void yieldCompilerThreads() {
        CompilerThreads.Outcome outcome = CompilerThreads.yieldToOtherThreads();
        outcome.refused().ifPresentOrElse(
                why -> LOG.infof("JIT compiler threads keep the normal CPU policy (%s; %d switched to SCHED_IDLE):"
                        + " a fresh server's compiling competes with its first edits", why, outcome.threads()),
                () -> LOG.debugf("%d JIT compiler threads run under SCHED_IDLE: they use only CPU time nothing else wants",
                        outcome.threads()));
    }

    /**
     * Registers a session of the configuration (or one remembered from run time) and starts it. It
     * stays registered when it cannot start: readiness and the admin show why. Port 0 with a port
     * range takes the first block of the range that no other session claims and that binds, as a
     * session created at run time does: a block outside the range would be out of the firewall's reach.
     */
    private void startAtBoot(SessionSpec spec, List<SessionSpec> all, Optional<PortRange> range) {
        if (spec.port() != 0 || range.isEmpty()) {
            HostedSession hosted = prepare(spec);
            register(hosted);
            hosted.start();
            return;
        }
        String lastFailure = "every block of " + spec.generation().portCount() + " ports in it is another session's";
        for (SessionSpec candidate : freeBlocks(spec, range.get(), all)) {
            try {
                startAndRegister(candidate);
                return;
            } catch (SessionStartException e) {
                lastFailure = e.getMessage(); // taken by another process: try the next block
            }
        }
        HostedSession unplaced = prepare(spec);
        register(unplaced);
        throw unplaced.notStarted("no free ports for session '" + spec.name() + "' in multiuser.port-range="
                + range.get() + " (" + lastFailure + "): widen the range, or give the session a port");
    }

    /**
     * The spec on each block of the range, first to last, that no other session claims: a registered
     * one, or one of {@code configured} that has its own port. The caller takes the first that binds.
     */
    private List<SessionSpec> freeBlocks(SessionSpec spec, PortRange range, List<SessionSpec> configured) {
        return IntStream.rangeClosed(range.first(), range.last() - spec.generation().portCount() + 1)
                .mapToObj(spec::withPort)
                .filter(candidate -> configured.stream().noneMatch(o -> o.port() != 0 && o.overlaps(candidate))
                        && snapshot.stream().noneMatch(o -> o.spec().withPort(o.basePort()).overlaps(candidate)))
                .toList();
    }

    void onStop(@Observes ShutdownEvent event) {
        stopAll();
        HeapPacer.shared().stop(); // no session left to pace for; a dev-mode reload keeps no thread or listener
    }

    private synchronized void stopAll() {
        for (HostedSession session : snapshot) {
            session.stop();
        }
        sessions.clear();
        snapshot = List.of();
    }

    private HostedSession prepare(SessionSpec spec) {
        ServerSettings s = settings;
        HostedSession hosted = new HostedSession(spec, s.engineFor(spec), s.sessionFor(spec), s.storeFor(spec.name()),
                observer.sessionListener(spec.name()), observer.storeListener(spec.name()),
                security.guardFor(spec.name()));
        hosted.addressPolicy(policyOf(spec));
        hosted.peers(tunnelStreams);
        return hosted;
    }

    /** Who may connect to a session: its allow and deny lists, and every address range banned on the server. */
    private AddressPolicy policyOf(SessionSpec spec) {
        AddressPolicy own = spec.addressPolicy();
        List<CidrRange> banned = security.bans().bannedRanges();
        List<CidrRange> allow = own.allow();
        if (tunnel.enabled() && !allow.isEmpty()) {
            // tunnel streams arrive from loopback; the tunnel checks the artist's own address against
            // these same lists before it opens one (TunnelAccess)
            allow = new ArrayList<>(allow);
            allow.addAll(LOOPBACK);
        }
        if (banned.isEmpty() && allow == own.allow()) {
            return own;
        }
        List<CidrRange> deny = new ArrayList<>(own.deny());
        deny.addAll(banned);
        return new AddressPolicy(allow, deny);
    }

    /** After a ban or an unban: every session's handshake policy takes the banned ranges as they are now. */
    public synchronized void refreshAddressPolicies() {
        for (HostedSession hosted : snapshot) {
            hosted.addressPolicy(policyOf(hosted.spec()));
        }
    }

    /**
     * Changes a session's address lists at run time: new connections are checked against them, the
     * connected clients stay. A run-time session remembers them; a configured one keeps them until
     * the next start (its configuration says what it starts with).
     */
    public synchronized SessionSpec network(String name, String allow, String deny, String by) {
        HostedSession hosted = session(name).orElseThrow(() -> AdminException.notFound("no session named '" + name
                + "'"));
        SessionSpec changed = hosted.spec().withNetwork(allow, deny);
        List<String> problems = changed.problems(key -> key);
        if (!problems.isEmpty()) {
            throw AdminException.badRequest(String.join("; ", problems));
        }
        if (changed.origin() == SessionSpec.Origin.RUNTIME) {
            remembered().ifPresent(runtime -> runtime.save(changed.withPort(hosted.basePort())));
        }
        hosted.network(changed, policyOf(changed));
        try (SessionLogContext.Scope scope = SessionLogContext.enter(name)) {
            LOG.infof("Session '%s': address lists changed by %s: %s", name, by, changed.addressPolicy());
        }
        return changed;
    }

    private void register(HostedSession hosted) {
        sessions.put(hosted.name(), hosted);
        snapshot = List.copyOf(sessions.values());
        observer.added(hosted);
    }

    // ---------------------------------------------------------------- run-time sessions (admin API)

    /**
     * Creates, starts and remembers a session. Refused (400) when the spec is invalid, (409) when
     * the name or a port is taken, or the ports cannot be bound; nothing is left behind then.
     */
    public synchronized HostedSession create(SessionSpec requested, String by) {
        ServerSettings s = running();
        List<String> problems = requested.problems(key -> key);
        if (!problems.isEmpty()) {
            throw AdminException.badRequest(String.join("; ", problems));
        }
        if (sessions.containsKey(requested.name())) {
            throw AdminException.conflict("a session named '" + requested.name() + "' exists already: pick another"
                    + " name, or delete it first");
        }
        Optional<PortRange> range = s.portRange();
        if (requested.port() != 0) {
            if (range.isPresent() && !range.get().holds(requested)) {
                throw AdminException.badRequest("ports " + requested.ports() + " are outside the ports this server may"
                        + " use (multiuser.port-range=" + range.get() + "): pick a port in it, or 0 for a free block");
            }
            for (HostedSession other : snapshot) {
                SessionSpec bound = other.spec().withPort(other.basePort());
                if (bound.overlaps(requested)) {
                    throw AdminException.conflict("ports " + requested.ports() + " overlap session '" + other.name()
                            + "' (ports " + bound.ports() + "): pick another port, or 0 for a free block");
                }
            }
        }
        HostedSession hosted = requested.port() == 0 && range.isPresent() ? startInRange(requested, range.get())
                : start(requested);
        SessionSpec bound = requested.withPort(hosted.basePort()); // port 0: remember the block it got
        Optional<RuntimeSessions> runtime = remembered();
        if (runtime.isPresent()) {
            try {
                runtime.get().save(bound);
            } catch (UncheckedIOException e) {
                // A session that would silently vanish at the next restart is worse than none.
                sessions.remove(bound.name());
                snapshot = List.copyOf(sessions.values());
                hosted.stop();
                observer.removed(bound.name());
                throw AdminException.unavailable(e.getMessage() + "; the session was not created");
            }
        } else {
            LOG.warnf("Session '%s' is not remembered: the session store is disabled, so it is gone after a restart",
                    bound.name());
        }
        hosted.runningEngine().ifPresent(engine -> engine.call(session -> {
            session.recordAdminAction("session created by " + by + ", ports " + bound.ports());
            return null;
        }));
        try (SessionLogContext.Scope scope = SessionLogContext.enter(bound.name())) {
            LOG.infof("Session '%s' created by %s: protocol %s, ports %s, %s", bound.name(), by,
                    bound.generation().label(), bound.ports(), bound.sessionPassword().isEmpty() ? "public" : "private");
        }
        return hosted;
    }

    /** {@link #startAndRegister}, a failure answered 409. */
    private HostedSession start(SessionSpec spec) {
        try {
            return startAndRegister(spec);
        } catch (SessionStartException e) {
            throw AdminException.conflict("session '" + spec.name() + "' cannot start: " + e.getMessage());
        }
    }

    /** Starts the session and registers it once it serves; a failed start leaves nothing behind. */
    private HostedSession startAndRegister(SessionSpec spec) {
        HostedSession hosted = prepare(spec);
        try {
            hosted.start();
        } catch (SessionStartException e) {
            observer.removed(spec.name()); // the listeners made for it
            throw e;
        }
        register(hosted);
        return hosted;
    }

    /** Port 0 with a port range: the first block of the range that no session uses and that binds. */
    private HostedSession startInRange(SessionSpec requested, PortRange range) {
        String lastFailure = "no block of " + requested.generation().portCount() + " free ports is left in it";
        for (SessionSpec candidate : freeBlocks(requested, range, List.of())) {
            try {
                return start(candidate);
            } catch (AdminException e) {
                lastFailure = e.getMessage(); // taken by another process: try the next block
            }
        }
        throw AdminException.conflict("no free ports for session '" + requested.name() + "' in multiuser.port-range="
                + range + " (" + lastFailure + "): delete a session or widen the range");
    }

    /**
     * Deletes a session created at run time: refused (409) while users are connected unless
     * {@code force}, which kicks them first. Its data directory is kept (creating the session again
     * brings its scene back) unless {@code purge}.
     */
    public synchronized void delete(String name, boolean force, boolean purge, String by) {
        running();
        HostedSession hosted = sessions.get(name);
        if (hosted == null) {
            throw AdminException.notFound("no session named '" + name + "'");
        }
        if (name.equals(SessionSpec.DEFAULT)) {
            throw AdminException.conflict("the session named default cannot be deleted: it is defined by the"
                    + " single-session settings (multiuser.port, -p, ...)");
        }
        if (hosted.spec().origin() == SessionSpec.Origin.CONFIGURATION) {
            throw AdminException.conflict("session '" + name + "' comes from the configuration"
                    + " (multiuser.sessions." + name + ".*): remove it there and restart the server");
        }
        ZmqEngine engine = hosted.runningEngine().orElse(null);
        if (engine != null) {
            List<String> users = kickAll(engine, name, force, by);
            if (!users.isEmpty()) {
                LOG.infof("Session '%s': %d user(s) kicked before deletion: %s", name, users.size(),
                        String.join(", ", users));
            }
            engine.closeGracefully(DELETE_LINGER_MILLIS); // the kicks reach their clients, then the ports close
        }
        sessions.remove(name);
        snapshot = List.copyOf(sessions.values());
        hosted.stop();
        observer.removed(name);
        remembered().ifPresent(runtime -> runtime.forget(name));
        Optional<Path> directory = hosted.storeSettings().map(store -> store.directory());
        if (purge && directory.isPresent()) {
            deleteTree(directory.get());
        }
        try (SessionLogContext.Scope scope = SessionLogContext.enter(name)) {
            LOG.infof("Session '%s' deleted by %s; ports %s released; data directory %s", name, by,
                    hosted.spec().withPort(hosted.basePort()).ports(),
                    directory.map(d -> purge ? d + " removed" : d + " kept").orElse("none"));
        }
    }

    private static List<String> kickAll(ZmqEngine engine, String name, boolean force, String by) {
        try {
            return engine.call(session -> {
                List<String> names = session.users().stream().map(User::name).toList();
                if (!names.isEmpty() && !force) {
                    throw AdminException.conflict(names.size() + " user(s) connected to session '" + name + "' ("
                            + String.join(", ", names) + "): repeat with force=true to kick them and delete it");
                }
                names.forEach(user -> session.kick(user, by + ", deleting the session"));
                return names;
            }).get(10, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            if (e.getCause() instanceof AdminException refused) {
                throw refused;
            }
            throw new IllegalStateException("kicking the users of session '" + name + "' failed", e.getCause());
        } catch (java.util.concurrent.TimeoutException e) {
            throw AdminException.unavailable("session '" + name + "' did not answer within 10 s; try again");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw AdminException.unavailable("interrupted while deleting session '" + name + "'");
        }
    }

    private static void deleteTree(Path root) {
        if (!Files.exists(root)) {
            return;
        }
        try {
            Files.walkFileTree(root, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                    Files.delete(file);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
                    Files.delete(dir);
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException("cannot remove " + root + ": " + e, e);
        }
    }

    private Optional<RuntimeSessions> remembered() {
        return settings.store().map(store -> new RuntimeSessions(
                store.directory().resolve(ServerSettings.SESSIONS_DIRECTORY)));
    }

    private ServerSettings running() {
        ServerSettings s = settings;
        if (s == null || snapshot.isEmpty()) {
            throw AdminException.unavailable("the server is not running");
        }
        return s;
    }

    // ---------------------------------------------------------------- lookups

    /** Every hosted session, {@code default} first; safe from any thread. */
    public List<HostedSession> sessions() {
        return snapshot;
    }

    public Optional<HostedSession> session(String name) {
        for (HostedSession s : snapshot) {
            if (s.name().equals(name)) {
                return Optional.of(s);
            }
        }
        return Optional.empty();
    }

    private List<String> names() {
        return snapshot.stream().map(s -> s.name() + " (" + s.spec().withPort(s.basePort()).ports() + ")").toList();
    }

    /** The validated settings of this run, or null before start. */
    public ServerSettings settings() {
        return settings;
    }

    /**
     * The default session's engine while it runs with its ports bound: empty before start, after
     * stop, and after its thread died.
     */
    public Optional<ZmqEngine> runningEngine() {
        return session(SessionSpec.DEFAULT).flatMap(HostedSession::runningEngine);
    }

    /** The default session's engine once started (running or not), or null before start and after stop. */
    public ZmqEngine engine() {
        return session(SessionSpec.DEFAULT).map(HostedSession::engine).orElse(null);
    }

    /** The default session's open store, or null when disabled, before start and after stop. */
    public SessionStore store() {
        return session(SessionSpec.DEFAULT).map(HostedSession::store).orElse(null);
    }
}
