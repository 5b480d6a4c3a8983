package io.multiuser.server.engine;

/**
 * Socket-level settings of the engine.
 *
 * @param bindAddress interface to bind, {@code *} for all
 * @param basePort P; the engine binds P to P+3 (0: any four consecutive free ports, for tests)
 * @param ioThreads ZeroMQ I/O threads
 * @param maxMessageBytes largest frame accepted on P and P+2 (a larger one closes that connection)
 * @param sendHighWaterMark per-peer ZeroMQ queue on P and P+1, in messages
 * @param maxQueuedBytesPerClient our own per-client backlog beyond the high-water mark before the
 *        client is dropped as too slow
 * @param unreachableTimeoutMillis how long a client's command or data connection may be gone
 *        before it is dropped
 * @param batchScheduling run the engine thread and its I/O threads under SCHED_BATCH (see
 *        {@link BatchScheduling})
 */
public record EngineSettings(
        String bindAddress,
        int basePort,
        int ioThreads,
        long maxMessageBytes,
        int sendHighWaterMark,
        long maxQueuedBytesPerClient,
        long unreachableTimeoutMillis,
        boolean batchScheduling) {
}
