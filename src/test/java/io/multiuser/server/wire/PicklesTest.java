package io.multiuser.server.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

import io.multiuser.server.protocol.ClientCommand;
import io.multiuser.server.protocol.Node;
import io.multiuser.server.protocol.Payload;

/** What the server writes: plain values CPython reads back with the same types. */
class PicklesTest {

    @Test
    void bytesGoOutAsBytesNotAsABytearrayConstructor() throws Exception {
        Map<String, Object> metadata = new LinkedHashMap<>();
        metadata.put("short", new byte[] {1, 2, 3});
        metadata.put("long", new byte[300]);
        metadata.put("nested", List.of((Object) new Object[] {new byte[] {9}, "x"}));
        byte[] pickle = Pickles.dumps(metadata);

        // Our own loader refuses GLOBAL/REDUCE, so a clean round trip means no constructor call.
        Map<?, ?> back = (Map<?, ?>) Pickles.loads(pickle);
        assertThat((byte[]) back.get("short")).containsExactly(1, 2, 3);
        assertThat((byte[]) back.get("long")).hasSize(300);

        // And CPython agrees on the types.
        String check = "import pickle,sys; v=pickle.loads(bytes.fromhex(sys.argv[1]));"
                + "assert type(v['short']) is bytes and v['short']==b'\\x01\\x02\\x03', v;"
                + "assert type(v['long']) is bytes and len(v['long'])==300;"
                + "assert v['nested']==[(b'\\x09','x')], v; print('ok')";
        Process p = new ProcessBuilder("/usr/bin/python3", "-c", check, HexFormat.of().formatHex(pickle))
                .redirectErrorStream(true).start();
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.exitValue()).as(out).isZero();
        assertThat(out.trim()).isEqualTo("ok");
    }

    @Test
    void theTinyPicklesOfEveryDatablockReadAsTheUnpicklerWouldReadThem() throws Exception {
        // chunk counts, empty dependencies and three-port type frames take a short cut: same values
        for (int protocol = 2; protocol <= 4; protocol++) {
            for (int n = 0; n < 256; n++) {
                byte[] pickle = {(byte) 0x80, (byte) protocol, 'K', (byte) n, '.'};
                assertThat(Pickles.loads(pickle)).isEqualTo(n).isEqualTo(new SafeUnpickler().loads(pickle));
            }
            byte[] none = {(byte) 0x80, (byte) protocol, 'N', '.'};
            assertThat(new SafeUnpickler().loads(none)).isNull();
            assertThat(Pickles.loads(none)).isNull();
        }
        assertThat(Pickles.loads(HexFormat.of().parseHex("80044b012e"))).as("CPython's pickle.dumps(1, 4)").isEqualTo(1);
        // near misses still go the whole way, and are still refused where they were
        for (String bad : List.of("80044b01", "80044b012f", "80044e", "8004582e")) {
            assertThat(catchThrowable(() -> Pickles.loads(HexFormat.of().parseHex(bad))))
                    .as(bad).isInstanceOf(MalformedMessageException.class);
        }
        assertThat(Pickles.loads(HexFormat.of().parseHex("80024a00010000" + "2e"))).as("BININT: 256").isEqualTo(256);
    }

    @Test
    void aValueThatIsNotAPythonValueIsNeverAccepted() {
        // {'color': <MARK>}: razorvine would hand back its internal marker object.
        assertThat(catchThrowable(() -> Pickles.loads(
                HexFormat.of().parseHex("80047d8c05636f6c6f7228732e")))).isInstanceOf(MalformedMessageException.class);
        // A list that contains itself: refused as too deep instead of looping or overflowing the stack.
        byte[] cycle = HexFormat.of().parseHex("80025d7100680061" + "2e");
        assertThat(catchThrowable(() -> Pickles.loads(cycle)))
                .isInstanceOf(MalformedMessageException.class).hasMessageContaining("deeper");
    }

    @Test
    void aPayloadKeptElsewhereIsPickledAsTheSameBytesValue() {
        byte[] bytes = new byte[300_000]; // several read chunks
        new java.util.Random(4).nextBytes(bytes);
        byte[] expected = Pickles.dumps(Payload.of(bytes.clone()));
        Payload spilled = Payload.of(bytes.clone());
        spilled.spill((position, into, offset, length) -> System.arraycopy(bytes, (int) position, into, offset, length),
                0);

        assertThat(spilled.inMemory()).isFalse();
        assertThat(Pickles.dumps(spilled)).isEqualTo(expected);
    }

    @Test
    void anExactlySizedPickleIsTheSameBytesAndReadsASpilledPayloadOnce() {
        byte[] bytes = new byte[200_000];
        new java.util.Random(5).nextBytes(bytes);
        int[] reads = {0};
        Payload spilled = Payload.of(bytes.clone());
        spilled.spill((position, into, offset, length) -> {
            reads[0] += length;
            System.arraycopy(bytes, (int) position, into, offset, length);
        }, 0);
        Map<String, Object> value = new LinkedHashMap<>();
        value.put("STATE", "SET");
        value.put("DATA", java.util.List.of("uuid", new byte[] {1, 2, 3}, spilled, 7L, "ü"));

        byte[] exact = Pickles.dumpsExact(value);

        assertThat(reads[0]).as("measured without reading the payload, then written once").isEqualTo(200_000);
        assertThat(exact).isEqualTo(Pickles.dumps(value));
        assertThat(Pickles.dumpsExact(java.util.List.of())).isEqualTo(Pickles.dumps(java.util.List.of()));
    }

    @Test
    void withViewsABigBytesValueIsAViewOfTheFrameAndASmallOneACopy() throws Exception {
        byte[] big = new byte[Pickles.VIEW_MIN_BYTES];
        new java.util.Random(3).nextBytes(big);
        Map<String, Object> value = new LinkedHashMap<>();
        value.put("small", new byte[] {1, 2});
        value.put("big", big);
        byte[] frame = Pickles.dumps(value);

        Map<?, ?> back = (Map<?, ?>) Pickles.loadsWithViews(frame, false);
        assertThat(back.get("small")).isInstanceOf(byte[].class);
        Payload view = (Payload) back.get("big");
        assertThat(view).isEqualTo(Payload.of(big));
        // Its array is the frame itself: everything but the payload is slack.
        assertThat(view.slack()).isEqualTo(frame.length - big.length);
        // Without views the same frame gives a copy, as before.
        assertThat(((Map<?, ?>) Pickles.loads(frame)).get("big")).isInstanceOf(byte[].class);
        // Written back, a view is the same bytes value as the array.
        assertThat(Pickles.dumps(back)).isEqualTo(frame);
    }

    @Test
    void withViewsTheEightByteLengthFormIsAViewTooAndALyingLengthIsStillRefused() throws Exception {
        int n = Pickles.VIEW_MIN_BYTES + 10;
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        out.write(new byte[] {(byte) 0x80, 4, (byte) 0x8e}); // PROTO 4, BINBYTES8
        out.write(java.nio.ByteBuffer.allocate(8).order(java.nio.ByteOrder.LITTLE_ENDIAN).putLong(n).array());
        byte[] payload = new byte[n];
        java.util.Arrays.fill(payload, (byte) 7);
        out.write(payload);
        out.write('.');
        byte[] frame = out.toByteArray();

        assertThat(Pickles.loadsWithViews(frame, true)).isEqualTo(Payload.of(payload));
        byte[] truncated = java.util.Arrays.copyOf(frame, frame.length - 20);
        assertThat(catchThrowable(() -> Pickles.loadsWithViews(truncated, true)))
                .isInstanceOf(MalformedMessageException.class).hasMessageContaining("exceeds");
    }

    @Test
    void anUploadedPayloadIsKeptAsAViewUnlessItsFrameHoldsMuchMore() throws Exception {
        byte[] data = new byte[8192];
        new java.util.Random(4).nextBytes(data);
        Node plain = uploaded(data, List.of("dep-1"));
        assertThat(plain.payload()).isEqualTo(Payload.of(data));
        assertThat(plain.payload().slack()).as("a view of its command frame").isPositive().isLessThan(300);

        // 2,000 dependencies make the frame several times the payload: the payload is copied out.
        List<String> many = java.util.stream.IntStream.range(0, 2000).mapToObj(i -> "dependency-" + i).toList();
        Node crowded = uploaded(data, many);
        assertThat(crowded.payload()).isEqualTo(Payload.of(data));
        assertThat(crowded.payload().slack()).isZero();
        assertThat(crowded.dependencies()).hasSize(2000);
    }

    private static Node uploaded(byte[] data, List<String> dependencies) throws MalformedMessageException {
        Map<String, Object> set = new LinkedHashMap<>();
        set.put("owner", "alice".getBytes());
        set.put("uuid", "u-1".getBytes());
        set.put("type", "T".getBytes());
        set.put("dependencies", Pickles.dumps(dependencies));
        set.put("data", data);
        Map<String, Object> command = new LinkedHashMap<>();
        command.put("STATE", "SET");
        command.put("DATA", set);
        ClientCommand decoded = CommandCodec.decode("RepServerSnapshotCommand", Pickles.dumps(command));
        return ((ClientCommand.UploadSet) decoded).node();
    }
}
