package io.multiuser.server.wire.v09;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import io.multiuser.server.protocol.Delta;
import io.multiuser.server.protocol.DeltaMerger;
import io.multiuser.server.protocol.Generation;
import io.multiuser.server.wire.MalformedMessageException;
import io.multiuser.server.wire.Pickles;

/**
 * Folds two consecutive Commit deltas of one node (deepdiff {@code Delta} dumps, PROTOCOL-0.9 §7)
 * into one, only where the fold provably equals applying both in order.
 *
 * <p>Accepted: a dict whose only key is {@code values_changed} (or an empty dict, what deepdiff
 * dumps for "no change"); each entry a dict with {@code new_value} and optionally
 * {@code old_value}. Everything else is refused, which includes every key that deepdiff 8 adds
 * beside the report keys ({@code _iterable_opcodes}, {@code _numpy_paths},
 * {@code _iterable_compare_func_was_used}): deepdiff writes them only when they are in use (the
 * real 8.1.1 Commit vector has none), and then they come with Opcode objects, numpy values or a
 * custom item matcher, none of which this rule can vouch for.
 *
 * <p>Why the fold is exact: deepdiff applies {@code values_changed} entry by entry, each one
 * assigning {@code new_value} at its path. Two assignments at paths where neither is an ancestor
 * of the other commute, and two at the same path leave the later value. So the fold is
 * "earlier's entries updated by later's", provided that (1) no path is a strict ancestor of
 * another one, in either delta or across them, and (2) distinct path strings name distinct
 * elements: paths are accepted only in a canonical form ({@code root}, then {@code ['text']} or
 * {@code [123]} elements), so {@code root[1]} and {@code root[True]} or {@code root[1.0]} (the same
 * dict key in Python) cannot both appear.
 *
 * <p>Why values are checked too: they are re-pickled from what the unpickler built, which loses
 * dict order (the library builds a HashMap), shared references (a list reachable twice) and
 * strings that were not valid UTF-8 (decoded to U+FFFD). Values with a dict of two or more
 * entries, a repeated list or dict, or a U+FFFD are therefore refused; in {@code values_changed}
 * they hardly occur (a dict changed into a dict is reported per key), while the common payloads
 * (bytes, lists of numbers, scalars) pass.
 */
public final class DeltaCompaction implements DeltaMerger {

    public static final DeltaCompaction INSTANCE = new DeltaCompaction();

    private static final String VALUES_CHANGED = "values_changed";
    private static final String NEW_VALUE = "new_value";
    private static final String OLD_VALUE = "old_value";

    /**
     * The engine thread pays for decoding both blobs. Refusing when the earlier one is much bigger
     * than the incoming one keeps that cost proportional to what arrives: a huge merged delta is
     * not decoded again for every small edit after it (those fold among themselves instead).
     */
    static final int SIZE_RATIO = 8;
    static final int SIZE_SLACK = 64 * 1024;

    public DeltaCompaction() {
    }

    /** The folding a session of {@code generation} uses: only the three-port protocol has deltas. */
    public static DeltaMerger forGeneration(Generation generation) {
        return generation == Generation.V09 ? INSTANCE : DeltaMerger.NONE;
    }

    @Override
    public Optional<Delta> merge(Delta earlier, Delta later) {
        if (earlier.blob().length > (long) SIZE_RATIO * later.blob().length + SIZE_SLACK) {
            return Optional.empty();
        }
        try {
            Map<String, Map<?, ?>> late = valuesChanged(later.blob());
            Map<String, Map<?, ?>> early = late == null ? null : valuesChanged(earlier.blob());
            if (early == null || !noPathIsAnAncestor(early, late)) {
                return Optional.empty();
            }
            Map<String, Map<?, ?>> merged = new LinkedHashMap<>(early);
            for (Map.Entry<String, Map<?, ?>> e : late.entrySet()) {
                Map<?, ?> before = early.get(e.getKey());
                Map<?, ?> entry = e.getValue();
                if (before != null) {
                    // old_value is what the path held before the fold: the earlier's (or none).
                    Map<String, Object> both = new LinkedHashMap<>();
                    both.put(NEW_VALUE, entry.get(NEW_VALUE));
                    if (before.containsKey(OLD_VALUE)) {
                        both.put(OLD_VALUE, before.get(OLD_VALUE));
                    }
                    entry = both;
                }
                merged.put(e.getKey(), entry);
            }
            Map<String, Object> top = new LinkedHashMap<>();
            if (!merged.isEmpty()) {
                top.put(VALUES_CHANGED, merged);
            }
            // A Commit sets the node's deps: after both, they are the later's.
            return Optional.of(new Delta(later.dependencies(), later.dependenciesPickle(), Pickles.dumps(top)));
        } catch (MalformedMessageException | RuntimeException e) {
            return Optional.empty(); // unexpected input never stops the engine thread: keep both deltas
        }
    }

    /** The delta's {@code values_changed} entries by path, or null when the delta is not of the accepted shape. */
    private static Map<String, Map<?, ?>> valuesChanged(byte[] blob) throws MalformedMessageException {
        if (!(Pickles.loads(blob) instanceof Map<?, ?> top)) {
            return null;
        }
        if (top.isEmpty()) {
            return Map.of();
        }
        if (top.size() != 1 || !(top.get(VALUES_CHANGED) instanceof Map<?, ?> changes)) {
            return null;
        }
        Map<String, Map<?, ?>> out = new LinkedHashMap<>();
        IdentityHashMap<Object, Boolean> seen = new IdentityHashMap<>();
        for (Map.Entry<?, ?> e : changes.entrySet()) {
            if (!(e.getKey() instanceof String path) || elementStarts(path) == null
                    || !(e.getValue() instanceof Map<?, ?> entry) || !entry.containsKey(NEW_VALUE)) {
                return null;
            }
            for (Map.Entry<?, ?> field : entry.entrySet()) {
                // 'new_path' (an item moved by iterable_compare_func) or anything else: not a plain assignment
                if (!(NEW_VALUE.equals(field.getKey()) || OLD_VALUE.equals(field.getKey()))
                        || !reencodesExactly(field.getValue(), seen)) {
                    return null;
                }
            }
            out.put(path, entry);
        }
        return out;
    }

    /** True when no path of either delta is a strict ancestor of a path of either delta. */
    private static boolean noPathIsAnAncestor(Map<String, ?> early, Map<String, ?> late) {
        Set<String> all = new HashSet<>(early.keySet());
        all.addAll(late.keySet());
        for (String path : all) {
            for (int start : elementStarts(path)) {
                if (all.contains(path.substring(0, start))) {
                    return false;
                }
            }
        }
        return true;
    }

    /**
     * Where each element of a canonical deepdiff path starts ({@code "root['a'][3]"} gives 4 and 9),
     * so that its ancestors are the prefixes ending there; null for any other form.
     */
    static List<Integer> elementStarts(String path) {
        if (!path.startsWith("root")) {
            return null;
        }
        List<Integer> starts = new ArrayList<>();
        int i = 4;
        int n = path.length();
        while (i < n) {
            if (path.charAt(i) != '[' || i + 2 >= n) {
                return null; // attribute access (.name) and anything else: not produced for add-on data
            }
            starts.add(i);
            int j = i + 1;
            char c = path.charAt(j);
            if (c == '\'') {
                j++;
                while (j < n && plainKeyChar(path.charAt(j))) {
                    j++;
                }
                if (j >= n || path.charAt(j) != '\'') {
                    return null;
                }
                j++;
            } else if (c == '0') {
                j++; // no leading zeros: one spelling per index
            } else if (c >= '1' && c <= '9') {
                while (j < n && path.charAt(j) >= '0' && path.charAt(j) <= '9') {
                    j++;
                }
            } else {
                return null; // True, 1.0, -1, "double-quoted": other spellings of keys, refused
            }
            if (j >= n || path.charAt(j) != ']') {
                return null;
            }
            i = j + 1;
        }
        return starts;
    }

    /**
     * A character of a single-quoted key that deepdiff writes and parses back unchanged. Quotes,
     * backslashes and controls have escaped or ambiguous forms; U+FFFD and surrogates may be what
     * is left of a non-UTF-8 key.
     */
    private static boolean plainKeyChar(char c) {
        return c >= 0x20 && c != 0x7f && c != '\'' && c != '"' && c != '\\' && c != '\uFFFD'
                && !Character.isSurrogate(c);
    }

    /**
     * True when re-pickling {@code value} gives back the same Python value: plain types only, no
     * dict with two or more entries (its order is lost), no list or dict reachable twice (the
     * aliasing is lost), no U+FFFD in a string (it may stand for bytes that were not UTF-8).
     */
    private static boolean reencodesExactly(Object value, IdentityHashMap<Object, Boolean> seen) {
        if (value == null || value instanceof Boolean || value instanceof Integer || value instanceof Long
                || value instanceof BigInteger || value instanceof Double || value instanceof byte[]) {
            return true;
        }
        if (value instanceof String s) {
            return s.indexOf('\uFFFD') < 0;
        }
        if (value instanceof Object[] tuple) {
            for (Object item : tuple) {
                if (!reencodesExactly(item, seen)) {
                    return false;
                }
            }
            return true;
        }
        if (value instanceof List<?> list) {
            if (seen.put(list, Boolean.TRUE) != null) {
                return false;
            }
            for (Object item : list) {
                if (!reencodesExactly(item, seen)) {
                    return false;
                }
            }
            return true;
        }
        if (value instanceof Map<?, ?> map) {
            if (map.size() > 1 || seen.put(map, Boolean.TRUE) != null) {
                return false;
            }
            for (Map.Entry<?, ?> e : map.entrySet()) {
                if (!reencodesExactly(e.getKey(), seen) || !reencodesExactly(e.getValue(), seen)) {
                    return false;
                }
            }
            return true;
        }
        return false; // sets or anything a wider value model may bring: not proven
    }
}
