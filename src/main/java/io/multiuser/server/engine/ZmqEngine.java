package io.multiuser.server.engine;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.Pipe;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Function;

import org.jboss.logging.Logger;
import org.zeromq.ZContext;
import org.zeromq.ZMQ;

import io.multiuser.server.logging.SessionLogContext;
import io.multiuser.server.logging.ThrottledLog;
import io.multiuser.server.memory.HeapPacer;
import io.multiuser.server.memory.PayloadSpill;
import io.multiuser.server.protocol.ClientId;
import io.multiuser.server.protocol.DeltaMerger;
import io.multiuser.server.protocol.Generation;
import io.multiuser.server.security.AddressPolicy;
import io.multiuser.server.session.DownloadProgress;
import io.multiuser.server.session.LoginGuard;
import io.multiuser.server.session.PeerAddresses;
import io.multiuser.server.session.Scene;
import io.multiuser.server.session.Session;
import io.multiuser.server.session.SessionJournal;
import io.multiuser.server.session.SessionListener;
import io.multiuser.server.session.SessionSettings;
import io.multiuser.server.session.User;
import io.multiuser.server.wire.v09.DeltaCompaction;

/**
 * The ZeroMQ engine of one session. One thread, started by {@link #start()}, owns the context,
 * the sockets and the {@link Session}; nothing else touches them. What its protocol generation
 * does differently (which sockets, which frames) is its {@link EngineDialect}. Other threads hand it work
 * with {@link #call(Function)}: a task queue plus a wake-up byte on a pipe its selector watches.
 * Every message is handled inside a guard, so no input can stop the loop. Every new connection is
 * first checked against the session's {@link AddressPolicy} by its {@link ZapHandler}, on the same thread.
 */
public final class ZmqEngine implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(ZmqEngine.class);
    private static final int MAX_READS_PER_SOCKET = 256;
    /** A burst of big messages on one socket must not hold back pings and timers for long. */
    private static final long READ_BUDGET_NANOS = 10_000_000;
    private static final long TICK_MILLIS = 10;
    private static final long STATS_MILLIS = 200;
    private static final long IDLE_POLL_MILLIS = 50;
    private static final long SPURIOUS_NAP_NANOS = 50_000;
    private static final long BACKLOG_RETRY_MILLIS = 10;
    private static final long PENDING_DATABLOCK_MAX_AGE_MILLIS = 60_000;
    /** A longer step between two turns means the engine stood still; its clock counts this much of it. */
    private static final long MAX_CLOCK_STEP_MILLIS = 250;
    /** A standstill this long gets a log line: a client may have seen its messages wait that long. */
    private static final long STANDSTILL_LOG_MILLIS = 1000;

    private final EngineSettings settings;
    private final SessionSettings sessionSettings;
    private final SessionListener listener;
    private final SessionJournal journal;
    private final Scene restoredScene;
    private final EngineDialect dialect;
    private final ConcurrentLinkedQueue<Task> tasks = new ConcurrentLinkedQueue<>();
    private final CompletableFuture<Void> started = new CompletableFuture<>();
    private final Pipe wakeup;
    /** Engine thread only: what {@link #drainWakeups()} reads into. */
    private final ByteBuffer wakeupBuffer = ByteBuffer.allocate(256);
    private volatile boolean running;
    private final ThrottledLog ioTrouble = new ThrottledLog(LOG, 1, 60_000);
    private volatile long lastLoopNanos;
    private volatile SessionStats stats = SessionStats.EMPTY;
    /** The base port really bound: the configured one, or the one picked for port 0. */
    private volatile int basePort;
    /** How long the sockets may keep sending queued messages once the loop ends; 0 drops them (a plain stop). */
    private volatile int closeLingerMillis;
    private volatile LoginGuard loginGuard = LoginGuard.OPEN;
    private volatile PeerAddresses peers = PeerAddresses.DIRECT;
    /** Which peer addresses may connect; read by the ZAP handler for every new connection, set from any thread. */
    private final AtomicReference<AddressPolicy> addressPolicy;
    /** The session the constructing thread's log lines named: a policy change set from elsewhere names it too. */
    private final String logSession = SessionLogContext.current();
    private Thread thread;

    // Engine-thread state.
    private Session session;
    private SocketOutbox outbox;
    private RouterQueues commandQueues;
    private RouterQueues dataQueues;
    private Sockets sockets;
    private InboundHandler inbound;
    /** The session's big payloads, out of the heap (off unless the settings name a threshold). */
    private PayloadSpill spill;
    /**
     * Bound only while the policy names ranges: JeroMQ then holds every new handshake for the
     * handler's answer, and with no lists no connection should pay that round trip (or its risk of
     * a lost wake-up in JeroMQ's signalling, which can stall a handshake for seconds).
     */
    private ZapHandler zap;
    private ZContext zapContext;
    private Selector selector;
    /** Every timeout of the session is measured on it: see {@link EngineClock}. */
    private final EngineClock clock = EngineClock.system(MAX_CLOCK_STEP_MILLIS);
    private long lastTick;
    private long lastStats;

    public ZmqEngine(EngineSettings settings, SessionSettings sessionSettings) {
        this(settings, sessionSettings, SessionListener.NONE);
    }

    public ZmqEngine(EngineSettings settings, SessionSettings sessionSettings, SessionListener listener) {
        this(settings, sessionSettings, listener, SessionJournal.NONE, Scene.EMPTY);
    }

    /**
     * An engine whose session starts with {@code restoredScene} (from a store; empty for a new
     * session) and reports every change to {@code journal}.
     */
    public ZmqEngine(EngineSettings settings, SessionSettings sessionSettings, SessionListener listener,
            SessionJournal journal, Scene restoredScene) {
        this.settings = settings;
        this.sessionSettings = sessionSettings;
        this.listener = listener;
        this.journal = journal;
        this.restoredScene = restoredScene;
        this.dialect = EngineDialect.of(sessionSettings.generation(), settings.maxMessageBytes());
        this.addressPolicy = new AtomicReference<>(settings.addressPolicy());
        try {
            this.wakeup = Pipe.open();
            wakeup.source().configureBlocking(false);
            wakeup.sink().configureBlocking(false);
        } catch (IOException e) {
            throw new IllegalStateException("cannot create the engine's wake-up pipe", e);
        }
    }

    /** Bans and login throttling for the session's logins; set before {@link #start()}. */
    public void guard(LoginGuard guard) {
        this.loginGuard = guard;
    }

    /** Who is really behind a peer address (the tunnel's loopback streams); set before {@link #start()}. */
    public void peers(PeerAddresses peers) {
        this.peers = Objects.requireNonNull(peers);
    }

    /** Binds the four ports and starts the loop; returns once bound, or throws naming the port. */
    public void start() {
        running = true;
        thread = new Thread(SessionLogContext.carry(this::run), SessionLogContext.threadName("zmq-engine"));
        thread.start();
        try {
            started.get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            running = false;
            join();
            throw e.getCause() instanceof EngineStartException s ? s
                    : new EngineStartException("engine failed to start: " + e.getCause(), e.getCause());
        } catch (InterruptedException | TimeoutException e) {
            close();
            throw new EngineStartException("engine did not bind its ports in time", e);
        }
        LOG.infof("Session server listening on %s, ports %d-%d, protocol %s (%s)", settings.bindAddress(), basePort,
                lastPort(), dialect.generation(), portList());
        AddressPolicy policy = addressPolicy.get();
        if (!policy.allowsAll()) {
            LOG.infof("Connections to ports %d-%d are checked at the handshake: %s", basePort, lastPort(), policy);
        }
    }

    /** Which peer addresses may connect now. */
    public AddressPolicy addressPolicy() {
        return addressPolicy.get();
    }

    /**
     * Replaces the network allow and deny lists, from any thread, before or after {@link #start()}.
     * Every connection from now on is checked against {@code policy} at its handshake; connections
     * already open stay open, whatever their address. A change while running is logged (one line).
     */
    public void addressPolicy(AddressPolicy policy) {
        Objects.requireNonNull(policy, "policy (AddressPolicy.ALLOW_ALL for no lists)");
        AddressPolicy previous = addressPolicy.getAndSet(policy);
        if (policy.equals(previous) || !running) {
            return; // before start(), its line shows the policy the engine starts with
        }
        if (policy.allowsAll() != previous.allowsAll()) {
            tasks.add(new Task(this::syncZap, failure -> { }));
            wake();
        }
        String message = "Network access changed to: " + policy + " (was: " + previous
                + "); it applies to new connections, open ones stay";
        if (logSession != null && SessionLogContext.current() == null) {
            try (SessionLogContext.Scope scope = SessionLogContext.enter(logSession)) {
                LOG.info(message);
            }
        } else {
            LOG.info(message);
        }
    }

    /** Runs {@code work} on the engine thread with the session; the future completes with its result. */
    public <T> CompletableFuture<T> call(Function<Session, T> work) {
        CompletableFuture<T> result = new CompletableFuture<>();
        if (!running) {
            result.completeExceptionally(new IllegalStateException("engine is not running"));
            return result;
        }
        tasks.add(new Task(() -> {
            try {
                result.complete(work.apply(session));
            } catch (RuntimeException e) {
                result.completeExceptionally(e);
            }
        }, result::completeExceptionally));
        wake();
        if (!running) {
            failPendingTasks(); // raced with close(): nobody else will run it
        }
        return result;
    }

    /** Work for the engine thread, and how to tell its caller when it will never run. */
    private record Task(Runnable work, java.util.function.Consumer<Throwable> abandon) {
    }

    private void failPendingTasks() {
        Task task;
        while ((task = tasks.poll()) != null) {
            task.abandon().accept(new IllegalStateException("engine stopped"));
        }
    }

    public boolean isRunning() {
        return running && thread != null && thread.isAlive();
    }

    /** Nanos ({@link System#nanoTime()}) at the start of the last loop iteration. */
    public long lastLoopNanos() {
        return lastLoopNanos;
    }

    private int lastPort() {
        return basePort + dialect.ports().size() - 1;
    }

    private String portList() {
        StringBuilder out = new StringBuilder();
        List<Port> ports = dialect.ports();
        for (int i = 0; i < ports.size(); i++) {
            out.append(i == 0 ? "" : ", ").append(ports.get(i).description).append(' ').append(basePort + i);
        }
        return out.toString();
    }

    /** The protocol generation this engine speaks. */
    public Generation generation() {
        return dialect.generation();
    }

    /** The base port the engine bound (for a configured 0, the one it picked). */
    public int basePort() {
        return basePort;
    }

    /** The session's size as of the last fraction of a second; safe from any thread. */
    public SessionStats stats() {
        return stats;
    }

    /**
     * Like {@link #close()}, but messages already queued (a kick's disconnect notice) get up to
     * {@code lingerMillis} to reach their clients before the sockets close.
     */
    public void closeGracefully(int lingerMillis) {
        closeLingerMillis = lingerMillis;
        close();
    }

    /** Stops the loop and closes every socket; the ports are free when this returns. */
    @Override
    public void close() {
        if (!running && (thread == null || !thread.isAlive())) {
            return;
        }
        running = false;
        wake();
        join();
        LOG.infof("Session server stopped; ports %d-%d released", basePort, lastPort());
    }

    private void join() {
        if (thread == null || thread == Thread.currentThread()) {
            return;
        }
        try {
            thread.join(10_000);
            if (thread.isAlive()) {
                LOG.error("Engine thread did not stop within 10 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** An exception JeroMQ's poller caught and went on from: its term handshakes race with closing sockets. */
    private void ioThreadRecovered(Thread thread, Throwable e) {
        if (!running) {
            LOG.debugf("JeroMQ I/O thread %s, while the engine stops: %s", thread.getName(), e);
        } else {
            synchronized (ioTrouble) { // with io-threads > 1, more than one thread may call
                ioTrouble.warn("io", "JeroMQ I/O thread " + thread.getName() + " went on after " + e);
            }
        }
    }

    private void wake() {
        try {
            wakeup.sink().write(ByteBuffer.wrap(new byte[] {1}));
        } catch (IOException e) {
            LOG.debug("wake-up write failed (engine stopped)", e);
        }
    }

    // ---------------------------------------------------------------- engine thread

    private void run() {
        if (settings.batchScheduling()) {
            // Before the context exists: JeroMQ starts its I/O threads from this thread (with the first
            // socket), and a new thread inherits its creator's policy.
            BatchScheduling.applyToCurrentThread().ifPresentOrElse(
                    why -> LOG.warnf("Engine threads keep the normal CPU policy (SCHED_BATCH: %s); on a busy"
                            + " machine update latency may suffer", why),
                    () -> LOG.debug("Engine and I/O threads run under SCHED_BATCH"));
        }
        ZContext context = new ZContext(settings.ioThreads());
        context.setLinger(0);
        // JeroMQ prints what its I/O threads recover from as stack traces; one line instead
        context.setNotificationExceptionHandler(this::ioThreadRecovered);
        context.setUncaughtExceptionHandler((thread, e) -> LOG.errorf(e, "JeroMQ I/O thread %s stopped: %s",
                thread.getName(), e));
        try {
            try {
                // first: JeroMQ checks a connection only when it finds the handler bound (see ZapHandler)
                zapContext = context;
                if (!addressPolicy.get().allowsAll()) {
                    zap = ZapHandler.bind(context, addressPolicy::get, listener, () -> loginGuard);
                }
                sockets = new SocketBinder(settings, dialect).bind(context);
            } catch (EngineStartException e) {
                started.completeExceptionally(e);
                return;
            }
            basePort = sockets.basePort();
            commandQueues = new RouterQueues(sockets.get(Port.COMMANDS), settings.maxQueuedBytesPerClient());
            dataQueues = new RouterQueues(sockets.get(dialect.dataOut()), settings.maxQueuedBytesPerClient());
            outbox = new SocketOutbox(dialect, commandQueues, dataQueues, sockets.get(Port.HEARTBEAT),
                    clock, listener);
            spill = new PayloadSpill(settings.spill(), HeapPacer.shared(), clock);
            session = new Session(sessionSettings, outbox, clock, listener,
                    settings.spill().enabled() ? new SpillingJournal(journal, spill) : journal, deltaMerger());
            session.guard(loginGuard);
            session.restore(restoredScene);
            inbound = new InboundHandler(dialect, session, listener, clock, () -> loginGuard, peers);

            try (Selector selector = Selector.open()) {
                this.selector = selector;
                for (ZMQ.Socket socket : sockets.all()) {
                    socket.getFD().register(selector, SelectionKey.OP_READ);
                }
                if (zap != null) {
                    zap.socket().getFD().register(selector, SelectionKey.OP_READ);
                }
                SelectionKey wakeupKey = wakeup.source().register(selector, SelectionKey.OP_READ);
                started.complete(null);
                // not journaled, and a big one takes a while to write out: after the ports are reported bound
                guarded("payload spill", () -> spill.offerAll(session.graph().nodes()));
                clock.getAsLong();
                clock.takePause(); // restoring and spilling a big scene took a while: start-up, not a standstill
                loop(selector, wakeupKey);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException("engine selector failed", e);
            }
        } catch (RuntimeException | Error e) {
            LOG.error("Engine thread failed", e);
            started.completeExceptionally(e);
        } finally {
            running = false;
            int linger = closeLingerMillis;
            if (linger > 0 && sockets != null) {
                for (ZMQ.Socket socket : sockets.all()) {
                    socket.setLinger(linger);
                }
            }
            context.close(); // closes the sockets (by default with linger 0): the ports are free after this
            closeWakeup(); // a dev-mode reload creates a new engine: do not leak the pipe
            failPendingTasks();
        }
    }

    /**
     * Waits for input on the four sockets (a socket's descriptor is its JeroMQ mailbox, readable
     * when the socket has been signalled), the ZAP handler's socket and the wake-up pipe, then reads
     * whatever is there; new connections' ZAP requests first, since their handshakes wait for the answers.
     * <p>
     * JeroMQ counts a signal only after writing its byte, so a descriptor can be readable while
     * the socket reports nothing yet: the writer (the I/O thread) was preempted in between. Polling
     * again at once would spin until the writer runs again, possibly a whole time slice of
     * milliseconds; instead the loop yields the CPU (to that writer, when it waits on this core),
     * then naps briefly.
     */
    private void loop(Selector selector, SelectionKey wakeupKey) {
        int spurious = 0;
        while (running) {
            lastLoopNanos = System.nanoTime();
            // Not every message signals the descriptor (the first one on a new connection's pipe, or
            // those left when a read budget ran out), so look before blocking.
            boolean pending = sockets.anyHasInput() || (zap != null && zap.hasInput());
            long timeout = pending ? 0 : pollTimeout();
            int ready;
            try {
                ready = timeout == 0 ? selector.selectNow() : selector.select(timeout);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException("engine selector failed", e);
            }
            // the pipe is read only when it has something: no read call per turn under load
            boolean worked = selector.selectedKeys().contains(wakeupKey) && drainWakeups();
            selector.selectedKeys().clear();
            worked |= answerZap();
            worked |= runTasks();
            for (Sockets.Bound bound : sockets.bound()) {
                worked |= readAll(bound.socket(), bound.port());
            }
            if (ready > 0 && !worked) {
                if (++spurious <= 2) {
                    Thread.yield();
                } else {
                    // the writer runs on the other core, or something keeps the descriptor readable:
                    // nap, longer each time (up to 1.6 ms), rather than burn the core
                    LockSupport.parkNanos(SPURIOUS_NAP_NANOS << Math.min(5, spurious - 3));
                }
            } else {
                spurious = 0;
            }
            housekeeping();
        }
    }

    private DeltaMerger deltaMerger() {
        return DeltaCompaction.forGeneration(dialect.generation());
    }

    private long pollTimeout() {
        long timeout = IDLE_POLL_MILLIS;
        long due = outbox.nextDueInMillis();
        if (due >= 0) {
            timeout = Math.min(timeout, due);
        }
        if (commandQueues.hasBacklog() || dataQueues.hasBacklog()) {
            // A backlog is retried when its socket is signalled: JeroMQ tells a ROUTER when a full
            // pipe has drained (activate_write) and when a peer (re)connects, and the selector wakes
            // on either. The timeout is only a safety net; at 1 ms, as before, a departed client's
            // undeliverable backlog kept the engine waking 1,000 times a second until it timed out.
            timeout = Math.min(timeout, BACKLOG_RETRY_MILLIS);
        }
        return timeout;
    }

    private void closeWakeup() {
        try {
            wakeup.source().close();
            wakeup.sink().close();
        } catch (IOException e) {
            LOG.debug("wake-up pipe close failed", e);
        }
    }

    /** Empties the wake-up pipe; true when there was something in it. */
    private boolean drainWakeups() {
        boolean any = false;
        try {
            while (wakeup.source().read(wakeupBuffer) > 0) {
                wakeupBuffer.clear();
                any = true;
            }
        } catch (IOException e) {
            LOG.debug("wake-up read failed", e);
        }
        return any;
    }

    /** Answers the ZAP requests of new connections; true when there were any. */
    private boolean answerZap() {
        if (zap == null) {
            return false;
        }
        try {
            return zap.answerAll();
        } catch (RuntimeException e) {
            LOG.errorf(e, "Unexpected failure while answering ZAP requests; the engine carries on");
            return false;
        }
    }

    /** Binds the ZAP handler when the policy names ranges, closes it when it no longer does (engine thread). */
    private void syncZap() {
        boolean wanted = !addressPolicy.get().allowsAll();
        try {
            if (wanted && zap == null) {
                zap = ZapHandler.bind(zapContext, addressPolicy::get, listener, () -> loginGuard);
                zap.socket().getFD().register(selector, SelectionKey.OP_READ);
            } else if (!wanted && zap != null) {
                ZapHandler closing = zap;
                zap = null;
                answerZapOnce(closing); // handshakes already waiting get their answer first
                SelectionKey key = closing.socket().getFD().keyFor(selector);
                if (key != null) {
                    key.cancel();
                }
                zapContext.destroySocket(closing.socket());
            }
        } catch (EngineStartException | IOException e) {
            LOG.errorf("Cannot %s the network access check: %s", wanted ? "start" : "stop", e.getMessage());
        }
    }

    private static void answerZapOnce(ZapHandler handler) {
        try {
            handler.answerAll();
        } catch (RuntimeException e) {
            LOG.debug("ZAP answers before closing the handler failed", e);
        }
    }

    /** Runs the queued tasks; true when there were any. */
    private boolean runTasks() {
        boolean any = false;
        Task task;
        while ((task = tasks.poll()) != null) {
            any = true;
            guarded("admin task", task.work());
        }
        return any;
    }

    /** Reads what the socket holds, within a budget; true when there was anything. */
    private boolean readAll(ZMQ.Socket socket, Port port) {
        long deadline = System.nanoTime() + READ_BUDGET_NANOS;
        int i = 0;
        for (; i < MAX_READS_PER_SOCKET && System.nanoTime() < deadline; i++) {
            InboundMessage message = InboundMessage.read(socket);
            if (message == null) {
                break;
            }
            guarded("message", () -> inbound.handle(port, message));
        }
        return i > 0;
    }

    private void housekeeping() {
        long now = nowMillis();
        long standstill = clock.takePause();
        if (standstill > 0) {
            listener.engineStoodStill(standstill);
        }
        if (standstill >= STANDSTILL_LOG_MILLIS) {
            // self-throttled: each line stands for a second or more in which the engine could not log
            LOG.warnf("The engine stood still for %d ms (the machine or JVM paused, or a task ran that long);"
                    + " heartbeat and other timeouts count %d ms of it", standstill, MAX_CLOCK_STEP_MILLIS);
        }
        outbox.sendDue();
        if (spill.hasWork()) {
            // after the turn's sends, which took the arrays they need
            guarded("payload spill", () -> spill.flush(session.graph().nodes()));
        }
        if (now - lastTick >= TICK_MILLIS) {
            lastTick = now;
            guarded("tick", session::tick);
            int expired = dialect.expire(now, PENDING_DATABLOCK_MAX_AGE_MILLIS);
            if (expired > 0) {
                LOG.warnf("Discarded %d datablock header(s) whose chunks never came", expired);
                listener.dropped(SessionListener.Drop.MALFORMED, expired);
            }
        }
        if (now - lastStats >= STATS_MILLIS) {
            lastStats = now;
            publishStats();
        }
        long timeout = settings.unreachableTimeoutMillis();
        for (ClientId id : commandQueues.flush(now, timeout)) {
            lost(id, commandQueues, "command");
        }
        for (ClientId id : dataQueues.flush(now, timeout)) {
            lost(id, dataQueues, "data");
        }
        for (ClientId id : outbox.takeOverflowed()) {
            guarded("slow client", () -> session.tooSlow(id, commandQueues.queuedBytes(id) + dataQueues.queuedBytes(id)));
        }
    }

    private void publishStats() {
        int lobby = 0;
        int syncing = 0;
        int active = 0;
        int downloads = 0;
        long downloadBytesLeft = 0;
        for (User user : session.users()) {
            switch (user.status()) {
                case LOBBY -> lobby++;
                case SYNCING -> syncing++;
                case ACTIVE -> active++;
            }
            DownloadProgress download = session.download(user);
            if (download != null) {
                downloads++;
                downloadBytesLeft += download.bytesLeft();
            }
        }
        stats = new SessionStats(session.state(), lobby, syncing, active, session.graph().size(),
                session.graph().totalBytes(), commandQueues.backlogMessages() + dataQueues.backlogMessages(),
                session.graph().chainEntries(), session.graph().chainBytes(), downloads, downloadBytesLeft,
                spill.fileBytes());
    }

    private void lost(ClientId id, RouterQueues queues, String which) {
        int discarded = queues.discard(id);
        if (discarded > 0) {
            listener.dropped(SessionListener.Drop.UNDELIVERABLE, discarded);
        }
        if (session.isLoggedIn(id)) {
            guarded("connection lost", () -> session.connectionLost(id, which));
        }
    }

    private void guarded(String what, Runnable action) {
        try {
            action.run();
        } catch (RuntimeException | StackOverflowError e) {
            // A bug, not bad input (bad input is rejected by the codecs): log it loudly, keep serving.
            LOG.errorf(e, "Unexpected failure while handling %s; the engine carries on", what);
        }
    }

    private long nowMillis() {
        return clock.getAsLong();
    }
}
