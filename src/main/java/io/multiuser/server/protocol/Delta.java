package io.multiuser.server.protocol;

import java.util.List;

/**
 * One Commit of the three-port protocol: a deepdiff delta against the node's previous state,
 * opaque to the server. Both blobs are kept as received, so that every receiver (and every late
 * joiner) gets them byte for byte.
 *
 * @param dependencies the node's dependencies after this change (decoded from {@code dependenciesPickle})
 * @param dependenciesPickle the Commit's deps frame as received
 * @param blob the delta frame as received
 */
public record Delta(List<String> dependencies, byte[] dependenciesPickle, byte[] blob) {

    public Delta {
        dependencies = List.copyOf(dependencies);
    }

    /** Bytes this entry holds: what a chain's size is counted in. */
    public long bytes() {
        return (long) blob.length + dependenciesPickle.length;
    }

    @Override
    public String toString() {
        return "Delta[deps=" + dependencies.size() + ", bytes=" + blob.length + "]";
    }
}
