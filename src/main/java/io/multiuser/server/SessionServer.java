package io.multiuser.server;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import org.jboss.logging.Logger;

import io.multiuser.server.config.ServerConfig;
import io.multiuser.server.config.ServerSettings;
import io.multiuser.server.engine.EngineStartException;
import io.multiuser.server.engine.ZmqEngine;
import io.multiuser.server.observability.ServerMetrics;
import io.multiuser.server.session.SessionListener;
import io.quarkus.runtime.configuration.ConfigurationException;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;

/**
 * Starts the four-port engine when Quarkus starts and stops it when Quarkus stops (also on
 * every dev-mode reload, which is why the ports must be free when {@link #onStop} returns).
 */
@ApplicationScoped
public class SessionServer {

    private static final Logger LOG = Logger.getLogger(SessionServer.class);

    private final ServerConfig config;
    private final SessionListener listener;
    private volatile ZmqEngine engine;

    public SessionServer(ServerConfig config, ServerMetrics metrics) {
        this.config = config;
        this.listener = metrics;
    }

    void onStart(@Observes StartupEvent event) {
        ServerSettings settings = ServerSettings.from(config);
        if (settings.defaultPassword()) {
            LOG.warn("*** The admin password is the default one: anyone can host or kick as admin. Set it with"
                    + " -pwd, the env variable 'password' or MULTIUSER_PASSWORD. ***");
        }
        ZmqEngine started = new ZmqEngine(settings.engine(), settings.session(), listener);
        try {
            started.start();
        } catch (EngineStartException e) {
            // A port in use is a setting to change: one line, no stack trace (no cause either,
            // Quarkus looks at the root cause to decide).
            throw new ConfigurationException(e.getMessage());
        }
        engine = started;
    }

    void onStop(@Observes ShutdownEvent event) {
        ZmqEngine running = engine;
        engine = null;
        if (running != null) {
            running.close();
        }
    }

    /** The running engine, or null before start and after stop. */
    public ZmqEngine engine() {
        return engine;
    }
}
