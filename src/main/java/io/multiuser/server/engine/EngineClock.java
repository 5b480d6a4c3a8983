package io.multiuser.server.engine;

import java.util.function.LongSupplier;

/**
 * The engine's millisecond clock: monotonic time that does not count the time the engine did not
 * run. The engine reads it at least once per turn, and a turn lasts at most {@code ZmqEngine}'s
 * poll timeout plus its work, so a longer step between two reads means the thread was stopped: the
 * virtual machine paused, the JVM stopped the world, the kernel blocked the thread, or one task ran
 * for that long. Such a step counts as {@code maxStepMillis} only. Every timeout the session
 * measures (heartbeats, unreachable clients, delayed commands, half-received datablocks) is
 * therefore in time the engine was listening: a client is not dropped for a silence the engine
 * could not have heard, nor for PONGs that waited in its socket while it stood still.
 * <p>
 * Read by the engine thread only.
 */
final class EngineClock implements LongSupplier {

    private final LongSupplier source;
    private final long maxStepMillis;
    private long lastSource;
    private long now;
    /** The step not counted at the last read that found one, until {@link #takePause()}. */
    private long pause;

    EngineClock(LongSupplier sourceMillis, long maxStepMillis) {
        if (maxStepMillis <= 0) {
            throw new IllegalArgumentException("maxStepMillis must be positive: " + maxStepMillis);
        }
        this.source = sourceMillis;
        this.maxStepMillis = maxStepMillis;
        this.lastSource = sourceMillis.getAsLong();
        this.now = lastSource;
    }

    /** The system's monotonic clock in milliseconds. */
    static EngineClock system(long maxStepMillis) {
        return new EngineClock(() -> System.nanoTime() / 1_000_000, maxStepMillis);
    }

    @Override
    public long getAsLong() {
        long read = source.getAsLong();
        long step = read - lastSource;
        lastSource = read;
        if (step > maxStepMillis) {
            pause = Math.max(pause, step);
            step = maxStepMillis;
        }
        if (step > 0) {
            now += step;
        }
        return now;
    }

    /** The longest stopped step since the last call (its whole length, the counted part included), or 0. */
    long takePause() {
        long p = pause;
        pause = 0;
        return p;
    }
}
