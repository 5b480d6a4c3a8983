package io.multiuser.server.session;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;

import io.multiuser.server.protocol.Delta;
import io.multiuser.server.protocol.DeltaMerger;

/**
 * The deltas a node received since its last full payload (PROTOCOL-0.9 §7, strategy B), in order.
 * A late joiner gets the base and then exactly these. Appending folds the new delta into the last
 * one when the merger can prove that applying the fold equals applying both.
 */
final class DeltaChain {

    private final List<Delta> entries = new ArrayList<>(2);
    private long bytes;

    /** Appends {@code delta}; returns the change of the chain's byte count. */
    long append(Delta delta, DeltaMerger merger) {
        long before = bytes;
        if (!entries.isEmpty()) {
            int last = entries.size() - 1;
            Optional<Delta> merged = merger.merge(entries.get(last), delta);
            if (merged.isPresent()) {
                bytes -= entries.get(last).bytes();
                entries.set(last, merged.get());
                bytes += merged.get().bytes();
                return bytes - before;
            }
        }
        entries.add(delta);
        bytes += delta.bytes();
        return bytes - before;
    }

    List<Delta> entries() {
        return Collections.unmodifiableList(entries);
    }

    int size() {
        return entries.size();
    }

    long bytes() {
        return bytes;
    }
}
