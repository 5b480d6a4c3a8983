package io.multiuser.server.admin;

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
import io.multiuser.server.engine.ZmqEngine;
import io.multiuser.server.session.Session;
import io.multiuser.server.session.SessionState;
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
    private final ServerConfig serverConfig;
    private final Duration timeout;
    private volatile Instant startedAt = Instant.now();

    @Inject
    public AdminService(SessionServer server, ServerConfig serverConfig, AdminConfig adminConfig) {
        this(server::engine, serverConfig, adminConfig.engineTimeout());
    }

    /** For tests: any engine (or none), any timeout. */
    AdminService(Supplier<ZmqEngine> engine, ServerConfig serverConfig, Duration timeout) {
        this.engine = engine;
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
        List<String> versions = serverConfig.acceptedVersions().orElse(List.of());
        long uptimeSeconds = Duration.between(startedAt, Instant.now()).toSeconds();
        // The bound ports, not the configured ones: they differ when the engine may pick its own.
        SessionInfo.Ports ports = SessionInfo.Ports.from(running().basePort());
        return call(session -> new SessionInfo(stateName(session.state()), session.users().size(),
                session.graph().size(), session.graph().totalBytes(), startedAt, uptimeSeconds,
                serverConfig.bindAddress(), ports, versions.isEmpty() ? "any" : "listed", versions));
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
            if (!engine.isRunning()) {
                throw AdminException.unavailable("the session engine stopped");
            }
            throw new IllegalStateException("admin task failed on the engine thread", e.getCause());
        }
    }
}
