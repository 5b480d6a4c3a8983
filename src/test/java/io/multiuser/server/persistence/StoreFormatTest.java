package io.multiuser.server.persistence;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.multiuser.server.protocol.Delta;
import io.multiuser.server.protocol.Node;
import io.multiuser.server.session.SessionState;

/**
 * Logs written before chains existed still load. {@code version1-session.bin} is a session.log
 * written by the StoreFormat of commit 66a9804 (format version 1, before the DELTA and
 * DEPENDENCIES records): a put then a clear, an upload (SRV_SYNC) of a, b and c, ACTIVE, b given
 * to alice, a replaced, c deleted, d created.
 */
class StoreFormatTest {

    private static final String A = "00000000-0000-0000-0000-00000000000a";
    private static final String B = "00000000-0000-0000-0000-00000000000b";
    private static final String D = "00000000-0000-0000-0000-00000000000d";

    @TempDir
    Path dir;

    private static byte[] versionOneLog() throws IOException {
        try (InputStream in = StoreFormatTest.class.getResourceAsStream("version1-session.bin")) {
            assertThat(in).as("test resource version1-session.bin").isNotNull();
            return in.readAllBytes();
        }
    }

    private static List<SessionStoreTest.Flat> expected() {
        byte[] big = new byte[1000];
        for (int i = 0; i < big.length; i++) {
            big[i] = (byte) (i * 31 + 7);
        }
        return SessionStoreTest.flat(List.of(
                new Node(A, Node.COMMON, "T_Object", List.of(), "alpha-2".getBytes(StandardCharsets.UTF_8)),
                new Node(B, "alice", "T_Matériau", List.of(A), big),
                new Node(D, Node.COMMON, "T_Light", List.of(B), "delta".getBytes(StandardCharsets.UTF_8))));
    }

    @Test
    void aVersionOneLogReadsAsItAlwaysDid() throws Exception {
        byte[] log = versionOneLog();
        assertThat(log[11]).isEqualTo((byte) 1);
        StoreReader.Replay replay = StoreReader.read(new java.io.ByteArrayInputStream(log));
        assertThat(replay.damage()).isNull();
        assertThat(replay.version()).isEqualTo(1);
        assertThat(replay.records()).isEqualTo(11);
        assertThat(replay.validBytes()).isEqualTo(log.length);
        assertThat(replay.state()).isEqualTo(SessionState.ACTIVE);
        assertThat(replay.chains()).isEmpty();
        assertThat(SessionStoreTest.flat(replay.nodes().values())).isEqualTo(expected());
    }

    @Test
    void aStoreOpensAVersionOneLogAndGoesOnWritingIt() throws Exception {
        Path logFile = dir.resolve(SessionStore.LOG_FILE);
        Files.write(logFile, versionOneLog());
        StoreSettings settings = new StoreSettings(dir, 0, Long.MAX_VALUE);
        try (SessionStore store = SessionStore.open(settings, StoreListener.NONE)) {
            assertThat(SessionStoreTest.flat(store.restored().nodes())).isEqualTo(expected());
            assertThat(store.restored().chains()).isEmpty();
            store.ownerChanged(store.restored().nodes().get(1).withOwner("bob"));
        }
        assertThat(Files.readAllBytes(logFile)[11]).as("no chain record: still version 1").isEqualTo((byte) 1);

        Delta delta = new Delta(List.of(B), new byte[] {1, 2}, new byte[] {3, 4, 5});
        try (SessionStore store = SessionStore.open(settings, StoreListener.NONE)) {
            assertThat(store.restored().nodes().get(1).owner()).isEqualTo("bob");
            store.deltaAppended(A, delta);
        }
        assertThat(Files.readAllBytes(logFile)[11]).isEqualTo((byte) 2);
        try (SessionStore store = SessionStore.open(settings, StoreListener.NONE)) {
            assertThat(store.restored().nodes()).extracting(Node::uuid).containsExactly(A, B, D);
            assertThat(store.restored().nodes().get(0).dependencies()).containsExactly(B);
            assertThat(store.restored().chain(A)).singleElement().satisfies(d -> {
                assertThat(d.dependenciesPickle()).containsExactly(1, 2);
                assertThat(d.blob()).containsExactly(3, 4, 5);
            });
        }
    }
}
