package io.multiuser.server.wire;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

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
    void aValueThatIsNotAPythonValueIsNeverAccepted() {
        // {'color': <MARK>}: razorvine would hand back its internal marker object.
        assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> Pickles.loads(
                HexFormat.of().parseHex("80047d8c05636f6c6f7228732e")))).isInstanceOf(MalformedMessageException.class);
        // A list that contains itself: refused as too deep instead of looping or overflowing the stack.
        byte[] cycle = HexFormat.of().parseHex("80025d7100680061" + "2e");
        assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> Pickles.loads(cycle)))
                .isInstanceOf(MalformedMessageException.class).hasMessageContaining("deeper");
    }
}
