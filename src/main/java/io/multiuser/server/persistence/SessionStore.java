package io.multiuser.server.persistence;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

import org.jboss.logging.Logger;

import io.multiuser.server.protocol.Node;
import io.multiuser.server.session.SessionJournal;
import io.multiuser.server.session.SessionState;

/**
 * The session kept on disk as an append-only log ({@link StoreFormat}) in a data directory.
 * <p>
 * The engine thread reports changes through {@link SessionJournal}; they only go into a pending
 * batch, where repeated changes of one node collapse into the latest (a dragged object sends many
 * updates a second; only the last one matters). A writer thread appends the batch and fsyncs it
 * at most {@code flushIntervalMillis} after the first change in it, so a crash loses at most the
 * changes of that interval; {@link #close()} writes everything. When the log grows past twice the
 * live scene it is rewritten from the live scene and swapped in with an atomic rename.
 */
public final class SessionStore implements SessionJournal, AutoCloseable {

    public static final String LOG_FILE = "session.log";
    static final String COMPACT_FILE = "session.log.compact";
    static final String LOCK_FILE = ".lock";
    private static final Logger LOG = Logger.getLogger(SessionStore.class);
    private static final int BUFFER_BYTES = 1 << 18;
    private static final long ERROR_LOG_EVERY_MILLIS = 30_000;
    private static final int CLOSE_ATTEMPTS = 3;

    private final StoreSettings settings;
    private final StoreListener listener;
    private final Path logPath;
    private final FileChannel lockChannel;
    private final FileLock lock;
    private final List<Node> restored;

    // Pending changes: written by the engine thread, taken by the writer. Guarded by {@code pendingLock}.
    private final ReentrantLock pendingLock = new ReentrantLock();
    private final Condition changed = pendingLock.newCondition();
    private List<Object> pending = new ArrayList<>();
    private int pendingCount;
    private long firstPendingNanos;
    private boolean closing;

    // Writer-thread state: the scene as the log on disk describes it.
    private final LinkedHashMap<String, Node> durable = new LinkedHashMap<>();
    private SessionState durableState;
    private long liveBytes;
    private FileChannel channel;
    private OutputStream out;
    private long goodSize;
    private long lastErrorLogMillis;
    private int closeAttempts;
    private Thread writer;

    private volatile StoreStats stats;
    /** Changes the writer has taken and not yet made durable. */
    private volatile int writing;

    private SessionStore(StoreSettings settings, StoreListener listener, FileChannel lockChannel, FileLock lock,
            List<Node> restored, SessionState state) {
        this.settings = settings;
        this.listener = listener;
        this.logPath = settings.directory().resolve(LOG_FILE);
        this.lockChannel = lockChannel;
        this.lock = lock;
        this.restored = restored;
        this.durableState = state;
        for (Node node : restored) {
            durable.put(node.uuid(), node);
        }
    }

    // ---------------------------------------------------------------- open, restore, close

    /**
     * Opens (or creates) the data directory and replays its log: a damaged tail is cut with a
     * warning, a log this version cannot read is refused. Starts the writer thread.
     */
    public static SessionStore open(StoreSettings settings, StoreListener listener) {
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
            SessionStore store = restore(absolute, listener, lockChannel, lock);
            store.startWriter();
            return store;
        } catch (AccessDeniedException e) {
            closeQuietly(lockChannel);
            throw new StoreException("Data directory " + dir + " is not writable (" + e.getFile()
                    + "); fix its permissions or set multiuser.store.directory", e);
        } catch (IOException e) {
            closeQuietly(lockChannel);
            throw new StoreException("Data directory " + dir + " cannot be used: " + e, e);
        } catch (RuntimeException e) {
            closeQuietly(lockChannel);
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
            FileLock lock) throws IOException {
        Path dir = settings.directory();
        Path log = dir.resolve(LOG_FILE);
        if (Files.deleteIfExists(dir.resolve(COMPACT_FILE))) {
            LOG.infof("Removed the unfinished compaction %s; %s is complete without it", COMPACT_FILE, log);
        }
        long started = System.nanoTime();
        StoreReader.Replay replay;
        if (Files.exists(log)) {
            try (InputStream in = Files.newInputStream(log)) {
                replay = StoreReader.read(in);
            } catch (StoreFormatException e) {
                throw new StoreException("Refusing to start on " + log + ": " + e.getMessage() + ". The file is left"
                        + " untouched: run the server version that wrote it, or move it away to start an empty session.");
            }
            if (replay.damage() != null) {
                cutDamagedTail(log, replay);
            }
        } else {
            replay = new StoreReader.Replay(new LinkedHashMap<>(), SessionState.WAITING, 0, 0, null, false);
        }

        List<Node> nodes = new ArrayList<>(replay.nodes().size());
        SessionState state;
        boolean abandonedUpload = replay.state() == SessionState.SRV_SYNC;
        if (abandonedUpload) {
            LOG.warnf("An upload was in progress when the server stopped: its %d nodes are dropped, as when an"
                    + " uploader leaves; the session waits for a new upload", replay.nodes().size());
            state = SessionState.WAITING;
        } else {
            nodes.addAll(replay.nodes().values()); // as logged: Session.restore resets the owners
            state = nodes.isEmpty() ? SessionState.WAITING : SessionState.ACTIVE;
        }
        SessionStore store = new SessionStore(settings, listener, lockChannel, lock, nodes, state);
        store.openLog(replay.validBytes());
        if (abandonedUpload) {
            StoreFormat.writeClear(store.out);
            StoreFormat.writeState(store.out, SessionState.WAITING);
            store.sync();
        }
        long millis = (System.nanoTime() - started) / 1_000_000;
        if (nodes.isEmpty()) {
            LOG.infof("Session store in %s: no saved scene, the session starts empty", dir);
        } else {
            LOG.infof("Restored the session from %s: %d nodes, %d bytes in %.2f s (%d records); owners reset to"
                    + " COMMON", log, nodes.size(), replay.payloadBytes(), millis / 1000.0, replay.records());
        }
        return store;
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

    /** Opens the log for appending at {@code validBytes}, writing the header of a new or headless log. */
    private void openLog(long validBytes) throws IOException {
        channel = FileChannel.open(logPath, StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE);
        if (validBytes < StoreFormat.HEADER_BYTES) {
            channel.truncate(0);
            channel.write(java.nio.ByteBuffer.wrap(StoreFormat.header()), 0);
            channel.force(true);
            syncDirectory(settings.directory());
            validBytes = StoreFormat.HEADER_BYTES;
        }
        channel.position(validBytes);
        goodSize = validBytes;
        out = new BufferedOutputStream(Channels.newOutputStream(channel), BUFFER_BYTES);
        liveBytes = StoreFormat.HEADER_BYTES + stateRecordBytes();
        for (Node node : durable.values()) {
            liveBytes += StoreFormat.putSize(node);
        }
        publishStats(null, System.currentTimeMillis());
    }

    /** The scene found on disk, as logged, to load into the session ({@code Session.restore}) before clients connect. */
    public List<Node> restored() {
        return restored;
    }

    /** The last write's figures, with the changes not yet durable counted now. */
    public StoreStats stats() {
        StoreStats s = stats;
        return new StoreStats(s.fileBytes(), s.liveBytes(), s.lastFlushEpochMillis(), pending(), s.lastError());
    }

    private int pending() {
        pendingLock.lock();
        try {
            return pendingCount + writing;
        } finally {
            pendingLock.unlock();
        }
    }

    public Path directory() {
        return settings.directory();
    }

    /** Writes and fsyncs every change received so far, then releases the directory. */
    @Override
    public void close() {
        pendingLock.lock();
        try {
            closing = true;
            changed.signalAll();
        } finally {
            pendingLock.unlock();
        }
        try {
            writer.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            LOG.warn("Interrupted while writing the last changes to the session log");
        }
        StoreStats last = stats();
        closeQuietly(channel);
        try {
            lock.release();
        } catch (IOException e) {
            LOG.debug("lock release failed", e);
        }
        closeQuietly(lockChannel);
        if (last.pendingChanges() > 0) {
            LOG.errorf("Session store closed with %d changes not written: %s", last.pendingChanges(), last.lastError());
        } else {
            LOG.infof("Session store closed: every change is on disk (%d nodes, log %d bytes)", durable.size(),
                    last.fileBytes());
        }
    }

    // ---------------------------------------------------------------- journal (engine thread)

    /** A change of one node; later changes of the same node in the same batch replace it. */
    private record Change(Node node, String uuid, byte kind) {
    }

    /** Clear and state changes order the batch: node changes are never moved across them. */
    private record Barrier(SessionState state) {
        static final Barrier CLEAR = new Barrier(null);
    }

    @Override
    public void put(Node node) {
        add(new Change(node, node.uuid(), StoreFormat.PUT));
    }

    @Override
    public void ownerChanged(Node node) {
        add(new Change(node, node.uuid(), StoreFormat.OWNER));
    }

    @Override
    public void deleted(String uuid) {
        add(new Change(null, uuid, StoreFormat.DELETE));
    }

    @Override
    public void cleared() {
        addBarrier(Barrier.CLEAR);
    }

    @Override
    public void stateChanged(SessionState state) {
        addBarrier(new Barrier(state));
    }

    private void add(Change change) {
        pendingLock.lock();
        try {
            merge(pending, change);
            noteAdded();
        } finally {
            pendingLock.unlock();
        }
    }

    private void addBarrier(Barrier barrier) {
        pendingLock.lock();
        try {
            pending.add(barrier);
            noteAdded();
        } finally {
            pendingLock.unlock();
        }
    }

    private void noteAdded() {
        if (pendingCount++ == 0) {
            firstPendingNanos = System.nanoTime();
            changed.signalAll();
        }
    }

    /** Adds a node change to the last run of node changes, collapsing it with an earlier one of that node. */
    @SuppressWarnings("unchecked")
    private static void merge(List<Object> batch, Change change) {
        LinkedHashMap<String, Change> run;
        if (!batch.isEmpty() && batch.get(batch.size() - 1) instanceof LinkedHashMap<?, ?> last) {
            run = (LinkedHashMap<String, Change>) last;
        } else {
            run = new LinkedHashMap<>();
            batch.add(run);
        }
        Change before = run.get(change.uuid());
        if (before != null && before.kind() == StoreFormat.DELETE && change.kind() != StoreFormat.DELETE) {
            run = new LinkedHashMap<>(); // a node created again after a delete goes last, as in the session
            batch.add(run);
            before = null;
        }
        if (change.kind() == StoreFormat.OWNER && before != null && before.kind() == StoreFormat.PUT) {
            change = new Change(change.node(), change.uuid(), StoreFormat.PUT); // the pending PUT carries the owner
        }
        run.put(change.uuid(), change);
    }

    /** Appends {@code later} after {@code batch}, keeping the collapsing rules across the seam. */
    @SuppressWarnings("unchecked")
    private static void appendBatch(List<Object> batch, List<Object> later) {
        for (Object item : later) {
            if (item instanceof LinkedHashMap<?, ?> run) {
                for (Change change : ((LinkedHashMap<String, Change>) run).values()) {
                    merge(batch, change);
                }
            } else {
                batch.add(item);
            }
        }
    }

    // ---------------------------------------------------------------- writer thread

    private void startWriter() {
        writer = new Thread(this::writeLoop, "session-store-writer");
        writer.setDaemon(true); // close() joins it; a stuck disk must not keep the JVM alive
        writer.start();
    }

    private void writeLoop() {
        while (true) {
            List<Object> batch;
            int count;
            boolean last;
            pendingLock.lock();
            try {
                while (pendingCount == 0 && !closing) {
                    changed.awaitUninterruptibly();
                }
                long dueNanos = firstPendingNanos + TimeUnit.MILLISECONDS.toNanos(settings.flushIntervalMillis());
                while (!closing && System.nanoTime() < dueNanos) {
                    changed.awaitNanos(dueNanos - System.nanoTime());
                }
                last = closing;
                count = pendingCount;
                batch = takePending();
            } catch (InterruptedException e) {
                continue; // awaitNanos: nobody interrupts this thread, but keep going if someone does
            } finally {
                pendingLock.unlock();
            }
            boolean written = count == 0 || flush(batch, count);
            if (last) {
                // A failed write is back in the pending changes: a few more tries (a full disk may have been cleaned).
                if (written || ++closeAttempts >= CLOSE_ATTEMPTS) {
                    return;
                }
                continue;
            }
            if (written && needsCompaction()) {
                try {
                    compact();
                } catch (RuntimeException e) {
                    LOG.errorf(e, "Compaction of %s failed; the log stays as it is", logPath);
                }
            }
        }
    }

    /** Hands the pending changes to the writer (counted as being written until flushed). Holds {@code pendingLock}. */
    private List<Object> takePending() {
        List<Object> batch = pending;
        writing = pendingCount;
        pending = new ArrayList<>();
        pendingCount = 0;
        return batch;
    }

    /** Writes and fsyncs a batch; on failure the batch goes back in front of the pending changes. */
    private boolean flush(List<Object> batch, int count) {
        long started = System.nanoTime();
        try {
            writeBatch(batch);
            sync();
        } catch (IOException | RuntimeException e) { // a bug must not kill the writer and lose the changes either
            requeue(batch, count);
            failed(e);
            return false;
        }
        writing = 0;
        long nanos = System.nanoTime() - started;
        publishStats(null, System.currentTimeMillis());
        listener.flushed(nanos);
        return true;
    }

    private void requeue(List<Object> batch, int count) {
        pendingLock.lock();
        try {
            List<Object> again = new ArrayList<>(batch);
            appendBatch(again, pending);
            pending = again;
            if (pendingCount == 0) {
                firstPendingNanos = System.nanoTime();
            }
            pendingCount += count;
            writing = 0;
        } finally {
            pendingLock.unlock();
        }
    }

    private void failed(Exception e) {
        publishStats(e.toString(), stats.lastFlushEpochMillis());
        long now = System.currentTimeMillis();
        if (now - lastErrorLogMillis >= ERROR_LOG_EVERY_MILLIS) {
            lastErrorLogMillis = now;
            LOG.errorf("Cannot write the session log %s: %s. The session goes on in memory with %d changes not yet"
                    + " on disk; retrying every %d ms", logPath, e, pending(),
                    Math.max(settings.flushIntervalMillis(), 100));
        }
        sleepQuietly(Math.max(settings.flushIntervalMillis(), 100));
    }

    /** Appends the records of a batch after the last good byte (dropping what a failed attempt left). */
    @SuppressWarnings("unchecked")
    private void writeBatch(List<Object> batch) throws IOException {
        if (channel.size() != goodSize) {
            channel.truncate(goodSize);
            out = new BufferedOutputStream(Channels.newOutputStream(channel), BUFFER_BYTES);
        }
        channel.position(goodSize);
        try {
            writeRecords(out, batch);
            out.flush();
        } catch (IOException e) {
            out = new BufferedOutputStream(Channels.newOutputStream(channel), BUFFER_BYTES); // drop buffered bytes
            throw e;
        }
        // Only now, with every record out, does the in-memory image follow the log.
        for (Object item : batch) {
            if (item instanceof Barrier barrier) {
                applyBarrier(barrier);
            } else {
                for (Change change : ((LinkedHashMap<String, Change>) item).values()) {
                    applyChange(change);
                }
            }
        }
    }

    private static void writeBarrier(OutputStream out, Barrier barrier) throws IOException {
        if (barrier == Barrier.CLEAR) {
            StoreFormat.writeClear(out);
        } else {
            StoreFormat.writeState(out, barrier.state());
        }
    }

    private static void writeChange(OutputStream out, Change change) throws IOException {
        switch (change.kind()) {
            case StoreFormat.PUT -> StoreFormat.writePut(out, change.node());
            case StoreFormat.OWNER -> StoreFormat.writeOwner(out, change.uuid(), change.node().owner());
            default -> StoreFormat.writeDelete(out, change.uuid());
        }
    }

    private void applyBarrier(Barrier barrier) {
        if (barrier == Barrier.CLEAR) {
            durable.clear();
            liveBytes = StoreFormat.HEADER_BYTES + stateRecordBytes();
        } else {
            durableState = barrier.state();
        }
    }

    private void applyChange(Change change) {
        Node before = change.kind() == StoreFormat.DELETE ? durable.remove(change.uuid())
                : durable.put(change.uuid(), change.node());
        if (before != null) {
            liveBytes -= StoreFormat.putSize(before);
        }
        if (change.kind() != StoreFormat.DELETE) {
            liveBytes += StoreFormat.putSize(change.node());
        }
    }

    private static long stateRecordBytes() {
        return StoreFormat.RECORD_OVERHEAD + 2;
    }

    private void sync() throws IOException {
        out.flush();
        channel.force(false);
        goodSize = channel.position();
    }

    // ---------------------------------------------------------------- compaction

    private boolean needsCompaction() {
        return goodSize > settings.compactionMinBytes() && goodSize > 2 * liveBytes;
    }

    /**
     * Rewrites the log from the live scene into a new file and renames it over the log. Changes
     * arriving meanwhile still go to the old log on time (so the durability window holds) and are
     * appended to the new file before the rename.
     */
    private void compact() {
        long started = System.nanoTime();
        long before = goodSize;
        Path compactPath = settings.directory().resolve(COMPACT_FILE);
        List<Node> scene = new ArrayList<>(durable.values());
        SessionState sceneState = durableState;
        List<Object> meanwhile = new ArrayList<>();
        try (FileChannel target = FileChannel.open(compactPath, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            OutputStream compacted = new BufferedOutputStream(Channels.newOutputStream(target), BUFFER_BYTES);
            compacted.write(StoreFormat.header());
            for (Node node : scene) {
                StoreFormat.writePut(compacted, node);
                flushIfDue(meanwhile);
            }
            StoreFormat.writeState(compacted, sceneState);
            writeRecords(compacted, meanwhile);
            compacted.flush();
            target.force(false);
            // Whatever arrived after the last check waits for the next flush, which goes to the new file.
            Files.move(compactPath, logPath, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            syncDirectory(settings.directory());
        } catch (IOException e) {
            LOG.errorf("Compaction of %s failed (%s); the log stays as it is and keeps growing", logPath, e);
            deleteQuietly(compactPath);
            return;
        }
        try {
            FileChannel old = channel;
            channel = FileChannel.open(logPath, StandardOpenOption.READ, StandardOpenOption.WRITE);
            closeQuietly(old);
            goodSize = channel.size();
            channel.position(goodSize);
            out = new BufferedOutputStream(Channels.newOutputStream(channel), BUFFER_BYTES);
        } catch (IOException e) {
            LOG.errorf("Cannot reopen the compacted log %s: %s", logPath, e);
            return;
        }
        long nanos = System.nanoTime() - started;
        publishStats(null, stats.lastFlushEpochMillis());
        listener.compacted(nanos, before, goodSize);
        LOG.infof("Compacted the session log: %d -> %d bytes (%d nodes) in %.2f s", before, goodSize, scene.size(),
                nanos / 1e9);
    }

    /** During a compaction, writes due changes to the current log and keeps them for the new one. */
    private void flushIfDue(List<Object> meanwhile) {
        List<Object> batch;
        int count;
        pendingLock.lock();
        try {
            long due = firstPendingNanos + TimeUnit.MILLISECONDS.toNanos(settings.flushIntervalMillis());
            if (pendingCount == 0 || (System.nanoTime() < due && !closing)) {
                return;
            }
            count = pendingCount;
            batch = takePending();
        } finally {
            pendingLock.unlock();
        }
        if (flush(batch, count)) {
            appendBatch(meanwhile, batch);
        }
    }

    /** The records of a batch, in its order. */
    @SuppressWarnings("unchecked")
    private static void writeRecords(OutputStream out, List<Object> batch) throws IOException {
        for (Object item : batch) {
            if (item instanceof Barrier barrier) {
                writeBarrier(out, barrier);
            } else {
                for (Change change : ((LinkedHashMap<String, Change>) item).values()) {
                    writeChange(out, change);
                }
            }
        }
    }

    // ---------------------------------------------------------------- export

    /** Writes a scene as one self-contained file in the log format (what an import reads back). */
    public static void export(Collection<Node> scene, OutputStream target) throws IOException {
        OutputStream out = new BufferedOutputStream(target, BUFFER_BYTES);
        out.write(StoreFormat.header());
        for (Node node : scene) {
            StoreFormat.writePut(out, node);
        }
        StoreFormat.writeState(out, scene.isEmpty() ? SessionState.WAITING : SessionState.ACTIVE);
        out.flush();
    }

    // ---------------------------------------------------------------- helpers

    private void publishStats(String error, long lastFlushEpochMillis) {
        stats = new StoreStats(goodSize, liveBytes, lastFlushEpochMillis, 0, error); // pending: counted on read
    }

    private static void syncDirectory(Path dir) {
        // A rename or a new file is durable once the directory is synced; not every OS allows it.
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException e) {
            LOG.debugf("directory sync of %s not supported: %s", dir, e);
        }
    }

    private static void sleepQuietly(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void deleteQuietly(Path path) {
        try {
            Files.deleteIfExists(path);
        } catch (IOException e) {
            LOG.debugf("cannot delete %s: %s", path, e);
        }
    }

    private static void closeQuietly(java.io.Closeable closeable) {
        if (closeable == null) {
            return;
        }
        try {
            closeable.close();
        } catch (IOException e) {
            LOG.debug("close failed", e);
        }
    }
}
