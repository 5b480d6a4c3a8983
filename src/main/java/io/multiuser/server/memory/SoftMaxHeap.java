package io.multiuser.server.memory;

import java.lang.management.ManagementFactory;

import org.jboss.logging.Logger;

import com.sun.management.HotSpotDiagnosticMXBean;
import com.sun.management.VMOption;

/**
 * The JVM's {@code SoftMaxHeapSize}, which HotSpot lets a running JVM change: Shenandoah's heuristics
 * measure their triggers against it (compact: a cycle once 10 % of it was allocated since the last
 * one), and a change makes it uncommit free regions down to the new value at once.
 */
final class SoftMaxHeap {

    private static final Logger LOG = Logger.getLogger(SoftMaxHeap.class);
    private static final String FLAG = "SoftMaxHeapSize";

    private final HotSpotDiagnosticMXBean hotspot;
    private final long configured;

    private SoftMaxHeap(HotSpotDiagnosticMXBean hotspot, long configured) {
        this.hotspot = hotspot;
        this.configured = configured;
    }

    /** This JVM's, or null when it has none that can be changed (not HotSpot, or too old). */
    static SoftMaxHeap ofThisJvm() {
        try {
            HotSpotDiagnosticMXBean hotspot = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class);
            VMOption option = hotspot.getVMOption(FLAG);
            return option.isWriteable() ? new SoftMaxHeap(hotspot, Long.parseLong(option.getValue())) : null;
        } catch (RuntimeException e) {
            return null;
        }
    }

    /** The value it had at start (the operator's, or the maximum heap). */
    long configured() {
        return configured;
    }

    long current() {
        return Long.parseLong(hotspot.getVMOption(FLAG).getValue());
    }

    /** Sets it to {@code bytes} if that is below the configured value; false if it was not set. */
    boolean lowerTo(long bytes) {
        if (bytes <= 0 || bytes >= configured) {
            return false;
        }
        try {
            hotspot.setVMOption(FLAG, Long.toString(bytes));
            return true;
        } catch (RuntimeException e) {
            LOG.debugf("%s not lowered to %d: %s", FLAG, bytes, e);
            return false;
        }
    }

    /** Back to the configured value. */
    void restore() {
        try {
            hotspot.setVMOption(FLAG, Long.toString(configured));
        } catch (RuntimeException e) {
            LOG.warnf("%s could not be set back to %d bytes: %s", FLAG, configured, e);
        }
    }
}
