package io.multiuser.server.wire;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import io.multiuser.server.protocol.Payload;

/**
 * Type checks over unpickled values, each failing with a reason that names the field. Public
 * because the three-port codec (package {@code wire.v09}) checks its fields with the same rules.
 */
public final class PyValues {

    /** Deeper metadata than this is refused: it is re-pickled recursively for every broadcast. */
    static final int MAX_DEPTH = 32;

    /**
     * A Python {@code frozenset}. Unpickled sets are {@link LinkedHashSet}s (insertion order, so a
     * set is written back in the order it came); this subtype only marks the immutable kind, which
     * Python can hash (dict key, set item) and which must be written back as a frozenset again.
     */
    public static final class FrozenSet extends LinkedHashSet<Object> {
        private static final long serialVersionUID = 1L;

        public FrozenSet(Collection<?> items) {
            super(items);
        }
    }

    private PyValues() {
    }

    @SuppressWarnings("unchecked")
    public static Map<Object, Object> dict(Object value, String what) throws MalformedMessageException {
        if (value instanceof Map<?, ?> map) {
            return (Map<Object, Object>) map;
        }
        throw new MalformedMessageException(what + " must be a dict, got " + typeName(value));
    }

    public static String str(Object value, String what) throws MalformedMessageException {
        if (value instanceof String s) {
            return s;
        }
        throw new MalformedMessageException(what + " must be a str, got " + typeName(value));
    }

    public static String optionalStr(Object value, String what) throws MalformedMessageException {
        return value == null ? null : str(value, what);
    }

    public static byte[] bytes(Object value, String what) throws MalformedMessageException {
        if (value instanceof byte[] b) {
            return b;
        }
        if (value instanceof Payload view) {
            return view.toArray();
        }
        throw new MalformedMessageException(what + " must be bytes, got " + typeName(value));
    }

    /**
     * A bytes value as a node's payload: a view of its frame is kept (no copy) unless the frame
     * holds more than a quarter (and over 4 KiB) besides it, which a view would keep alive.
     */
    public static Payload payload(Object value, String what) throws MalformedMessageException {
        if (value instanceof Payload view) {
            return view.trimmed(Math.max(Pickles.VIEW_MIN_BYTES, view.length() / 4));
        }
        return Payload.of(bytes(value, what));
    }

    public static String utf8(Object value, String what) throws MalformedMessageException {
        return new String(bytes(value, what), StandardCharsets.UTF_8);
    }

    public static long integer(Object value, String what) throws MalformedMessageException {
        if (value instanceof Integer || value instanceof Long) {
            return ((Number) value).longValue();
        }
        if (value instanceof BigInteger big) {
            if (big.bitLength() < 64) {
                return big.longValue();
            }
            throw new MalformedMessageException(what + " is an int beyond 64 bits");
        }
        throw new MalformedMessageException(what + " must be an int, got " + typeName(value));
    }

    /** A list (or tuple) of str; {@code None} gives an empty list when {@code noneIsEmpty}. */
    public static List<String> strList(Object value, String what, boolean noneIsEmpty) throws MalformedMessageException {
        if (value == null && noneIsEmpty) {
            return List.of();
        }
        List<?> items;
        if (value instanceof List<?> list) {
            items = list;
        } else if (value instanceof Object[] tuple) {
            items = List.of(tuple);
        } else {
            throw new MalformedMessageException(what + " must be a list, got " + typeName(value));
        }
        List<String> out = new ArrayList<>(items.size());
        for (Object item : items) {
            out.add(str(item, what + " item"));
        }
        return out;
    }

    /**
     * Refuses anything outside the protocol's value model: other types, dict keys Python cannot
     * hash (list, dict), and nesting deeper than {@link #MAX_DEPTH} (which also catches cycles).
     * Sets are outside the four-port model; {@link #checkModel(Object, String, boolean)} admits them.
     */
    static void checkModel(Object value, String what) throws MalformedMessageException {
        checkModel(value, what, false);
    }

    /** As {@link #checkModel(Object, String)}; with {@code sets}, set and frozenset are values too (three-port). */
    static void checkModel(Object value, String what, boolean sets) throws MalformedMessageException {
        String problem = modelProblem(value, 0, false, sets);
        if (problem != null) {
            throw new MalformedMessageException(what + ": " + problem);
        }
    }

    private static String modelProblem(Object value, int depth, boolean asKey, boolean sets) {
        if (depth > MAX_DEPTH) {
            return "nested deeper than " + MAX_DEPTH + " levels";
        }
        if (value == null || value instanceof String || value instanceof Boolean || value instanceof Integer
                || value instanceof Long || value instanceof BigInteger || value instanceof Double
                || value instanceof byte[] || value instanceof Payload) {
            return null;
        }
        if (value instanceof Object[] tuple) {
            return itemsProblem(Arrays.asList(tuple), depth, asKey, sets); // not List.of: a tuple may hold None
        }
        if (asKey && (value instanceof List || value instanceof Map
                || (value instanceof Set && !(value instanceof FrozenSet)))) {
            return "unhashable " + typeName(value) + " used as a dict key or set item";
        }
        if (value instanceof List<?> list) {
            return itemsProblem(list, depth, false, sets);
        }
        if (sets && value instanceof Set<?> set) {
            // Set items must be hashable, like dict keys.
            return itemsProblem(set, depth, true, sets);
        }
        if (value instanceof Map<?, ?> map) {
            for (Map.Entry<?, ?> e : map.entrySet()) {
                String p = modelProblem(e.getKey(), depth + 1, true, sets);
                if (p == null) {
                    p = modelProblem(e.getValue(), depth + 1, false, sets);
                }
                if (p != null) {
                    return p;
                }
            }
            return null;
        }
        return "unexpected value of type " + value.getClass().getSimpleName();
    }

    /**
     * The deepest level below {@code value} (a scalar is 0, {@code [1]} is 1), counted as
     * {@link #checkModel} counts; only for values that passed it, so the recursion is bounded.
     */
    static int nestingDepth(Object value) {
        Collection<?> children;
        if (value instanceof Object[] tuple) {
            children = Arrays.asList(tuple);
        } else if (value instanceof Collection<?> items) {
            children = items;
        } else if (value instanceof Map<?, ?> map) {
            int deepest = 0;
            for (Map.Entry<?, ?> e : map.entrySet()) {
                deepest = Math.max(deepest, Math.max(nestingDepth(e.getKey()), nestingDepth(e.getValue())));
            }
            return deepest + 1;
        } else {
            return 0;
        }
        int deepest = 0;
        for (Object item : children) {
            deepest = Math.max(deepest, nestingDepth(item));
        }
        return deepest + 1;
    }

    private static String itemsProblem(Collection<?> items, int depth, boolean asKey, boolean sets) {
        for (Object item : items) {
            String p = modelProblem(item, depth + 1, asKey, sets);
            if (p != null) {
                return p;
            }
        }
        return null;
    }

    public static String typeName(Object value) {
        if (value == null) {
            return "None";
        }
        if (value instanceof Map) {
            return "dict";
        }
        if (value instanceof List) {
            return "list";
        }
        if (value instanceof Object[]) {
            return "tuple";
        }
        if (value instanceof Set) {
            return value instanceof FrozenSet ? "frozenset" : "set";
        }
        if (value instanceof String) {
            return "str";
        }
        if (value instanceof byte[] || value instanceof Payload) {
            return "bytes";
        }
        if (value instanceof Boolean) {
            return "bool";
        }
        if (value instanceof Number n) {
            return n instanceof Double ? "float" : "int";
        }
        return value.getClass().getSimpleName();
    }
}
