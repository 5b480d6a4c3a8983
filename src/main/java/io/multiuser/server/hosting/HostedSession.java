package io.multiuser.server.hosting;

import java.time.Instant;
import java.util.Optional;

import org.jboss.logging.Logger;

import io.multiuser.server.engine.EngineSettings;
import io.multiuser.server.engine.EngineStartException;
import io.multiuser.server.engine.ZmqEngine;
import io.multiuser.server.logging.SessionLogContext;
import io.multiuser.server.memory.HeapPacer;
import io.multiuser.server.memory.PayloadStash;
import io.multiuser.server.persistence.SessionStore;
import io.multiuser.server.persistence.StoreException;
import io.multiuser.server.persistence.StoreSettings;
import io.multiuser.server.session.LoginGuard;
import io.multiuser.server.session.PeerAddresses;
import io.multiuser.server.session.Scene;
import io.multiuser.server.session.SessionJournal;
import io.multiuser.server.session.SessionListener;
import io.multiuser.server.session.SessionSettings;
import io.multiuser.server.persistence.StoreListener;
import io.multiuser.server.security.AddressPolicy;
import io.multiuser.server.wire.v09.DeltaCompaction;

/**
 * One session the server hosts: its store and its engine (one thread owning its sockets), started
 * and stopped together. Sessions share nothing but the process: each has its own ports, thread,
 * ZeroMQ context, data directory and metrics, so a failure or a slow client in one stays there.
 * A session that cannot start keeps its reason ({@link #failure()}) for the admin and readiness.
 */
public final class HostedSession {

    private static final Logger LOG = Logger.getLogger(HostedSession.class);

    /** Replaced when an admin changes the session's address lists at run time. */
    private volatile SessionSpec spec;
    /** Whose connections the engine lets in: the spec's lists plus the server's banned ranges. */
    private volatile AddressPolicy addressPolicy = AddressPolicy.ALLOW_ALL;
    private volatile PeerAddresses peers = PeerAddresses.DIRECT;
    private final EngineSettings engineSettings;
    private final SessionSettings sessionSettings;
    private final Optional<StoreSettings> storeSettings;
    private final SessionListener listener;
    private final StoreListener storeListener;
    private final LoginGuard guard;
    private volatile ZmqEngine engine;
    private volatile SessionStore store;
    private volatile String failure;
    private volatile Instant startedAt;

    public HostedSession(SessionSpec spec, EngineSettings engineSettings, SessionSettings sessionSettings,
            Optional<StoreSettings> storeSettings, SessionListener listener, StoreListener storeListener) {
        this(spec, engineSettings, sessionSettings, storeSettings, listener, storeListener, LoginGuard.OPEN);
    }

    /** A session whose logins go through {@code guard} (bans, throttling). */
    public HostedSession(SessionSpec spec, EngineSettings engineSettings, SessionSettings sessionSettings,
            Optional<StoreSettings> storeSettings, SessionListener listener, StoreListener storeListener,
            LoginGuard guard) {
        this.spec = spec;
        this.engineSettings = engineSettings;
        this.sessionSettings = sessionSettings;
        this.storeSettings = storeSettings;
        this.listener = listener;
        this.storeListener = storeListener;
        this.guard = guard;
    }

    /**
     * Opens the store, restores its scene and starts the engine on it; throws with one line
     * saying what to change, and then holds nothing (no port, no lock) and keeps the reason.
     */
    public synchronized void start() {
        if (engine != null) {
            return;
        }
        try (SessionLogContext.Scope scope = SessionLogContext.enter(spec.name())) {
            failure = null;
            SessionStore opened = null;
            if (storeSettings.isPresent()) {
                try {
                    // folded like the session's chains, or a day of edits of one mesh would pile up in the store
                    // big payloads go straight to the spill file the engine adopts: no scene on the heap whole
                    opened = SessionStore.open(storeSettings.get(), storeListener,
                            DeltaCompaction.forGeneration(spec.generation()),
                            payloadStash());
                } catch (StoreException e) {
                    throw failed(e.getMessage());
                }
            }
            Scene restored = opened == null ? Scene.EMPTY : opened.restored();
            Optional<String> mismatch = restored.incompatibleWith(spec.generation());
            if (mismatch.isPresent()) {
                opened.close();
                throw failed("The data directory " + opened.directory() + " cannot be served: " + mismatch.get()
                        + ". Set the session's protocol to match it, or give it another data directory");
            }
            ZmqEngine started = new ZmqEngine(engineSettings, sessionSettings, listener,
                    opened == null ? SessionJournal.NONE : opened, restored);
            started.guard(guard);
            started.addressPolicy(addressPolicy);
            started.peers(peers);
            try {
                started.start();
            } catch (EngineStartException e) {
                if (opened != null) {
                    opened.close();
                }
                throw failed(e.getMessage());
            }
            store = opened;
            engine = started;
            startedAt = Instant.now();
        }
    }

    /** Records why this session does not serve when it could not even try to start (no ports left for it). */
    public synchronized SessionStartException notStarted(String reason) {
        return failed(reason);
    }

    private SessionStartException failed(String reason) {
        failure = reason;
        return new SessionStartException(reason);
    }

    /** Stops the engine (no change can arrive after), then writes the last changes and closes the store. */
    public synchronized void stop() {
        try (SessionLogContext.Scope scope = SessionLogContext.enter(spec.name())) {
            ZmqEngine running = engine;
            engine = null;
            if (running != null) {
                running.close();
            }
            SessionStore open = store;
            store = null;
            if (open != null) {
                open.close();
            }
        }
    }

    /** Sets who may connect (checked at the handshake from the next connection on); the engine need not run. */
    public void addressPolicy(AddressPolicy policy) {
        addressPolicy = policy;
        ZmqEngine current = engine;
        if (current != null) {
            current.addressPolicy(policy);
        }
    }

    /** Who is really behind the engine's peer addresses (the tunnel); applies from the next start. */
    public void peers(PeerAddresses resolver) {
        peers = resolver;
    }

    /** Who may connect now: the session's lists and the server's bans. */
    public AddressPolicy addressPolicy() {
        return addressPolicy;
    }

    /** The session with other address lists, and the policy they make (with the server's bans). */
    public synchronized void network(SessionSpec changed, AddressPolicy policy) {
        spec = changed;
        addressPolicy(policy);
    }

    public String name() {
        return spec.name();
    }

    public SessionSpec spec() {
        return spec;
    }

    /**
     * Where a scene read from disk for this session (its restore, an admin's import) puts its big
     * payloads: the spill file the engine then adopts, so that the scene is never on the heap whole.
     */
    public PayloadStash payloadStash() {
        return new PayloadStash(engineSettings.spill(), HeapPacer.shared());
    }

    public SessionSettings sessionSettings() {
        return sessionSettings;
    }

    /** The engine while it runs with its ports bound; empty before start, after stop, and after its thread died. */
    public Optional<ZmqEngine> runningEngine() {
        ZmqEngine current = engine;
        return current != null && current.isRunning() ? Optional.of(current) : Optional.empty();
    }

    /** The engine once started (running or not), or null. */
    public ZmqEngine engine() {
        return engine;
    }

    /** The open store, or null when disabled, before start and after stop. */
    public SessionStore store() {
        return store;
    }

    /** The data directory this session is kept in, when the server keeps sessions on disk. */
    public Optional<StoreSettings> storeSettings() {
        return storeSettings;
    }

    /** Why the session does not serve: it could not start, or its engine stopped; empty while it serves. */
    public Optional<String> failure() {
        String reason = failure;
        if (reason != null) {
            return Optional.of(reason);
        }
        ZmqEngine current = engine;
        if (current != null && !current.isRunning()) {
            return Optional.of("the engine thread stopped; the log says why");
        }
        return current == null ? Optional.of("not started") : Optional.empty();
    }

    /** The base port in use: the bound one while running (they differ for port 0), else the configured one. */
    public int basePort() {
        ZmqEngine current = engine;
        return current != null ? current.basePort() : spec.port();
    }

    /** When the engine last started, or null. */
    public Instant startedAt() {
        return startedAt;
    }

    @Override
    public String toString() {
        return "session '" + spec.name() + "'";
    }

    static void logFailure(HostedSession session, String reason) {
        try (SessionLogContext.Scope scope = SessionLogContext.enter(session.name())) {
            LOG.errorf("Session '%s' does not serve: %s", session.name(), reason);
        }
    }
}
