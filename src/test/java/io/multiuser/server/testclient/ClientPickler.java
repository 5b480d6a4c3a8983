package io.multiuser.server.testclient;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Writes pickles the way the add-on's CPython writes them (protocol 4 opcodes, without the optional
 * FRAME and MEMOIZE): dict, list, tuple ({@code Object[]}), set, str, bytes, int, float, bool, None.
 * Razorvine's pickler cannot express bytes or sets that way. Test-side only: the clients of both
 * generations use it.
 */
public final class ClientPickler {

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    private ClientPickler() {
    }

    public static byte[] dumps(Object value) {
        ClientPickler p = new ClientPickler();
        p.out.write(0x80);
        p.out.write(4);
        p.save(value);
        p.out.write('.');
        return p.out.toByteArray();
    }

    private void save(Object v) {
        if (v == null) {
            out.write('N');
        } else if (v instanceof Boolean b) {
            out.write(b ? 0x88 : 0x89);
        } else if (v instanceof Integer || v instanceof Long) {
            long n = ((Number) v).longValue();
            if (n >= 0 && n < 256) {
                out.write('K');
                out.write((int) n);
            } else if (n >= 0 && n < 65536) {
                out.write('M');
                out.write((int) (n & 0xff));
                out.write((int) (n >> 8));
            } else if (n >= Integer.MIN_VALUE && n <= Integer.MAX_VALUE) {
                out.write('J');
                writeInt((int) n);
            } else {
                out.write(0x8a); // LONG1, 8 bytes little-endian two's complement
                out.write(8);
                out.writeBytes(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(n).array());
            }
        } else if (v instanceof Double d) {
            out.write('G');
            out.writeBytes(ByteBuffer.allocate(8).putDouble(d).array());
        } else if (v instanceof String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            if (b.length < 256) {
                out.write(0x8c);
                out.write(b.length);
            } else {
                out.write('X');
                writeInt(b.length);
            }
            out.writeBytes(b);
        } else if (v instanceof byte[] b) {
            if (b.length < 256) {
                out.write('C');
                out.write(b.length);
            } else {
                out.write('B');
                writeInt(b.length);
            }
            out.writeBytes(b);
        } else if (v instanceof List<?> list) {
            out.write(']');
            if (list.size() == 1) {
                save(list.get(0));
                out.write('a');
            } else if (!list.isEmpty()) {
                out.write('(');
                list.forEach(this::save);
                out.write('e');
            }
        } else if (v instanceof Object[] tuple) {
            switch (tuple.length) {
                case 0 -> out.write(')');
                case 1, 2, 3 -> {
                    for (Object o : tuple) {
                        save(o);
                    }
                    out.write(0x84 + tuple.length); // TUPLE1..3
                }
                default -> {
                    out.write('(');
                    for (Object o : tuple) {
                        save(o);
                    }
                    out.write('t');
                }
            }
        } else if (v instanceof Set<?> set) {
            out.write(0x8f); // EMPTY_SET
            if (!set.isEmpty()) {
                out.write('(');
                set.forEach(this::save);
                out.write(0x90); // ADDITEMS
            }
        } else if (v instanceof Map<?, ?> map) {
            out.write('}');
            if (!map.isEmpty()) {
                out.write('(');
                map.forEach((k, val) -> {
                    save(k);
                    save(val);
                });
                out.write('u');
            }
        } else {
            throw new IllegalArgumentException("cannot pickle " + v.getClass());
        }
    }

    private void writeInt(int n) {
        out.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(n).array());
    }
}
