package io.multiuser.server.memory;

import java.io.IOException;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.function.LongSupplier;

import org.jboss.logging.Logger;

import io.multiuser.server.logging.ThrottledLog;
import io.multiuser.server.protocol.Node;
import io.multiuser.server.protocol.Payload;

/**
 * Keeps a session's big payloads in a file instead of on the heap (issue #19: a scene's bytes need
 * not be resident; the page cache serves a join as fast). Owned by the session's engine thread, which
 * {@linkplain #offer offers} every node the scene stores and calls {@link #flush} at the end of each
 * loop turn, after the turn's sends have taken the arrays they need.
 * <p>
 * A payload is written once it has stayed {@value #SETTLE_MILLIS} ms, or earlier when more than
 * {@value #PENDING_MAX_MIB} MiB wait. A node edited again before that is never written: a mesh being
 * sculpted stays on the heap, the rest of the scene goes to the file. An admin's upload is written as
 * it arrives: nobody gets its nodes before it ends, and its frames would otherwise pile up.
 * <p>
 * Replaced payloads leave dead bytes in the file. Once it has grown by more than the live bytes (and
 * at least {@value #CHECK_EVERY_MIB} MiB) since the last look, the scene is scanned; if less than half
 * the file is live, the live payloads move to a new file, a few MiB per turn, and the old file goes
 * when the last payload pointing into it does.
 */
public final class PayloadSpill {

    private static final Logger LOG = Logger.getLogger(PayloadSpill.class);
    public static final long SETTLE_MILLIS = 2_000;
    static final int PENDING_MAX_MIB = 16;
    static final int CHECK_EVERY_MIB = 64;
    private static final long PENDING_MAX_BYTES = (long) PENDING_MAX_MIB << 20;
    private static final long CHECK_EVERY_BYTES = (long) CHECK_EVERY_MIB << 20;
    /** Bytes moved to a compacted file per turn: a few milliseconds of the engine's time. */
    private static final long MOVE_PER_TURN_BYTES = 4L << 20;
    /**
     * The file's pages sent from are dropped from the resident set after this many bytes: a join sends
     * at most its snapshot window (8 MiB by default) ahead of what the joiner acknowledged, so what lies
     * further back has gone out.
     */
    static final long RELEASE_EVERY_BYTES = 8L << 20;
    /** ... or once no send has taken pages for this long: the end of a join. */
    static final long RELEASE_AFTER_MILLIS = 1_000;

    private final SpillSettings settings;
    private final HeapPacer pacer;
    private final LongSupplier clockMillis;
    private final ThrottledLog failures = new ThrottledLog(LOG, 1, 60_000);
    /** Payloads waiting to settle, oldest first; {@link #latest} says which are still the node's. */
    private final ArrayDeque<Pending> pending = new ArrayDeque<>();
    private final Map<String, Pending> latest = new HashMap<>();
    private long pendingBytes;
    private boolean uploading;
    private final ArrayDeque<Payload> moving = new ArrayDeque<>();
    private SpillFile file;
    private SpillFile movingFrom;
    private long appendedSinceCheck;
    private long liveAtCheck;
    private long spilledPayloads;
    private long lentSeen;
    private long lentSeenAt;

    public PayloadSpill(SpillSettings settings, HeapPacer pacer, LongSupplier clockMillis) {
        this.settings = settings;
        this.pacer = pacer;
        this.clockMillis = clockMillis;
    }

    private static final class Pending {
        final String uuid;
        final long since;
        /** Null once the node has another payload or is gone: a hot node's old versions must not stay alive here. */
        Payload payload;

        Pending(String uuid, Payload payload, long since) {
            this.uuid = uuid;
            this.payload = payload;
            this.since = since;
        }
    }

    /** The scene now holds {@code node}: its payload is written later if it is big and stays. */
    public void offer(Node node) {
        forget(node.uuid());
        Payload payload = node.payload();
        if (!payload.inMemory()) {
            adopt(payload);
            return;
        }
        if (settings.enabled() && payload.length() >= settings.thresholdBytes()) {
            if (uploading) {
                write(payload); // an upload's nodes go to nobody before it ends: its frames need not wait
                return;
            }
            Pending entry = new Pending(node.uuid(), payload, clockMillis.getAsLong());
            pending.add(entry);
            latest.put(node.uuid(), entry);
            pendingBytes += payload.length();
            if (pendingBytes > PENDING_MAX_BYTES) {
                writeSettled(entry.since, payload.length()); // a burst of big edits must not pile up for a whole turn
            }
        }
    }

    /**
     * A payload already in a spill file: a restored or imported scene's, which {@link PayloadStash}
     * put in a file of its own. The first such file becomes this session's, if it has none (the
     * scene was empty or just cleared); a payload in any other file moves to this one, like a
     * compaction's, so that one file holds the session's pages.
     */
    private void adopt(Payload payload) {
        Payload.Backing backing = payload.backing();
        if (backing == file || backing == movingFrom || !(backing instanceof SpillFile other)) {
            return;
        }
        if (file == null) {
            file = other;
            LOG.debugf("The scene's big payloads were read into a spill file in %s; the session keeps it",
                    settings.directory());
        } else {
            moving.add(payload);
        }
    }

    /** Offers every node of {@code nodes}: a restored scene, which is not journaled. */
    public void offerAll(Iterable<Node> nodes) {
        for (Node node : nodes) {
            offer(node);
        }
    }

    /** Whether an admin's scene upload is under way: its payloads are written at once. */
    public void uploading(boolean underWay) {
        uploading = underWay;
    }

    /** The node is gone or has a new payload: the old one, if still waiting, is not written, and its frame is garbage. */
    public void forget(String uuid) {
        Pending previous = latest.remove(uuid);
        if (previous != null) {
            pendingBytes -= previous.payload.length();
            pacer.replacedBytes(previous.payload.length());
            previous.payload = null;
        }
    }

    /**
     * The scene was cleared (or is being replaced): nothing in the file is live any more, so the next
     * payload starts a new one, or the replacing scene's file is adopted. The old file goes once the
     * sends still reading it are done.
     */
    public void cleared() {
        forgetAll();
        releaseAll();
        file = null;
        movingFrom = null;
        moving.clear();
        appendedSinceCheck = 0;
        liveAtCheck = 0;
        lentSeen = 0;
    }

    /** No payload waiting is written any more (the file refused them, or the scene was cleared). */
    void forgetAll() {
        for (Pending entry : latest.values()) {
            entry.payload = null;
        }
        latest.clear();
        pendingBytes = 0;
    }

    /** Whether {@link #flush} may have work. */
    public boolean hasWork() {
        return !pending.isEmpty() || !moving.isEmpty() || file != null && file.lentSinceRelease() > 0;
    }

    /**
     * Writes the payloads that settled, moves a share of a compaction, and lets go of the file pages
     * that sends took; {@code scene} is the session's nodes.
     */
    public void flush(Iterable<Node> scene) {
        long now = clockMillis.getAsLong();
        writeSettled(now, 0);
        move();
        releaseSent(now);
        if (appendedSinceCheck >= Math.max(CHECK_EVERY_BYTES, liveAtCheck)) {
            check(scene);
        }
    }

    /**
     * Writes the oldest waiting payloads that settled or do not fit the budget, but never the
     * {@code spare} newest bytes: a datablock's own sends, still to come, take it from the heap.
     */
    private void writeSettled(long now, long spare) {
        Pending head;
        while ((head = pending.peek()) != null) {
            Payload payload = head.payload;
            if (payload != null && (now - head.since < SETTLE_MILLIS && pendingBytes <= PENDING_MAX_BYTES
                    || pendingBytes - payload.length() < spare)) {
                break;
            }
            pending.poll();
            if (payload == null) {
                continue;
            }
            latest.remove(head.uuid);
            pendingBytes -= payload.length();
            if (payload.inMemory() && !write(payload)) {
                forgetAll(); // the file cannot take them: they stay on the heap
                pending.clear();
                break;
            }
        }
    }

    /** Bytes in the current file, dead ones included. */
    public long fileBytes() {
        return file == null ? 0 : file.size();
    }

    /** Payloads written to a spill file so far (moves of a compaction not counted). */
    public long spilledPayloads() {
        return spilledPayloads;
    }

    private boolean write(Payload payload) {
        try {
            if (file == null) {
                file = SpillFile.create(settings.directory(), pacer);
                LOG.infof("Payloads of %d bytes or more are kept in a file in %s instead of on the heap",
                        settings.thresholdBytes(), settings.directory());
            }
            payload.spill(file, file.append(payload));
            appendedSinceCheck += payload.length();
            spilledPayloads++;
            pacer.transientBytes(payload.length()); // its frame is garbage now (once every send has gone)
            return true;
        } catch (IOException e) {
            failures.warn("write", "Cannot spill payloads to " + settings.directory() + " (" + e
                    + "); they stay on the heap");
            return false;
        }
    }

    /** Looks at how much of the file is live; starts a compaction when less than half is. */
    private void check(Iterable<Node> scene) {
        appendedSinceCheck = 0;
        liveAtCheck = 0;
        for (Node node : scene) {
            if (node.payload().backing() == file) {
                liveAtCheck += node.payload().length();
            }
        }
        if (!moving.isEmpty() || liveAtCheck * 2 >= file.size()) {
            return;
        }
        try {
            SpillFile next = SpillFile.create(settings.directory(), pacer);
            LOG.debugf("Compacting the payload spill file: %d of %d bytes live", liveAtCheck, file.size());
            for (Node node : scene) {
                if (node.payload().backing() == file) {
                    moving.add(node.payload());
                }
            }
            movingFrom = file;
            file = next;
        } catch (IOException e) {
            failures.warn("compact", "Cannot create a payload spill file in " + settings.directory() + " (" + e
                    + "); the current one keeps growing");
        }
    }

    private void move() {
        long moved = 0;
        Payload payload;
        while (moved < MOVE_PER_TURN_BYTES && (payload = moving.poll()) != null) {
            Payload.Backing backing = payload.backing();
            if (backing == file || backing == null) {
                continue; // moved already (a node may be queued twice), or never spilled
            }
            try {
                payload.spill(file, file.append(payload)); // read back into a heap copy, then written
                moved += payload.length();
            } catch (IOException e) {
                failures.warn("compact", "Cannot compact the payload spill file (" + e + "); the old one is kept");
                moving.clear();
            }
        }
        if (moving.isEmpty() && movingFrom != null) {
            movingFrom.release(); // its mappings go with it, but not before a collection
            movingFrom = null; // closed once nothing points into it
        }
    }

    /** Drops the pages that sends took from the file, every so many bytes and once the sends stop. */
    private void releaseSent(long now) {
        if (file == null) {
            return;
        }
        long lent = file.lentSinceRelease() + (movingFrom == null ? 0 : movingFrom.lentSinceRelease());
        if (lent != lentSeen) {
            lentSeen = lent;
            lentSeenAt = now;
        }
        if (lent >= RELEASE_EVERY_BYTES || lent > 0 && now - lentSeenAt >= RELEASE_AFTER_MILLIS) {
            releaseAll();
            lentSeen = 0;
        }
    }

    private void releaseAll() {
        if (file != null) {
            file.release();
        }
        if (movingFrom != null) {
            movingFrom.release();
        }
    }
}
