package io.multiuser.server.persistence;

/** What the store reports for metrics; called on the store's writer thread. */
public interface StoreListener {

    /** A batch of changes was written and fsynced. */
    default void flushed(long nanos) {
    }

    /** The log was rewritten from the live scene. */
    default void compacted(long nanos, long bytesBefore, long bytesAfter) {
    }

    StoreListener NONE = new StoreListener() {
    };
}
