package io.multiuser.server.testclient;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/**
 * Writes pickles the way a Python client does (protocol 3 opcodes: BINBYTES for bytes, which
 * razorvine's protocol-2 pickler cannot express). Test-side only: the server never writes bytes.
 */
public final class ClientPickler {

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    private ClientPickler() {
    }

    public static byte[] dumps(Object value) {
        ClientPickler p = new ClientPickler();
        p.out.write(0x80);
        p.out.write(3);
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
            if (n >= Integer.MIN_VALUE && n <= Integer.MAX_VALUE) {
                out.write('J');
                writeInt((int) n);
            } else {
                out.write(0x8a); // LONG1
                byte[] le = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(n).array();
                out.write(8);
                out.writeBytes(le);
            }
        } else if (v instanceof Double d) {
            out.write('G');
            out.writeBytes(ByteBuffer.allocate(8).putDouble(d).array());
        } else if (v instanceof String s) {
            byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
            out.write('X');
            writeInt(utf8.length);
            out.writeBytes(utf8);
        } else if (v instanceof byte[] bytes) {
            out.write('B');
            writeInt(bytes.length);
            out.writeBytes(bytes);
        } else if (v instanceof List<?> list) {
            out.write(']');
            out.write('(');
            list.forEach(this::save);
            out.write('e');
        } else if (v instanceof Object[] tuple) {
            out.write('(');
            for (Object item : tuple) {
                save(item);
            }
            out.write('t');
        } else if (v instanceof Map<?, ?> map) {
            out.write('}');
            out.write('(');
            map.forEach((k, val) -> {
                save(k);
                save(val);
            });
            out.write('u');
        } else {
            throw new IllegalArgumentException("cannot pickle " + v.getClass());
        }
    }

    private void writeInt(int n) {
        out.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(n).array());
    }
}
