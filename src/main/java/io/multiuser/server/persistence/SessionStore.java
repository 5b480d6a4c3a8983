package io.multiuser.server.persistence;

import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;

import org.jboss.logging.Logger;

import io.multiuser.server.memory.PayloadStash;
import io.multiuser.server.protocol.Delta;
import io.multiuser.server.protocol.DeltaMerger;
import io.multiuser.server.protocol.Node;
import io.multiuser.server.session.Scene;
import io.multiuser.server.session.SessionJournal;
import io.multiuser.server.session.SessionState;

/**
 * The session kept on disk as an append-only log ({@link StoreFormat}) in a data directory.
 * <p>
 * The engine thread reports changes through {@link SessionJournal}; they only go into the
 * {@link PendingChanges}, where repeated changes of one node collapse ({@link ChangeBatch}: a
 * dragged object sends many updates a second; only the last payload matters, while three-port
 * deltas are all kept, in order). The {@link StoreWriter} thread appends and fsyncs them at most
 * {@code flushIntervalMillis} after the first change, so a crash loses at most the changes of
 * that interval; {@link #close()} writes everything. When the log grows past twice the live scene
 * it is rewritten from it and swapped in with an atomic rename.
 */
public final class SessionStore implements SessionJournal, AutoCloseable {

    public static final String LOG_FILE = "session.log";
    static final String COMPACT_FILE = "session.log.compact";
    static final String LOCK_FILE = ".lock";
    private static final Logger LOG = Logger.getLogger(SessionStore.class);

    private final StoreSettings settings;
    private final FileChannel lockChannel;
    private final FileLock lock;
    private final Scene restored;
    private final PendingChanges pending;
    private final StoreWriter writer;

    private SessionStore(StoreSettings settings, FileChannel lockChannel, FileLock lock, Scene restored,
            PendingChanges pending, StoreWriter writer) {
        this.settings = settings;
        this.lockChannel = lockChannel;
        this.lock = lock;
        this.restored = restored;
        this.pending = pending;
        this.writer = writer;
    }

    // ---------------------------------------------------------------- open, restore, close

    /**
     * Opens (or creates) the data directory and replays its log: a damaged tail is cut with a
     * warning, a log this version cannot read is refused. Starts the writer thread.
     */
    public static SessionStore open(StoreSettings settings, StoreListener listener) {
        return open(settings, listener, DeltaMerger.NONE);
    }

    /** A store whose in-memory chains (three-port) are folded by {@code merger}, as the session's are. */
    public static SessionStore open(StoreSettings settings, StoreListener listener, DeltaMerger merger) {
        return open(settings, listener, merger, PayloadStash.none());
    }

    /** ... and whose restored big payloads go to {@code stash}'s spill file, not onto the heap. */
    public static SessionStore open(StoreSettings settings, StoreListener listener, DeltaMerger merger,
            PayloadStash stash) {
        Path dir = settings.directory().toAbsolutePath().normalize();
        StoreSettings absolute = new StoreSettings(dir, settings.flushIntervalMillis(), settings.compactionMinBytes());
        FileChannel lockChannel = null;
        try {
            Files.createDirectories(dir);
            lockChannel = FileChannel.open(dir.resolve(LOCK_FILE), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            FileLock lock = tryLock(lockChannel);
            if (lock == null) {
                throw new StoreException("Data directory " + dir + " is in use by another multi-user-server process;"
                        + " give each server its own multiuser.store.directory");
            }
            SessionStore store = restore(absolute, listener, lockChannel, lock, merger, stash);
            store.writer.start();
            return store;
        } catch (AccessDeniedException e) {
            StoreWriter.closeQuietly(lockChannel);
            throw new StoreException("Data directory " + dir + " is not writable (" + e.getFile()
                    + "); fix its permissions or set multiuser.store.directory", e);
        } catch (IOException e) {
            StoreWriter.closeQuietly(lockChannel);
            throw new StoreException("Data directory " + dir + " cannot be used: " + e, e);
        } catch (RuntimeException e) {
            StoreWriter.closeQuietly(lockChannel);
            throw e;
        }
    }

    private static FileLock tryLock(FileChannel channel) throws IOException {
        try {
            return channel.tryLock();
        } catch (OverlappingFileLockException e) {
            return null; // held by this very process (another store on the same directory)
        }
    }

    private static SessionStore restore(StoreSettings settings, StoreListener listener, FileChannel lockChannel,
            FileLock lock, DeltaMerger merger, PayloadStash stash) throws IOException {
        Path dir = settings.directory();
        Path log = dir.resolve(LOG_FILE);
        if (Files.deleteIfExists(dir.resolve(COMPACT_FILE))) {
            LOG.infof("Removed the unfinished compaction %s; %s is complete without it", COMPACT_FILE, log);
        }
        long started = System.nanoTime();
        DurableScene durable = new DurableScene(merger);
        long validBytes = 0;
        int version = 0;
        long records = 0;
        if (Files.exists(log)) {
            StoreReader.Replay replay;
            try (InputStream in = Files.newInputStream(log)) {
                replay = StoreReader.read(in, durable, stash);
            } catch (StoreFormatException e) {
                throw new StoreException("Refusing to start on " + log + ": " + e.getMessage() + ". The file is left"
                        + " untouched: run the server version that wrote it, or move it away to start an empty session.");
            }
            if (replay.damage() != null) {
                cutDamagedTail(log, replay);
            }
            validBytes = replay.validBytes();
            version = replay.version();
            records = replay.records();
        }

        Scene restored;
        boolean abandonedUpload = durable.state() == SessionState.SRV_SYNC;
        if (abandonedUpload) {
            LOG.warnf("An upload was in progress when the server stopped: its %d nodes are dropped, as when an"
                    + " uploader leaves; the session waits for a new upload", durable.size());
            restored = Scene.EMPTY;
        } else {
            restored = durable.scene(); // as logged: Session.restore resets the owners
            durable.state(durable.isEmpty() ? SessionState.WAITING : SessionState.ACTIVE);
        }
        PendingChanges pending = new PendingChanges(settings.flushIntervalMillis());
        StoreWriter writer = new StoreWriter(settings, listener, pending, durable, validBytes, version);
        if (abandonedUpload) {
            writer.dropAbandonedUpload();
        }
        long millis = (System.nanoTime() - started) / 1_000_000;
        if (restored.nodes().isEmpty()) {
            LOG.infof("Session store in %s: no saved scene, the session starts empty", dir);
        } else {
            LOG.infof("Restored the session from %s: %d nodes, %d bytes in %.2f s (%d records); owners reset to"
                    + " COMMON%s", log, restored.nodes().size(), restored.payloadBytes(), millis / 1000.0, records,
                    stash.stashedBytes() == 0 ? "" : "; " + stash.stashedBytes() + " bytes of big payloads read"
                            + " straight into a spill file");
        }
        return new SessionStore(settings, lockChannel, lock, restored, pending, writer);
    }

    /** Keeps the damaged bytes beside the log for a post-mortem, then cuts the log to its readable prefix. */
    private static void cutDamagedTail(Path log, StoreReader.Replay replay) throws IOException {
        long size = Files.size(log);
        long cut = replay.validBytes();
        String stamp = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
        Path saved = log.resolveSibling(LOG_FILE + ".damaged-" + stamp);
        try (FileChannel source = FileChannel.open(log, StandardOpenOption.READ, StandardOpenOption.WRITE);
                FileChannel copy = FileChannel.open(saved, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                        StandardOpenOption.TRUNCATE_EXISTING)) {
            source.transferTo(cut, size - cut, copy);
            copy.force(true);
            source.truncate(cut);
            source.force(true);
        }
        LOG.warnf("Session log %s is damaged at byte %d of %d (%s), as after a crash mid-write: cut there, keeping"
                + " the %d complete records before it; the %d cut bytes are saved in %s", log, cut, size,
                replay.damage().reason(), replay.records(), size - cut, saved.getFileName());
    }

    /**
     * The scene found on disk, as logged (nodes and their chains), to load into the session
     * ({@code Session.restore}) before clients connect.
     */
    public Scene restored() {
        return restored;
    }

    /** The last write's figures, with the changes not yet durable counted now. */
    public StoreStats stats() {
        StoreStats s = writer.stats();
        return new StoreStats(s.fileBytes(), s.liveBytes(), s.lastFlushEpochMillis(), pending.pending(),
                s.lastError());
    }

    public Path directory() {
        return settings.directory();
    }

    /** Writes and fsyncs every change received so far, then releases the directory. */
    @Override
    public void close() {
        pending.close();
        try {
            writer.awaitAndClose();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            LOG.warn("Interrupted while writing the last changes to the session log");
        }
        StoreStats last = stats();
        try {
            lock.release();
        } catch (IOException e) {
            LOG.debug("lock release failed", e);
        }
        StoreWriter.closeQuietly(lockChannel);
        if (last.pendingChanges() > 0) {
            LOG.errorf("Session store closed with %d changes not written: %s", last.pendingChanges(), last.lastError());
        } else {
            LOG.infof("Session store closed: every change is on disk (%d nodes, log %d bytes)", writer.durableNodes(),
                    last.fileBytes());
        }
    }

    // ---------------------------------------------------------------- journal (engine thread)

    @Override
    public void put(Node node) {
        pending.add(ChangeBatch.NodeChange.put(node));
    }

    @Override
    public void ownerChanged(Node node) {
        pending.add(ChangeBatch.NodeChange.owner(node));
    }

    @Override
    public void deleted(String uuid) {
        pending.add(ChangeBatch.NodeChange.delete(uuid));
    }

    @Override
    public void deltaAppended(String uuid, Delta delta) {
        pending.add(ChangeBatch.NodeChange.delta(uuid, delta));
    }

    @Override
    public void dependenciesChanged(Node node) {
        pending.add(ChangeBatch.NodeChange.dependencies(node));
    }

    @Override
    public void cleared() {
        pending.addClear();
    }

    @Override
    public void stateChanged(SessionState state) {
        pending.addState(state);
    }
}
