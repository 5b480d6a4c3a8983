package io.multiuser.server.wire;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.BitSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;

import io.multiuser.server.protocol.Payload;
import net.razorvine.pickle.Opcodes;
import net.razorvine.pickle.PickleException;
import net.razorvine.pickle.Unpickler;

/**
 * Razorvine's unpickler restricted to the plain value model of the protocol (dict, list,
 * tuple, str, bytes, int, float, bool, None; with {@code sets}, also set and frozenset, which the
 * three-port client sends in metadata). Two guards on top of the library:
 * <ul>
 * <li>an opcode whitelist: anything that names a class or calls one (GLOBAL, REDUCE, BUILD,
 * NEWOBJ, PERSID, …) is refused, so network data can never instantiate anything;</li>
 * <li>length checks before every length-prefixed opcode, because the library allocates the
 * announced length before reading it: a 20-byte frame could otherwise ask for 2 GiB.</li>
 * </ul>
 * What it returns is then checked against the value model by {@link Pickles#loads}.
 * Only for in-memory input (a frame), which is what {@link #loads(byte[])} takes. With a
 * {@code viewMinBytes}, bytes values of at least that length come back as {@link Payload} views
 * of the frame instead of copies.
 */
final class SafeUnpickler extends Unpickler {

    private static final BitSet ALLOWED = new BitSet(256);
    /** The protocol-4 set opcodes, allowed only when sets are part of the value model. */
    private static final BitSet SET_OPCODES = new BitSet(256);

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
        SET_OPCODES.set(Opcodes.EMPTY_SET);
        SET_OPCODES.set(Opcodes.ADDITEMS);
        SET_OPCODES.set(Opcodes.FROZENSET);
    }

    /**
     * Our own refusals. Their messages name opcodes and lengths only, unlike some of the library's
     * (a bad memo key or number is quoted from the input), so only these reach log lines.
     */
    static final class Refused extends PickleException {
        private static final long serialVersionUID = 1L;

        Refused(String message) {
            super(message);
        }
    }

    private final boolean sets;
    private final int viewMinBytes;
    private ByteArrayInputStream in;
    private byte[] data;

    /** The four-port value model: no sets. */
    SafeUnpickler() {
        this(false);
    }

    SafeUnpickler(boolean sets) {
        this(sets, 0);
    }

    /** @param viewMinBytes bytes values this long or longer become views of the input; 0 for none */
    SafeUnpickler(boolean sets, int viewMinBytes) {
        this.sets = sets;
        this.viewMinBytes = viewMinBytes;
    }

    @Override
    public Object loads(byte[] data) throws IOException {
        in = new ByteArrayInputStream(data);
        this.data = data;
        return load(in);
    }

    /** How far reading got: where a broken pickle broke. */
    int offset() {
        return in == null ? 0 : data.length - in.available();
    }

    @Override
    protected Object dispatch(short key) throws IOException {
        if (key < 0 || !(ALLOWED.get(key) || (sets && SET_OPCODES.get(key)))) {
            throw new Refused("opcode 0x" + Integer.toHexString(key) + " is not allowed");
        }
        switch (key) {
            // Our own set types: insertion-ordered, and a frozenset stays one when written back.
            case Opcodes.EMPTY_SET -> {
                stack.add(new LinkedHashSet<>());
                return NO_RETURN_VALUE;
            }
            case Opcodes.FROZENSET -> {
                stack.add(new PyValues.FrozenSet(stack.pop_all_since_marker()));
                return NO_RETURN_VALUE;
            }
            case Opcodes.ADDITEMS -> {
                addItems();
                return NO_RETURN_VALUE;
            }
            case Opcodes.BINUNICODE -> checkLength(4);
            case Opcodes.BINUNICODE8 -> checkLength(8);
            case Opcodes.BINBYTES, Opcodes.BINBYTES8 -> {
                int width = key == Opcodes.BINBYTES ? 4 : 8;
                long length = checkLength(width);
                if (viewMinBytes > 0 && length >= viewMinBytes) {
                    in.skip(width);
                    int start = offset();
                    in.skip(length);
                    stack.add(Payload.view(data, start, (int) length));
                    return NO_RETURN_VALUE;
                }
            }
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
            throw new Refused("SETITEMS without a dict and key/value pairs");
        }
        Map<Object, Object> dict = (Map<Object, Object>) stack.peek();
        for (int i = 0; i < items.size(); i += 2) {
            dict.put(items.get(i), items.get(i + 1));
        }
    }

    /** ADDITEMS onto a set; CPython refuses it onto anything else (a frozenset has no add). */
    @SuppressWarnings("unchecked")
    private void addItems() {
        List<Object> items = stack.pop_all_since_marker();
        if (stack.size() == 0 || !(stack.peek() instanceof LinkedHashSet) || stack.peek() instanceof PyValues.FrozenSet) {
            throw new Refused("ADDITEMS without a set");
        }
        ((LinkedHashSet<Object>) stack.peek()).addAll(items);
    }

    /** Peeks the little-endian length that follows the opcode, checks it against what is left, returns it. */
    private long checkLength(int width) {
        in.mark(width);
        long length = 0;
        for (int i = 0; i < width; i++) {
            int b = in.read();
            if (b < 0) {
                throw new Refused("truncated length");
            }
            length |= ((long) b) << (8 * i);
        }
        int remaining = in.available();
        in.reset();
        if (length < 0 || length > remaining) {
            throw new Refused("announced length " + Long.toUnsignedString(length)
                    + " exceeds the " + remaining + " bytes left");
        }
        return length;
    }
}
