package io.multiuser.server.wire;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Canonical text of a Python value, built identically by src/test/python/pickle_oracle.py (which
 * the 0.9 oracle imports): strict about types (1, 1.0 and True differ; list, tuple, set and frozenset
 * differ), floats by their IEEE bits, dicts and sets sorted. Both generations' vector tests use it.
 */
public final class Canonical {

    private static final HexFormat HEX = HexFormat.of();

    private Canonical() {
    }

    public static String of(Object v) {
        StringBuilder out = new StringBuilder();
        write(v, out);
        return out.toString();
    }

    private static void write(Object v, StringBuilder out) {
        if (v == null) {
            out.append('N');
        } else if (v instanceof Boolean b) {
            out.append(b ? 'T' : 'F');
        } else if (v instanceof Integer || v instanceof Long || v instanceof BigInteger) {
            out.append("i:").append(v).append(';');
        } else if (v instanceof Double d) {
            out.append("f:").append(String.format("%016x", Double.doubleToRawLongBits(d))).append(';');
        } else if (v instanceof String s) {
            out.append("s:").append(HEX.formatHex(s.getBytes(StandardCharsets.UTF_8))).append(';');
        } else if (v instanceof byte[] b) {
            out.append("b:").append(HEX.formatHex(b)).append(';');
        } else if (v instanceof List<?> list) {
            items(list, '[', ']', out);
        } else if (v instanceof Object[] tuple) {
            items(List.of(tuple), '(', ')', out);
        } else if (v instanceof Set<?> set) {
            out.append(set instanceof PyValues.FrozenSet ? "~<" : "<")
                    .append(String.join(",", set.stream().map(Canonical::of).sorted().toList())).append('>');
        } else if (v instanceof Map<?, ?> map) {
            TreeMap<String, String> sorted = new TreeMap<>();
            for (Map.Entry<?, ?> e : map.entrySet()) {
                if (sorted.put(of(e.getKey()), of(e.getValue())) != null) {
                    throw new AssertionError("two keys with the same value " + of(e.getKey()) + " in one dict");
                }
            }
            out.append('{');
            String sep = "";
            for (Map.Entry<String, String> e : sorted.entrySet()) {
                out.append(sep).append(e.getKey()).append('=').append(e.getValue());
                sep = ",";
            }
            out.append('}');
        } else {
            throw new AssertionError("not a value of the protocol's model: " + v.getClass().getName());
        }
    }

    private static void items(List<?> items, char open, char close, StringBuilder out) {
        out.append(open);
        for (int i = 0; i < items.size(); i++) {
            if (i > 0) {
                out.append(',');
            }
            write(items.get(i), out);
        }
        out.append(close);
    }

    /** Back to Java values (tuple as Object[], int as BigInteger), for field-by-field assertions. */
    public static Object parse(String text) {
        int[] pos = {0};
        Object value = parse(text, pos);
        if (pos[0] != text.length()) {
            throw new AssertionError("trailing text in canonical form at " + pos[0]);
        }
        return value;
    }

    private static Object parse(String s, int[] pos) {
        char c = s.charAt(pos[0]++);
        switch (c) {
            case 'N':
                return null;
            case 'T':
                return Boolean.TRUE;
            case 'F':
                return Boolean.FALSE;
            case 'i':
                return new BigInteger(scalar(s, pos));
            case 'f':
                return Double.longBitsToDouble(Long.parseUnsignedLong(scalar(s, pos), 16));
            case 's':
                return new String(HEX.parseHex(scalar(s, pos)), StandardCharsets.UTF_8);
            case 'b':
                return HEX.parseHex(scalar(s, pos));
            case '[':
                return sequence(s, pos, ']');
            case '(':
                return sequence(s, pos, ')').toArray();
            case '{': {
                Map<Object, Object> map = new LinkedHashMap<>();
                if (s.charAt(pos[0]) == '}') {
                    pos[0]++;
                    return map;
                }
                while (true) {
                    Object key = parse(s, pos);
                    expect(s, pos, '=');
                    map.put(key, parse(s, pos));
                    if (s.charAt(pos[0]++) == '}') {
                        return map;
                    }
                }
            }
            default:
                throw new AssertionError("bad canonical form at " + (pos[0] - 1) + ": " + c);
        }
    }

    private static List<Object> sequence(String s, int[] pos, char close) {
        List<Object> out = new ArrayList<>();
        if (s.charAt(pos[0]) == close) {
            pos[0]++;
            return out;
        }
        while (true) {
            out.add(parse(s, pos));
            if (s.charAt(pos[0]++) == close) {
                return out;
            }
        }
    }

    private static String scalar(String s, int[] pos) {
        expect(s, pos, ':');
        int end = s.indexOf(';', pos[0]);
        String token = s.substring(pos[0], end);
        pos[0] = end + 1;
        return token;
    }

    private static void expect(String s, int[] pos, char c) {
        if (s.charAt(pos[0]++) != c) {
            throw new AssertionError("bad canonical form at " + (pos[0] - 1) + ": expected " + c);
        }
    }
}
