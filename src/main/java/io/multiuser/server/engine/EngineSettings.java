package io.multiuser.server.engine;

import java.util.Objects;

import io.multiuser.server.memory.SpillSettings;
import io.multiuser.server.security.AddressPolicy;

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
 * @param addressPolicy which peer addresses may connect, checked at the ZeroMQ handshake (the
 *        engine starts with it; {@link ZmqEngine#addressPolicy(AddressPolicy)} changes it at run time)
 * @param spill which of the session's payloads are kept in a file rather than on the heap
 */
public record EngineSettings(
        String bindAddress,
        int basePort,
        int ioThreads,
        long maxMessageBytes,
        int sendHighWaterMark,
        long maxQueuedBytesPerClient,
        long unreachableTimeoutMillis,
        boolean batchScheduling,
        AddressPolicy addressPolicy,
        SpillSettings spill) {

    public EngineSettings {
        Objects.requireNonNull(addressPolicy, "addressPolicy (AddressPolicy.ALLOW_ALL for no lists)");
        Objects.requireNonNull(spill, "spill (SpillSettings.OFF to keep every payload on the heap)");
    }

    /** Loopback defaults for tests and tools; every setting has one, so callers name only what they change. */
    public static Builder builder() {
        return new Builder();
    }

    public static final class Builder {
        private String bindAddress = "127.0.0.1";
        private int basePort;
        private int ioThreads = 1;
        private long maxMessageBytes = 64L << 20;
        private int sendHighWaterMark = 1000;
        private long maxQueuedBytesPerClient = 256L << 20;
        private long unreachableTimeoutMillis = 5000;
        private boolean batchScheduling = true;
        private AddressPolicy addressPolicy = AddressPolicy.ALLOW_ALL;
        private SpillSettings spill = SpillSettings.OFF;

        public Builder bindAddress(String v) {
            bindAddress = v;
            return this;
        }

        public Builder basePort(int v) {
            basePort = v;
            return this;
        }

        public Builder maxMessageBytes(long v) {
            maxMessageBytes = v;
            return this;
        }

        public Builder sendHighWaterMark(int v) {
            sendHighWaterMark = v;
            return this;
        }

        public Builder maxQueuedBytesPerClient(long v) {
            maxQueuedBytesPerClient = v;
            return this;
        }

        public Builder unreachableTimeoutMillis(long v) {
            unreachableTimeoutMillis = v;
            return this;
        }

        public Builder batchScheduling(boolean v) {
            batchScheduling = v;
            return this;
        }

        public Builder addressPolicy(AddressPolicy v) {
            addressPolicy = v;
            return this;
        }

        public Builder spill(SpillSettings v) {
            spill = v;
            return this;
        }

        public EngineSettings build() {
            return new EngineSettings(bindAddress, basePort, ioThreads, maxMessageBytes, sendHighWaterMark,
                    maxQueuedBytesPerClient, unreachableTimeoutMillis, batchScheduling, addressPolicy, spill);
        }
    }
}
