package io.multiuser.server.persistence;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

import io.multiuser.server.session.SessionState;

/**
 * The hand-over between the engine thread, which adds journaled changes, and the store's writer,
 * which takes them as a batch once the oldest is {@code flushInterval} old (or at once when
 * closing). Changes the writer took count as pending until it reports them durable.
 */
final class PendingChanges {

    /** A batch handed to the writer; {@code last} when the store is closing (nothing more will come). */
    record Taken(ChangeBatch batch, int count, boolean last) {
    }

    private final long intervalNanos;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private ChangeBatch batch = new ChangeBatch();
    private int count;
    private long firstNanos;
    private boolean closing;
    /** Changes the writer has taken and not yet made durable. */
    private volatile int writing;

    PendingChanges(long flushIntervalMillis) {
        this.intervalNanos = TimeUnit.MILLISECONDS.toNanos(flushIntervalMillis);
    }

    // ---------------------------------------------------------------- engine thread

    void add(ChangeBatch.NodeChange change) {
        lock.lock();
        try {
            batch.add(change);
            noteAdded();
        } finally {
            lock.unlock();
        }
    }

    void addClear() {
        lock.lock();
        try {
            batch.addClear();
            noteAdded();
        } finally {
            lock.unlock();
        }
    }

    void addState(SessionState state) {
        lock.lock();
        try {
            batch.addState(state);
            noteAdded();
        } finally {
            lock.unlock();
        }
    }

    private void noteAdded() {
        if (count++ == 0) {
            firstNanos = System.nanoTime();
            changed.signalAll();
        }
    }

    /** Changes received and not yet durable. */
    int pending() {
        lock.lock();
        try {
            return count + writing;
        } finally {
            lock.unlock();
        }
    }

    /** Lets the writer take everything at once, and then stop. */
    void close() {
        lock.lock();
        try {
            closing = true;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    // ---------------------------------------------------------------- writer thread

    /** Waits for a change, then until it is due or the store closes; takes the batch (maybe empty when closing). */
    Taken awaitDue() {
        lock.lock();
        try {
            while (count == 0 && !closing) {
                changed.awaitUninterruptibly();
            }
            long dueNanos = firstNanos + intervalNanos;
            while (!closing && System.nanoTime() < dueNanos) {
                try {
                    changed.awaitNanos(dueNanos - System.nanoTime());
                } catch (InterruptedException e) {
                    // nobody interrupts the writer; if someone does, keep waiting
                }
            }
            return take(closing);
        } finally {
            lock.unlock();
        }
    }

    /** The batch if it is due (or the store closes), else null: for the writer busy with a compaction. */
    Taken takeIfDue() {
        lock.lock();
        try {
            if (count == 0 || (System.nanoTime() < firstNanos + intervalNanos && !closing)) {
                return null;
            }
            return take(closing);
        } finally {
            lock.unlock();
        }
    }

    /** Holds the lock. */
    private Taken take(boolean last) {
        Taken taken = new Taken(batch, count, last);
        writing = count;
        batch = new ChangeBatch();
        count = 0;
        return taken;
    }

    /** The taken changes are durable. */
    void written() {
        writing = 0;
    }

    /** A taken batch could not be written: it goes back in front of the changes that came since. */
    void requeue(ChangeBatch failed, int failedCount) {
        lock.lock();
        try {
            failed.addAll(batch);
            batch = failed;
            if (count == 0) {
                firstNanos = System.nanoTime();
            }
            count += failedCount;
            writing = 0;
        } finally {
            lock.unlock();
        }
    }
}
