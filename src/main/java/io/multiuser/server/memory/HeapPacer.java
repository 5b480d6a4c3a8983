package io.multiuser.server.memory;

import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

import javax.management.ListenerNotFoundException;
import javax.management.NotificationEmitter;
import javax.management.NotificationListener;

import org.jboss.logging.Logger;

import com.sun.management.HotSpotDiagnosticMXBean;

/**
 * Starts a collection after every so many bytes of big, short-lived arrays: the frames of spilled
 * payloads once they are in their file, the copies read back from it (a compaction's moves, and a
 * send where the file cannot be mapped: a join sends from its pages), and the pickles a three-port
 * late join wraps each node in. The compact
 * heuristics would otherwise collect only every ten seconds or after 10 % of the maximum heap (600 MB
 * on a 24 GiB host), so a fast upload or join would grow the heap by its whole size in garbage
 * (issue #19: the resident size while a scene is uploaded and joined).
 * <p>
 * One per JVM, like the heap it paces. Only under a collector that runs {@code System.gc()}
 * concurrently (Shenandoah); elsewhere it counts nothing. The count starts again at the end of every
 * cycle, whatever started it, so a trickle of big datablocks between the periodic cycles adds none.
 */
public final class HeapPacer {

    private static final Logger LOG = Logger.getLogger(HeapPacer.class);
    /** Garbage allowed between two cycles: well under the heap's idle size, well over one datablock. */
    static final long DEFAULT_EVERY_BYTES = 8L << 20;
    private static final HeapPacer SHARED = new HeapPacer(DEFAULT_EVERY_BYTES, explicitGcIsConcurrent());

    private final long everyBytes;
    private final boolean active;
    private final AtomicLong bytes = new AtomicLong();
    private final AtomicLong explicitCycles = new AtomicLong();
    private final NotificationListener onCycleEnd = (notification, handback) -> cycleEnded();
    private volatile Thread thread;
    private volatile boolean stopped;

    HeapPacer(long everyBytes, boolean active) {
        this.everyBytes = everyBytes;
        this.active = active;
        if (active) {
            for (NotificationEmitter cycles : cycleBeans()) {
                cycles.addNotificationListener(onCycleEnd, null, null);
            }
        }
    }

    /** Shenandoah's "Cycles" bean: one notification at the end of each concurrent cycle. */
    private static List<NotificationEmitter> cycleBeans() {
        List<NotificationEmitter> beans = new ArrayList<>();
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            if (gc instanceof NotificationEmitter emitter && gc.getName().endsWith("Cycles")) {
                beans.add(emitter);
            }
        }
        return beans;
    }

    /**
     * Stops pacing for good: the thread ends and the collector forgets the listener (the server's
     * shutdown, so that a dev-mode reload leaves neither behind).
     */
    public void stop() {
        stopped = true;
        if (active) {
            for (NotificationEmitter cycles : cycleBeans()) {
                try {
                    cycles.removeNotificationListener(onCycleEnd);
                } catch (ListenerNotFoundException e) {
                    // never added to this one
                }
            }
        }
        Thread t = thread;
        if (t != null) {
            LockSupport.unpark(t);
        }
    }

    /** The JVM's pacer. */
    public static HeapPacer shared() {
        return SHARED;
    }

    /** {@code length} bytes of big arrays became, or will soon be, garbage. Cheap; any thread. */
    public void transientBytes(long length) {
        if (active && !stopped && bytes.addAndGet(length) >= everyBytes) {
            wake();
        }
    }

    /** A cycle ended: what was garbage when it started is gone. */
    void cycleEnded() {
        bytes.set(0);
    }

    /** Explicit cycles started so far: for tests and logs. */
    long explicitCycles() {
        return explicitCycles.get();
    }

    private void wake() {
        Thread t = thread;
        if (t == null) {
            synchronized (this) {
                if (thread == null) {
                    t = new Thread(this::run, "heap-pacer");
                    t.setDaemon(true);
                    t.setContextClassLoader(null); // keeps no application class loader alive
                    thread = t;
                    t.start();
                    return;
                }
                t = thread;
            }
        }
        LockSupport.unpark(t);
    }

    private void run() {
        while (!stopped) {
            if (bytes.get() < everyBytes) {
                LockSupport.park(this);
                continue;
            }
            bytes.set(0);
            explicitCycles.incrementAndGet();
            try {
                System.gc(); // concurrent: only this thread waits for it
            } catch (RuntimeException e) {
                LOG.debugf("Paced collection failed: %s", e);
            }
        }
    }

    /**
     * Whether System.gc() runs as a concurrent cycle: Shenandoah with ExplicitGCInvokesConcurrent,
     * which its compact heuristics set; anywhere else it could stop the world.
     */
    static boolean explicitGcIsConcurrent() {
        boolean shenandoah = false;
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            shenandoah |= gc.getName().startsWith("Shenandoah");
        }
        if (!shenandoah) {
            return false;
        }
        try {
            return Boolean.parseBoolean(ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class)
                    .getVMOption("ExplicitGCInvokesConcurrent").getValue());
        } catch (RuntimeException e) {
            return false; // not a HotSpot JVM: rather no explicit cycle than a pause
        }
    }
}
