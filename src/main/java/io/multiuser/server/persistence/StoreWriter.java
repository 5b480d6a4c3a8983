package io.multiuser.server.persistence;

import java.io.BufferedOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

import org.jboss.logging.Logger;

import io.multiuser.server.logging.SessionLogContext;
import io.multiuser.server.protocol.Node;
import io.multiuser.server.session.Scene;
import io.multiuser.server.session.SessionState;

/**
 * The store's writer thread and everything it owns: the log file, and the {@link DurableScene}
 * that says what the log on disk describes. It takes the {@link PendingChanges} once they are
 * due, appends and fsyncs them, and compacts the log when it has grown past twice the live scene.
 * The file's header carries the lowest format version that reads it: it is raised to 2 (fsynced)
 * before the first chain record goes in, and a compaction writes the version its scene needs.
 */
final class StoreWriter {

    /** The store's category, as before the writer had its own class: log settings keep working. */
    private static final Logger LOG = Logger.getLogger(SessionStore.class);
    private static final int BUFFER_BYTES = 1 << 18;
    private static final long ERROR_LOG_EVERY_MILLIS = 30_000;
    private static final int CLOSE_ATTEMPTS = 3;

    private final StoreSettings settings;
    private final StoreListener listener;
    private final PendingChanges pending;
    private final Path logPath;
    /** The scene as the log on disk describes it; only the writer thread touches it while it runs. */
    private final DurableScene durable;
    private FileChannel channel;
    private OutputStream out;
    /** The log's length up to its last durable record. */
    private long goodSize;
    private int logVersion;
    private long lastErrorLogMillis;
    private int closeAttempts;
    private Thread thread;
    private volatile StoreStats stats;

    /**
     * Opens the log for appending at {@code validBytes} (writing the header of a new or headless
     * log); {@code durable} is what its first {@code validBytes} describe, in format {@code version}.
     */
    StoreWriter(StoreSettings settings, StoreListener listener, PendingChanges pending, DurableScene durable,
            long validBytes, int version) throws IOException {
        this.settings = settings;
        this.listener = listener;
        this.pending = pending;
        this.durable = durable;
        this.logPath = settings.directory().resolve(SessionStore.LOG_FILE);
        channel = FileChannel.open(logPath, StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE);
        logVersion = version;
        if (validBytes < StoreFormat.HEADER_BYTES) {
            channel.truncate(0);
            logVersion = StoreFormat.FIRST_VERSION;
            writeHeader(channel, logVersion);
            channel.force(true);
            syncDirectory(settings.directory());
            validBytes = StoreFormat.HEADER_BYTES;
        }
        channel.position(validBytes);
        goodSize = validBytes;
        out = newOut();
        publishStats(null, System.currentTimeMillis());
    }

    /** Drops a half-done upload found on restore: the log says so at once, the session waits for a new one. */
    void dropAbandonedUpload() throws IOException {
        StoreFormat.writeClear(out);
        StoreFormat.writeState(out, SessionState.WAITING);
        sync();
        durable.clear();
        durable.state(SessionState.WAITING);
        publishStats(null, System.currentTimeMillis());
    }

    void start() {
        thread = new Thread(SessionLogContext.carry(this::run), SessionLogContext.threadName("session-store-writer"));
        thread.setDaemon(true); // close joins it; a stuck disk must not keep the JVM alive
        thread.start();
    }

    /** Waits until the writer has written what it could after {@link PendingChanges#close()}, then closes the log. */
    void awaitAndClose() throws InterruptedException {
        try {
            thread.join();
        } finally {
            closeQuietly(channel);
        }
    }

    /** The figures of the last write; pending changes are counted by {@link PendingChanges}. */
    StoreStats stats() {
        return stats;
    }

    /** Nodes in the durable scene (read after {@link #awaitAndClose}). */
    int durableNodes() {
        return durable.size();
    }

    // ---------------------------------------------------------------- the loop

    private void run() {
        while (true) {
            PendingChanges.Taken taken = pending.awaitDue();
            boolean written = taken.count() == 0 || flush(taken.batch(), taken.count());
            if (taken.last()) {
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

    /** Appends and fsyncs a batch; on failure the batch goes back in front of the pending changes. */
    private boolean flush(ChangeBatch batch, int count) {
        long started = System.nanoTime();
        try {
            append(batch);
        } catch (IOException | RuntimeException e) { // a bug must not kill the writer and lose the changes either
            pending.requeue(batch, count);
            failed(e);
            return false;
        }
        batch.applyTo(durable); // only now, with every record durable, does the image follow the log
        pending.written();
        long nanos = System.nanoTime() - started;
        publishStats(null, System.currentTimeMillis());
        listener.flushed(nanos);
        return true;
    }

    /** Writes the records of a batch after the last good byte (dropping what a failed attempt left), and fsyncs. */
    private void append(ChangeBatch batch) throws IOException {
        if (batch.needsChainFormat() && logVersion < StoreFormat.VERSION) {
            writeHeader(channel, StoreFormat.VERSION); // before the first record a version-1 reader would cut
            channel.force(false);
            logVersion = StoreFormat.VERSION;
        }
        if (channel.size() != goodSize) {
            channel.truncate(goodSize);
            out = newOut();
        }
        channel.position(goodSize);
        try {
            batch.writeTo(out);
            out.flush();
        } catch (IOException e) {
            out = newOut(); // drop buffered bytes
            throw e;
        }
        sync();
    }

    private void failed(Exception e) {
        publishStats(e.toString(), stats.lastFlushEpochMillis());
        long now = System.currentTimeMillis();
        if (now - lastErrorLogMillis >= ERROR_LOG_EVERY_MILLIS) {
            lastErrorLogMillis = now;
            LOG.errorf("Cannot write the session log %s: %s. The session goes on in memory with %d changes not yet"
                    + " on disk; retrying every %d ms", logPath, e, pending.pending(),
                    Math.max(settings.flushIntervalMillis(), 100));
        }
        sleepQuietly(Math.max(settings.flushIntervalMillis(), 100));
    }

    private void sync() throws IOException {
        out.flush();
        channel.force(false);
        goodSize = channel.position();
    }

    // ---------------------------------------------------------------- compaction

    private boolean needsCompaction() {
        return goodSize > settings.compactionMinBytes() && goodSize > 2 * durable.liveBytes();
    }

    /**
     * Rewrites the log from the durable scene (each node's put and its chain as logged) into a new
     * file and renames it over the log. Changes arriving meanwhile still go to the old log on time
     * (so the durability window holds) and are appended to the new file before the rename.
     */
    private void compact() {
        long started = System.nanoTime();
        long before = goodSize;
        Path compactPath = settings.directory().resolve(SessionStore.COMPACT_FILE);
        Scene scene = durable.scene(); // a snapshot: flushes meanwhile change the durable scene
        SessionState sceneState = durable.state();
        int version = StoreFormat.versionFor(scene);
        ChangeBatch meanwhile = new ChangeBatch();
        try (FileChannel target = FileChannel.open(compactPath, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            OutputStream compacted = new BufferedOutputStream(Channels.newOutputStream(target), BUFFER_BYTES);
            compacted.write(StoreFormat.header(version));
            for (Node node : scene.nodes()) {
                StoreFormat.writeNode(compacted, node, scene.chain(node.uuid()));
                flushIfDue(meanwhile);
            }
            StoreFormat.writeState(compacted, sceneState);
            meanwhile.writeTo(compacted);
            compacted.flush();
            if (meanwhile.needsChainFormat() && version < StoreFormat.VERSION) {
                version = StoreFormat.VERSION;
                writeHeader(target, version);
            }
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
            out = newOut();
            logVersion = version;
        } catch (IOException e) {
            LOG.errorf("Cannot reopen the compacted log %s: %s", logPath, e);
            return;
        }
        long nanos = System.nanoTime() - started;
        publishStats(null, stats.lastFlushEpochMillis());
        listener.compacted(nanos, before, goodSize);
        LOG.infof("Compacted the session log: %d -> %d bytes (%d nodes) in %.2f s", before, goodSize,
                scene.nodes().size(), nanos / 1e9);
    }

    /** During a compaction, writes due changes to the current log and keeps them for the new one. */
    private void flushIfDue(ChangeBatch meanwhile) {
        PendingChanges.Taken taken = pending.takeIfDue();
        if (taken != null && flush(taken.batch(), taken.count())) {
            meanwhile.addAll(taken.batch());
        }
    }

    // ---------------------------------------------------------------- helpers

    private OutputStream newOut() {
        return new BufferedOutputStream(Channels.newOutputStream(channel), BUFFER_BYTES);
    }

    private void publishStats(String error, long lastFlushEpochMillis) {
        stats = new StoreStats(goodSize, durable.liveBytes(), lastFlushEpochMillis, 0, error);
    }

    /** Writes a header at the start of a file, wherever its position is. */
    private static void writeHeader(FileChannel file, int version) throws IOException {
        ByteBuffer header = ByteBuffer.wrap(StoreFormat.header(version));
        while (header.hasRemaining()) {
            file.write(header, header.position());
        }
    }

    static void syncDirectory(Path dir) {
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

    static void closeQuietly(Closeable closeable) {
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
