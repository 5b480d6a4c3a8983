package io.multiuser.server.persistence;

/**
 * The store as of its last write, for metrics and the admin API.
 *
 * @param fileBytes size of the log on disk
 * @param liveBytes size a compacted log of the current scene would have
 * @param lastFlushEpochMillis when changes were last made durable (the open time before the first write)
 * @param pendingChanges changes received and not yet durable
 * @param lastError why the last write failed, or null when the last write succeeded
 */
public record StoreStats(long fileBytes, long liveBytes, long lastFlushEpochMillis, int pendingChanges,
        String lastError) {
}
