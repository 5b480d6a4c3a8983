package io.multiuser.server.wire;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Type checks over unpickled values, each failing with a reason that names the field. */
final class PyValues {

    /** Deeper metadata than this is refused: it is re-pickled recursively for every broadcast. */
    static final int MAX_DEPTH = 32;

    private PyValues() {
    }

    @SuppressWarnings("unchecked")
    static Map<Object, Object> dict(Object value, String what) throws MalformedMessageException {
        if (value instanceof Map<?, ?> map) {
            return (Map<Object, Object>) map;
        }
        throw new MalformedMessageException(what + " must be a dict, got " + typeName(value));
    }

    static String str(Object value, String what) throws MalformedMessageException {
        if (value instanceof String s) {
            return s;
        }
        throw new MalformedMessageException(what + " must be a str, got " + typeName(value));
    }

    static String optionalStr(Object value, String what) throws MalformedMessageException {
        return value == null ? null : str(value, what);
    }

    static byte[] bytes(Object value, String what) throws MalformedMessageException {
        if (value instanceof byte[] b) {
            return b;
        }
        throw new MalformedMessageException(what + " must be bytes, got " + typeName(value));
    }

    static String utf8(Object value, String what) throws MalformedMessageException {
        return new String(bytes(value, what), StandardCharsets.UTF_8);
    }

    static long integer(Object value, String what) throws MalformedMessageException {
        if (value instanceof Integer || value instanceof Long) {
            return ((Number) value).longValue();
        }
        if (value instanceof BigInteger big && big.bitLength() < 64) {
            return big.longValue();
        }
        throw new MalformedMessageException(what + " must be an int, got " + typeName(value));
    }

    /** A list (or tuple) of str; {@code None} gives an empty list when {@code noneIsEmpty}. */
    static List<String> strList(Object value, String what, boolean noneIsEmpty) throws MalformedMessageException {
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
     */
    static void checkModel(Object value, String what) throws MalformedMessageException {
        String problem = modelProblem(value, 0, false);
        if (problem != null) {
            throw new MalformedMessageException(what + ": " + problem);
        }
    }

    private static String modelProblem(Object value, int depth, boolean asKey) {
        if (depth > MAX_DEPTH) {
            return "nested deeper than " + MAX_DEPTH + " levels";
        }
        if (value == null || value instanceof String || value instanceof Boolean || value instanceof Integer
                || value instanceof Long || value instanceof BigInteger || value instanceof Double
                || value instanceof byte[]) {
            return null;
        }
        if (value instanceof Object[] tuple) {
            for (Object item : tuple) {
                String p = modelProblem(item, depth + 1, asKey);
                if (p != null) {
                    return p;
                }
            }
            return null;
        }
        if (asKey && (value instanceof List || value instanceof Map)) {
            return "unhashable " + typeName(value) + " used as a dict key";
        }
        if (value instanceof List<?> list) {
            for (Object item : list) {
                String p = modelProblem(item, depth + 1, false);
                if (p != null) {
                    return p;
                }
            }
            return null;
        }
        if (value instanceof Map<?, ?> map) {
            for (Map.Entry<?, ?> e : map.entrySet()) {
                String p = modelProblem(e.getKey(), depth + 1, true);
                if (p == null) {
                    p = modelProblem(e.getValue(), depth + 1, false);
                }
                if (p != null) {
                    return p;
                }
            }
            return null;
        }
        return "unexpected value of type " + value.getClass().getSimpleName();
    }

    static String typeName(Object value) {
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
        if (value instanceof String) {
            return "str";
        }
        if (value instanceof byte[]) {
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
