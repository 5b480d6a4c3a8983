package io.multiuser.server.memory;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.HashMap;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.interceptor.Interceptor;

import org.jboss.logging.Logger;

import io.multiuser.server.config.ServerSettings;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;

/**
 * Gives memory the server no longer uses back to the OS when it is quiet (issue #19): the start's
 * leftovers (Quarkus' boot leaves 50-100 MiB of dead objects, the JIT its freed arenas), then once per
 * quiet spell of {@code multiuser.memory.idle-trim-after}; {@link TrimSchedule} says when. Both the heap's free
 * regions (one explicit cycle, which Shenandoah runs concurrently and follows by uncommitting at once;
 * other collectors could stop the world for it, so they are left alone) and malloc's free pages.
 *
 * <p>While the server works nothing is given back: the deployed five-minute uncommit delay exists
 * because memory handed back under load is faulted in again at great cost (ADR 0003). Work is the CPU
 * of the application's threads, not the GC's: with a big scene, the periodic GC cycle alone would look
 * busy forever.
 */
@ApplicationScoped
public class IdleMemoryTrim {

    private static final Logger LOG = Logger.getLogger(IdleMemoryTrim.class);

    private final MemoryConfig config;
    private final Map<Long, Long> cpuByThread = new HashMap<>();
    private ScheduledExecutorService timer;
    private TrimSchedule schedule;
    private boolean concurrentCollector;

    public IdleMemoryTrim(MemoryConfig config) {
        this.config = config;
    }

    /** Early, so that a bad setting stops the start before any session port is bound. */
    void onStart(@Observes @Priority(Interceptor.Priority.PLATFORM_BEFORE) StartupEvent event) {
        long millis = config.idleTrimAfter().toMillis();
        if (millis < 0) {
            throw new ServerSettings.InvalidConfigException("Invalid configuration: multiuser.memory.idle-trim-after="
                    + config.idleTrimAfter().toSeconds() + "s: must not be negative (0s turns idle trims off)");
        }
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        if (!threads.isThreadCpuTimeSupported() || !threads.isThreadCpuTimeEnabled()) {
            // without it every second looks quiet, and memory would be handed back under load
            LOG.debug("Memory trim off: this JVM does not measure thread CPU time");
            return;
        }
        schedule = new TrimSchedule((int) Math.min((millis + 999) / 1000, Integer.MAX_VALUE));
        concurrentCollector = HeapPacer.explicitGcIsConcurrent();
        timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "memory-trim");
            t.setDaemon(true);
            return t;
        });
        timer.execute(this::applicationCpuSinceLastTick); // the baseline, so that ticks count from here
        timer.scheduleWithFixedDelay(this::tick, 1, 1, TimeUnit.SECONDS);
    }

    void onStop(@Observes ShutdownEvent event) {
        if (timer != null) {
            timer.shutdownNow(); // dev mode's live reload must not leave the thread behind
        }
    }

    private void tick() {
        try {
            TrimSchedule.Decision decision = schedule.tick(applicationCpuSinceLastTick(),
                    () -> NativeHeap.residentBytes().orElse(-1), NativeHeap::freeBytes);
            if (decision != TrimSchedule.Decision.WAIT) {
                schedule.trimmed(trim(decision).orElse(-1), NativeHeap.freeBytes());
            }
        } catch (RuntimeException e) { // once: rather no trim than a warning every second
            LOG.warnf("Memory trim stopped: %s", e.toString());
            timer.shutdown();
        }
    }

    /** CPU of every Java thread but this one since the last tick (GC and JIT threads are not Java threads). */
    private long applicationCpuSinceLastTick() {
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        long self = Thread.currentThread().getId();
        long total = 0;
        Map<Long, Long> now = new HashMap<>();
        for (long id : threads.getAllThreadIds()) {
            long cpu = id == self ? -1 : threads.getThreadCpuTime(id);
            if (cpu >= 0) {
                now.put(id, cpu);
                total += cpu - cpuByThread.getOrDefault(id, 0L);
            }
        }
        cpuByThread.clear();
        cpuByThread.putAll(now);
        return total;
    }

    /** Gives back what it can; the resident size it leaves, when known. */
    private OptionalLong trim(TrimSchedule.Decision why) {
        OptionalLong before = NativeHeap.residentBytes();
        boolean heap = concurrentCollector;
        if (heap) {
            System.gc();
        }
        boolean nativeTrimmed = NativeHeap.trim();
        OptionalLong after = NativeHeap.residentBytes();
        String figures = before.isPresent() && after.isPresent()
                ? String.format("resident %d → %d MiB", before.getAsLong() >> 20, after.getAsLong() >> 20)
                : "resident size unknown";
        String what = heap && nativeTrimmed ? "heap and native memory" : heap ? "heap" : nativeTrimmed ? "native memory"
                : "nothing this JVM can give back";
        if (why != TrimSchedule.Decision.AFTER_WORK) { // routine: the start's leftovers, idle growth
            LOG.debugf("Unused memory returned to the OS (%s, %s): %s", why, what, figures);
        } else {
            LOG.infof("Quiet for %d s: unused memory returned to the OS (%s): %s",
                    config.idleTrimAfter().toSeconds(), what, figures);
        }
        return after;
    }
}
