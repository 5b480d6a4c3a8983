package io.multiuser.server.admin;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Unpickled Python values (user metadata) as values JSON can hold: tuples become arrays,
 * bytes become base64 strings, dict keys become strings, NaN and infinities become strings.
 * The unpickler already bounds the depth, so the recursion is bounded too.
 */
final class JsonSafe {

    private JsonSafe() {
    }

    static Map<String, Object> map(Map<?, ?> map) {
        Map<String, Object> out = new LinkedHashMap<>();
        map.forEach((k, v) -> out.put(key(k), value(v)));
        return out;
    }

    static Object value(Object v) {
        if (v == null || v instanceof String || v instanceof Boolean) {
            return v;
        }
        if (v instanceof Double d && !Double.isFinite(d)) {
            return d.toString();
        }
        if (v instanceof Float f && !Float.isFinite(f)) {
            return f.toString();
        }
        if (v instanceof Number) {
            return v;
        }
        if (v instanceof byte[] bytes) {
            return Base64.getEncoder().encodeToString(bytes);
        }
        if (v instanceof Object[] tuple) {
            return list(Arrays.asList(tuple)); // not List.of: a tuple may hold None
        }
        if (v instanceof Collection<?> items) {
            return list(items);
        }
        if (v instanceof Map<?, ?> map) {
            return map(map);
        }
        return String.valueOf(v);
    }

    private static List<Object> list(Collection<?> items) {
        List<Object> out = new ArrayList<>(items.size());
        for (Object item : items) {
            out.add(value(item));
        }
        return out;
    }

    /** Python allows numbers, tuples and bytes as keys; JSON only strings. */
    private static String key(Object k) {
        Object safe = value(k);
        return safe instanceof String s ? s : String.valueOf(safe);
    }
}
