package io.multiuser.server.persistence;

import java.nio.file.Path;

/**
 * Where and how the session is kept.
 *
 * @param directory data directory (created if missing); holds {@code session.log} and a lock file
 * @param flushIntervalMillis changes are written and fsynced at most this long after they happen; 0 writes each batch at once
 * @param compactionMinBytes the log is rewritten from the live scene once it is over this size and over twice the live size
 */
public record StoreSettings(Path directory, long flushIntervalMillis, long compactionMinBytes) {
}
