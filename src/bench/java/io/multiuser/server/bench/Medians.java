package io.multiuser.server.bench;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.ToDoubleFunction;

/** The median element of repeated runs, shared by the suites that repeat a case on this noisy box. */
final class Medians {

    private Medians() {
    }

    /** The element whose {@code key} is the median (the upper one of an even count); null when empty. */
    static <T> T by(List<T> runs, ToDoubleFunction<? super T> key) {
        if (runs.isEmpty()) {
            return null;
        }
        List<T> sorted = new ArrayList<>(runs);
        sorted.sort(Comparator.comparingDouble(key));
        return sorted.get(sorted.size() / 2);
    }
}
