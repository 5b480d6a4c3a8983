package io.multiuser.server.memory;

import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

import javax.management.ListenerNotFoundException;
import javax.management.NotificationEmitter;
import javax.management.NotificationListener;
import javax.management.openmbean.CompositeData;

import org.jboss.logging.Logger;

import com.sun.management.GarbageCollectionNotificationInfo;
import com.sun.management.HotSpotDiagnosticMXBean;

/**
 * Starts a collection after every so many bytes of big, short-lived arrays: the frames of big payloads
 * once they are in their spill file or replaced by a newer version, the copies read back from the file
 * (a compaction's moves, and a send where the file cannot be mapped: a join sends from its pages), and
 * the pickles a three-port late join wraps each node in. The compact heuristics would otherwise collect
 * only every ten seconds or after 10 % of the maximum heap (600 MB on a 24 GiB host), so a fast upload,
 * join or stream of big edits would grow the heap by its whole size in garbage, every MiB of it memory
 * the process never touched (issue #19: resident size, and ~3 ms of page faults per MiB on a
 * paravirtualised host).
 * <p>
 * A paced cycle must not give memory back: the next frames would fault it in again. {@code System.gc()}
 * would (JDK 17's Shenandoah uncommits every free region after an explicit cycle), so the pacer lowers
 * {@code SoftMaxHeapSize} for a moment instead, to a little above the most the heap ever held: the
 * heuristics take that as a reason to collect at once, and the change uncommits only memory never
 * touched. It goes back up at the cycle's first pause. Where that starts no cycle within 200 ms, or
 * the flag cannot be changed, {@code System.gc()} it is. Idle trims ({@link IdleMemoryTrim}) and the
 * five-minute uncommit delay still give memory back when the server is quiet.
 * <p>
 * One per JVM, like the heap it paces. Only under a collector that runs {@code System.gc()}
 * concurrently (Shenandoah); elsewhere it counts nothing. The count starts again at the end of every
 * cycle, whatever started it, so a trickle of big datablocks between the periodic cycles adds none.
 */
public final class HeapPacer {

    private static final Logger LOG = Logger.getLogger(HeapPacer.class);
    /** Garbage allowed between two cycles: well under the heap's idle size, well over one datablock. */
    static final long DEFAULT_EVERY_BYTES = 8L << 20;
    static final int REPLACED_BUDGET_FACTOR = 4;
    /**
     * HotSpot's names of the causes Shenandoah treats as explicit, after which it uncommits every free
     * region at once: {@code System.gc()} (the idle trim's, this pacer's fallback), {@code jcmd GC.run},
     * JVMTI, heap inspection and dumps.
     */
    private static final Set<String> EXPLICIT_CAUSES = Set.of("System.gc()", "Diagnostic Command",
            "JvmtiEnv ForceGarbageCollection", "Heap Inspection Initiated GC", "Heap Dump Initiated GC");
    private static final HeapPacer SHARED = new HeapPacer(DEFAULT_EVERY_BYTES, explicitGcIsConcurrent());
    /** How long a lowered soft maximum may take to start a cycle: the control thread looks every 1-10 ms. */
    private static final long NUDGE_NANOS = 200_000_000L;

    private final long everyBytes;
    private final boolean active;
    private final AtomicLong bytes = new AtomicLong();
    private final AtomicLong replaced = new AtomicLong();
    private final SoftMaxHeap softMax;
    private final AtomicLong requestedCycles = new AtomicLong();
    private final AtomicLong nudgesIgnored = new AtomicLong();
    private final HeapGauge heap;
    private final AtomicLong pauses = new AtomicLong();
    /** Shenandoah's beans: "Cycles" tells the end of each concurrent cycle, "Pauses" each of its pauses. */
    private final NotificationListener onCollection = (notification, handback) -> {
        if (handback == Bean.PAUSES) {
            pauseSeen();
        } else if (notification.getUserData() instanceof CompositeData data) {
            cycleEnded(GarbageCollectionNotificationInfo.from(data).getGcCause());
        }
    };
    private volatile Thread thread;
    private volatile boolean stopped;

    private enum Bean { CYCLES, PAUSES }

    HeapPacer(long everyBytes, boolean active) {
        this(everyBytes, active, active ? SoftMaxHeap.ofThisJvm() : null, HeapGauge.ofThisJvm());
    }

    /** {@code softMax} null: cycles are asked for with {@code System.gc()}. */
    HeapPacer(long everyBytes, boolean active, SoftMaxHeap softMax, HeapGauge heap) {
        this.everyBytes = everyBytes;
        this.active = active;
        this.softMax = softMax;
        this.heap = heap;
        if (active) {
            collectorBeans().forEach((bean, kind) -> bean.addNotificationListener(onCollection, null, kind));
        }
    }

    private static Map<NotificationEmitter, Bean> collectorBeans() {
        Map<NotificationEmitter, Bean> beans = new HashMap<>();
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            if (gc instanceof NotificationEmitter emitter) {
                if (gc.getName().endsWith("Cycles")) {
                    beans.put(emitter, Bean.CYCLES);
                } else if (gc.getName().endsWith("Pauses")) {
                    beans.put(emitter, Bean.PAUSES);
                }
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
            for (NotificationEmitter bean : collectorBeans().keySet()) {
                try {
                    bean.removeNotificationListener(onCollection);
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

    /**
     * A big payload of {@code length} bytes was replaced by a newer version (or its node deleted): its
     * frame is garbage once its sends are gone. A stream of big edits starts a cycle every so many
     * bytes while the heap grows past the most it ever held (memory it never touched, faulted in as it
     * is allocated), and only every {@value #REPLACED_BUDGET_FACTOR} times as many bytes while it reuses
     * what it has: each cycle costs tens of milliseconds of a core (class unloading among them),
     * however little there is to free. Cheap; any thread.
     */
    public void replacedBytes(long length) {
        if (!active || stopped) {
            return;
        }
        long before = replaced.getAndAdd(length);
        if ((before + length) / everyBytes != before / everyBytes) {
            wake(); // the pacer's thread decides, at most once per everyBytes
        }
    }

    /**
     * A cycle ended: what was garbage when it started is gone. After an explicit one the heap also gave
     * its free memory back, so what it held before no longer counts as touched.
     */
    void cycleEnded(String cause) {
        bytes.set(0);
        replaced.set(0);
        if (EXPLICIT_CAUSES.contains(cause)) {
            heap.resetPeak();
        }
    }

    /** A pause of the collector: a cycle is under way, the lowered soft maximum has done its job. */
    void pauseSeen() {
        pauses.incrementAndGet();
        Thread t = thread;
        if (t != null) {
            LockSupport.unpark(t);
        }
    }

    /** Cycles asked for so far: for tests and logs. */
    long requestedCycles() {
        return requestedCycles.get();
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
            if (!due()) {
                LockSupport.park(this);
                continue;
            }
            bytes.set(0);
            replaced.set(0);
            requestedCycles.incrementAndGet();
            try {
                collect();
            } catch (RuntimeException e) {
                LOG.debugf("Paced collection failed: %s", e);
            }
        }
    }

    private boolean due() {
        long edits = replaced.get();
        return bytes.get() >= everyBytes || edits >= everyBytes * REPLACED_BUDGET_FACTOR
                || edits >= everyBytes && heap.used() + everyBytes >= heap.peak();
    }

    /** One concurrent cycle, which gives back no memory the heap used if it can; only this thread waits. */
    private void collect() {
        long seen = pauses.get();
        if (softMax != null && softMax.lowerTo(lowered())) {
            try {
                // back as soon as the cycle starts: lowered for all of it, it could start the next one too
                long deadline = System.nanoTime() + NUDGE_NANOS;
                long left;
                while (pauses.get() == seen && !stopped && (left = deadline - System.nanoTime()) > 0) {
                    LockSupport.parkNanos(this, left);
                }
            } finally {
                softMax.restore();
            }
            if (pauses.get() != seen || stopped) {
                return;
            }
            if (nudgesIgnored.incrementAndGet() == 1) {
                LOG.infof("Lowering SoftMaxHeapSize started no collection within %d ms; paced collections use"
                        + " System.gc(), which gives the heap's free memory back each time", NUDGE_NANOS / 1_000_000);
            }
        }
        System.gc();
    }

    /**
     * The soft maximum to lower to: a little above the most the heap ever held, which keeps the regions
     * it touched (a fresh JVM's initial heap is committed but was never touched), and never above the
     * committed heap. So low, Shenandoah collects at once: what is free below it is less than its
     * minimum once the collector's evacuation reserve (5 % of the maximum heap) is set aside.
     */
    private long lowered() {
        long committed = heap.committed();
        long peak = heap.peak();
        return Math.min(committed + committed / 16, peak + peak / 8);
    }

    /** Lowered soft maxima that started no cycle in time, so that System.gc() was asked after all. */
    long nudgesIgnored() {
        return nudgesIgnored.get();
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
