package io.multiuser.server.protocol;

import java.util.Optional;

/**
 * Folds two consecutive deltas of one node into one, where that is provably the same as
 * applying both in order; empty when it cannot prove it (then both are kept as they are).
 */
@FunctionalInterface
public interface DeltaMerger {

    Optional<Delta> merge(Delta earlier, Delta later);

    /** Never merges: every delta is kept. */
    DeltaMerger NONE = (earlier, later) -> Optional.empty();
}
