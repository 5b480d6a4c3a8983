package io.multiuser.server.memory;

import java.nio.file.Path;
import java.util.Objects;

/**
 * Which payloads leave the heap for a spill file, and where that file goes.
 *
 * @param thresholdBytes payloads of this many bytes or more are spilled; 0 keeps every payload in memory
 * @param directory where spill files are created (and at once unlinked, so nothing is left behind)
 */
public record SpillSettings(long thresholdBytes, Path directory) {

    /** Every payload stays on the heap. */
    public static final SpillSettings OFF = new SpillSettings(0, Path.of("."));

    public SpillSettings {
        Objects.requireNonNull(directory, "directory");
        if (thresholdBytes < 0) {
            throw new IllegalArgumentException("thresholdBytes must not be negative: " + thresholdBytes);
        }
    }

    public boolean enabled() {
        return thresholdBytes > 0;
    }
}
