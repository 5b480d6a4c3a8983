package io.multiuser.server;

import java.util.Optional;


import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import org.jboss.logging.Logger;

import io.multiuser.server.config.ServerConfig;
import io.multiuser.server.config.ServerSettings;
import io.multiuser.server.engine.EngineStartException;
import io.multiuser.server.engine.ZmqEngine;
import io.multiuser.server.persistence.SessionStore;
import io.multiuser.server.persistence.StoreException;
import io.multiuser.server.persistence.StoreListener;
import io.multiuser.server.session.SessionListener;
import io.multiuser.server.wire.v09.DeltaCompaction;
import io.multiuser.server.session.Scene;
import io.multiuser.server.session.SessionJournal;
import io.quarkus.runtime.configuration.ConfigurationException;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;

/**
 * Opens the session store and starts the four-port engine on the scene it restored when Quarkus
 * starts; stops the engine, then writes the last changes and closes the store when Quarkus stops
 * (also on every dev-mode reload, which is why the ports and the data directory must be free
 * when {@link #onStop} returns).
 */
@ApplicationScoped
public class SessionServer {

    private static final Logger LOG = Logger.getLogger(SessionServer.class);

    private final ServerConfig config;
    private final SessionListener metrics;
    private final StoreListener storeMetrics;
    private volatile ZmqEngine engine;
    private volatile SessionStore store;

    /** {@code metrics} and {@code storeMetrics} are the observability beans, known here only by their roles. */
    public SessionServer(ServerConfig config, SessionListener metrics, StoreListener storeMetrics) {
        this.config = config;
        this.metrics = metrics;
        this.storeMetrics = storeMetrics;
    }

    void onStart(@Observes StartupEvent event) {
        ServerSettings settings = ServerSettings.from(config);
        if (settings.defaultPassword()) {
            LOG.warn("*** The admin password is a published default ('admin', or the Kubernetes Secret's"
                    + " 'change-me'): anyone can host or kick as admin. Set it with -pwd, the env variable 'password',"
                    + " MULTIUSER_PASSWORD or kubernetes/base/secret.yaml. ***");
        }
        SessionStore opened = null;
        if (settings.store().isPresent()) {
            try {
                // folded like the session's chains, or a day of edits of one mesh would pile up in the store
                opened = SessionStore.open(settings.store().get(), storeMetrics,
                        DeltaCompaction.forGeneration(settings.session().generation()));
            } catch (StoreException e) {
                throw new ConfigurationException(e.getMessage()); // one line: what is wrong and what to do
            }
        } else {
            LOG.warn("Session store disabled (multiuser.store.enabled=false): the scene is lost when the server stops");
        }
        Scene restored = opened == null ? Scene.EMPTY : opened.restored();
        Optional<String> mismatch = restored.incompatibleWith(settings.session().generation());
        if (mismatch.isPresent()) {
            opened.close();
            throw new ConfigurationException("The data directory " + opened.directory() + " cannot be served: "
                    + mismatch.get() + ". Set multiuser.protocol to match it, or use another multiuser.store.directory");
        }
        ZmqEngine started = new ZmqEngine(settings.engine(), settings.session(), metrics,
                opened == null ? SessionJournal.NONE : opened, restored);
        try {
            started.start();
        } catch (EngineStartException e) {
            if (opened != null) {
                opened.close();
            }
            // A port in use is a setting to change: one line, no stack trace (no cause either,
            // Quarkus looks at the root cause to decide).
            throw new ConfigurationException(e.getMessage());
        }
        store = opened;
        engine = started;
    }

    void onStop(@Observes ShutdownEvent event) {
        ZmqEngine running = engine;
        engine = null;
        if (running != null) {
            running.close(); // no change can arrive after this
        }
        SessionStore open = store;
        store = null;
        if (open != null) {
            open.close();
        }
    }

    /**
     * The engine while it runs with its ports bound: empty before start, after stop, and after
     * its thread died. The one way the admin and observability surfaces ask for it.
     */
    public Optional<ZmqEngine> runningEngine() {
        ZmqEngine current = engine;
        return current != null && current.isRunning() ? Optional.of(current) : Optional.empty();
    }

    /** The engine once started (running or not), or null before start and after stop. */
    public ZmqEngine engine() {
        return engine;
    }

    /** The open store, or null when disabled, before start and after stop. */
    public SessionStore store() {
        return store;
    }
}
