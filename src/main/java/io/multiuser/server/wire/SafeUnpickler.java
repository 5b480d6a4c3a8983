package io.multiuser.server.wire;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.BitSet;
import java.util.List;
import java.util.Map;

import net.razorvine.pickle.Opcodes;
import net.razorvine.pickle.PickleException;
import net.razorvine.pickle.Unpickler;

/**
 * Razorvine's unpickler restricted to the plain value model of the protocol (dict, list,
 * tuple, str, bytes, int, float, bool, None). Two guards on top of the library:
 * <ul>
 * <li>an opcode whitelist: anything that names a class or calls one (GLOBAL, REDUCE, BUILD,
 * NEWOBJ, PERSID, …) is refused, so network data can never instantiate anything;</li>
 * <li>length checks before every length-prefixed opcode, because the library allocates the
 * announced length before reading it: a 20-byte frame could otherwise ask for 2 GiB.</li>
 * </ul>
 * What it returns is then checked against the value model by {@link Pickles#loads}.
 * Only for in-memory input (a frame), which is what {@link #loads(byte[])} takes.
 */
final class SafeUnpickler extends Unpickler {

    private static final BitSet ALLOWED = new BitSet(256);

    static {
        short[] allowed = {
            Opcodes.PROTO, Opcodes.FRAME, Opcodes.STOP, Opcodes.MARK, Opcodes.POP, Opcodes.POP_MARK, Opcodes.DUP,
            Opcodes.MEMOIZE, Opcodes.PUT, Opcodes.BINPUT, Opcodes.LONG_BINPUT,
            Opcodes.GET, Opcodes.BINGET, Opcodes.LONG_BINGET,
            Opcodes.NONE, Opcodes.NEWTRUE, Opcodes.NEWFALSE,
            Opcodes.BININT, Opcodes.BININT1, Opcodes.BININT2, Opcodes.LONG1, Opcodes.BINFLOAT,
            Opcodes.SHORT_BINUNICODE, Opcodes.BINUNICODE, Opcodes.BINUNICODE8,
            Opcodes.SHORT_BINBYTES, Opcodes.BINBYTES, Opcodes.BINBYTES8,
            Opcodes.EMPTY_DICT, Opcodes.DICT, Opcodes.SETITEM, Opcodes.SETITEMS,
            Opcodes.EMPTY_LIST, Opcodes.LIST, Opcodes.APPEND, Opcodes.APPENDS,
            Opcodes.EMPTY_TUPLE, Opcodes.TUPLE, Opcodes.TUPLE1, Opcodes.TUPLE2, Opcodes.TUPLE3,
        };
        for (short op : allowed) {
            ALLOWED.set(op);
        }
    }

    private ByteArrayInputStream in;

    @Override
    public Object loads(byte[] data) throws IOException {
        in = new ByteArrayInputStream(data);
        return load(in);
    }

    @Override
    protected Object dispatch(short key) throws IOException {
        if (key < 0 || !ALLOWED.get(key)) {
            throw new PickleException("opcode 0x" + Integer.toHexString(key) + " is not allowed");
        }
        switch (key) {
            case Opcodes.BINUNICODE, Opcodes.BINBYTES -> checkLength(4);
            case Opcodes.BINUNICODE8, Opcodes.BINBYTES8 -> checkLength(8);
            case Opcodes.SETITEMS -> {
                setItems();
                return NO_RETURN_VALUE;
            }
            default -> {
            }
        }
        return super.dispatch(key);
    }

    /** SETITEMS in order, so that a repeated key keeps its last value, as in CPython (razorvine keeps the first). */
    @SuppressWarnings("unchecked")
    private void setItems() {
        List<Object> items = stack.pop_all_since_marker();
        if (items.size() % 2 != 0 || stack.size() == 0 || !(stack.peek() instanceof Map)) {
            throw new PickleException("SETITEMS without a dict and key/value pairs");
        }
        Map<Object, Object> dict = (Map<Object, Object>) stack.peek();
        for (int i = 0; i < items.size(); i += 2) {
            dict.put(items.get(i), items.get(i + 1));
        }
    }

    /** Peeks the little-endian length that follows the opcode and checks it against what is left. */
    private void checkLength(int width) {
        in.mark(width);
        long length = 0;
        for (int i = 0; i < width; i++) {
            int b = in.read();
            if (b < 0) {
                throw new PickleException("truncated length");
            }
            length |= ((long) b) << (8 * i);
        }
        int remaining = in.available();
        in.reset();
        if (length < 0 || length > remaining) {
            throw new PickleException("announced length " + Long.toUnsignedString(length)
                    + " exceeds the " + remaining + " bytes left");
        }
    }
}
