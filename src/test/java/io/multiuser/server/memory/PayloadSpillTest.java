package io.multiuser.server.memory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.multiuser.server.platform.MappedPages;
import io.multiuser.server.protocol.Node;
import io.multiuser.server.protocol.Payload;

/** Which payloads leave the heap and when, with a real file in a temporary directory and a hand-moved clock. */
class PayloadSpillTest {

    private static final int THRESHOLD = 1024;

    @TempDir
    Path dir;
    private long now = 1_000;
    private final HeapPacer pacer = new HeapPacer(Long.MAX_VALUE, false);

    private PayloadSpill spill() {
        return new PayloadSpill(new SpillSettings(THRESHOLD, dir), pacer, () -> now);
    }

    private static Node node(String uuid, int bytes, int seed) {
        byte[] payload = new byte[bytes];
        new Random(seed).nextBytes(payload);
        return new Node(uuid, "alice", "Mesh", List.of(), payload);
    }

    @Test
    void aBigPayloadIsWrittenOnceItSettledAndReadsBackTheSame() {
        PayloadSpill spill = spill();
        Node big = node("a", 5000, 1);
        Node small = node("b", THRESHOLD - 1, 2);
        byte[] expected = big.payload().toArray().clone();
        spill.offer(big);
        spill.offer(small);

        now += PayloadSpill.SETTLE_MILLIS - 1;
        spill.flush(List.of(big, small));
        assertThat(big.payload().inMemory()).isTrue();

        now += 1;
        spill.flush(List.of(big, small));
        assertThat(big.payload().inMemory()).isFalse();
        assertThat(small.payload().inMemory()).isTrue();
        assertThat(big.payload().toArray()).isEqualTo(expected);
        assertThat(spill.spilledPayloads()).isEqualTo(1);
        assertThat(spill.fileBytes()).isEqualTo(5000);
        assertThat(spill.hasWork()).isFalse();
    }

    @Test
    void aBigPayloadEditedBeforeItSettledCountsAsGarbageForThePacer() {
        HeapGauge atItsPeak = new HeapGauge() {
            @Override
            public long used() {
                return 100 << 20;
            }

            @Override
            public long peak() {
                return 100 << 20;
            }

            @Override
            public long committed() {
                return 100 << 20;
            }

            @Override
            public void resetPeak() {
                // stays at its peak
            }
        };
        HeapPacer counting = new HeapPacer(2 * THRESHOLD, true, null, atItsPeak);
        PayloadSpill spill = new PayloadSpill(new SpillSettings(THRESHOLD, dir), counting, () -> now);
        spill.offer(node("small", THRESHOLD - 1, 1));
        spill.offer(node("small", THRESHOLD - 1, 2));
        spill.offer(node("small", THRESHOLD - 1, 3));
        spill.offer(node("a", THRESHOLD, 1));
        spill.offer(node("a", THRESHOLD, 2));
        assertThat(counting.requestedCycles()).as("1 KiB of big payloads replaced, the small ones never count").isZero();
        spill.offer(node("a", THRESHOLD, 3));
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> counting.requestedCycles() == 1);
        assertThat(spill.spilledPayloads()).isZero();
    }

    @Test
    void thePagesSendsTookAreLetGoAfterEnoughBytesOrOnceTheSendsStop() {
        assumeThat(MappedPages.available()).as("64-bit Linux").isTrue();
        PayloadSpill spill = spill();
        Node big = node("a", 5000, 1);
        spill.offer(big);
        now += PayloadSpill.SETTLE_MILLIS;
        spill.flush(List.of(big));
        assertThat(spill.hasWork()).isFalse();

        assertThat(big.payload().sendBuffer().isDirect()).as("sent from the file's pages").isTrue();
        assertThat(spill.hasWork()).as("pages to let go").isTrue();
        spill.flush(List.of(big));
        now += PayloadSpill.RELEASE_AFTER_MILLIS - 1;
        spill.flush(List.of(big));
        assertThat(spill.hasWork()).as("a join may still be sending").isTrue();
        now += 1;
        spill.flush(List.of(big));
        assertThat(spill.hasWork()).as("the sends stopped a second ago").isFalse();

        for (long lent = 0; lent < PayloadSpill.RELEASE_EVERY_BYTES; lent += 5000) {
            big.payload().sendBuffer();
        }
        spill.flush(List.of(big));
        assertThat(spill.hasWork()).as("a window's worth sent: let go at once").isFalse();
    }

    @Test
    void aNodeEditedBeforeItSettledIsNeverWrittenInItsOldVersion() {
        PayloadSpill spill = spill();
        Node first = node("a", 5000, 1);
        spill.offer(first);
        now += 1000;
        Node second = node("a", 6000, 2);
        spill.offer(second);
        now += 1000; // the first version's time has come, but it is no longer the node's

        spill.flush(List.of(second));
        assertThat(first.payload().inMemory()).isTrue();
        assertThat(second.payload().inMemory()).isTrue();
        assertThat(spill.spilledPayloads()).isZero();

        now += 1000;
        spill.flush(List.of(second));
        assertThat(second.payload().inMemory()).isFalse();
        assertThat(spill.fileBytes()).isEqualTo(6000);
    }

    @Test
    void deletedAndClearedNodesAreNotWritten() {
        PayloadSpill spill = spill();
        Node a = node("a", 5000, 1);
        Node b = node("b", 5000, 2);
        Node c = node("c", 5000, 3);
        spill.offer(a);
        spill.offer(b);
        spill.forget("a");
        spill.forgetAll();
        spill.offer(c);
        now += PayloadSpill.SETTLE_MILLIS;

        spill.flush(List.of(c));
        assertThat(a.payload().inMemory()).isTrue();
        assertThat(b.payload().inMemory()).isTrue();
        assertThat(c.payload().inMemory()).isFalse();
        assertThat(spill.spilledPayloads()).isEqualTo(1);
    }

    @Test
    void tooManyWaitingBytesWriteTheOldestButNeverTheNewestAtOnce() {
        PayloadSpill spill = spill();
        List<Node> nodes = new ArrayList<>();
        int mib = 1 << 20;
        for (int i = 0; i < PayloadSpill.PENDING_MAX_MIB + 4; i++) {
            Node n = node("n" + i, mib, i);
            nodes.add(n);
            spill.offer(n); // no flush, no time: the budget alone
        }
        long written = nodes.stream().filter(n -> !n.payload().inMemory()).count();
        assertThat(written).isEqualTo(4);
        assertThat(nodes.subList(0, 4)).allMatch(n -> !n.payload().inMemory());
        assertThat(nodes.get(nodes.size() - 1).payload().inMemory()).isTrue();

        Node huge = node("huge", (PayloadSpill.PENDING_MAX_MIB + 1) * mib, 99);
        spill.offer(huge); // alone over the budget: its own sends are still to come
        assertThat(huge.payload().inMemory()).isTrue();
    }

    @Test
    void anUploadIsWrittenAsItArrives() {
        PayloadSpill spill = spill();
        spill.uploading(true);
        Node a = node("a", 5000, 1);
        spill.offer(a);
        assertThat(a.payload().inMemory()).isFalse();
        spill.uploading(false);
        Node b = node("b", 5000, 2);
        spill.offer(b);
        assertThat(b.payload().inMemory()).isTrue();
    }

    @Test
    void aRestoredSceneIsOfferedWhole() {
        PayloadSpill spill = spill();
        List<Node> scene = List.of(node("a", 5000, 1), node("b", 10, 2), node("c", 7000, 3));
        spill.offerAll(scene);
        now += PayloadSpill.SETTLE_MILLIS;
        spill.flush(scene);
        assertThat(scene).extracting(n -> n.payload().inMemory()).containsExactly(false, true, false);
    }

    @Test
    void aFileMostlyOfReplacedPayloadsIsCompactedIntoANewOne() {
        PayloadSpill spill = spill();
        spill.uploading(true); // every version written at once
        int mib = 1 << 20;
        Node keep = node("keep", mib, 0);
        spill.offer(keep);
        byte[] kept = keep.payload().toArray();
        Node current = null;
        for (int i = 0; i < PayloadSpill.CHECK_EVERY_MIB; i++) {
            current = node("hot", mib, i + 1);
            spill.offer(current);
        }
        List<Node> scene = List.of(keep, current);
        Payload.Backing before = keep.payload().backing();
        assertThat(spill.fileBytes()).isEqualTo((PayloadSpill.CHECK_EVERY_MIB + 1L) * mib);

        spill.flush(scene); // looks: 2 MiB live of 65; the live ones move to a new file
        spill.flush(scene);

        assertThat(keep.payload().backing()).isNotSameAs(before);
        assertThat(current.payload().backing()).isSameAs(keep.payload().backing());
        assertThat(spill.fileBytes()).isEqualTo(2L * mib);
        assertThat(keep.payload().toArray()).isEqualTo(kept);
        assertThat(spill.hasWork()).isFalse();
    }

    @Test
    void spillFilesAreUnlinkedAtOnceSoNothingIsLeftBehind() throws IOException {
        PayloadSpill spill = spill();
        spill.uploading(true);
        Node a = node("a", 5000, 1);
        spill.offer(a);
        assertThat(a.payload().inMemory()).isFalse();
        try (Stream<Path> files = Files.list(dir)) {
            assertThat(files).isEmpty();
        }
    }

    @Test
    void aDirectoryThatCannotBeWrittenKeepsThePayloadsOnTheHeap() throws IOException {
        Path notADirectory = Files.writeString(dir.resolve("file"), "x");
        PayloadSpill spill = new PayloadSpill(new SpillSettings(THRESHOLD, notADirectory.resolve("sub")), pacer,
                () -> now);
        spill.uploading(true);
        Node a = node("a", 5000, 1);
        spill.offer(a);
        assertThat(a.payload().inMemory()).isTrue();
        assertThat(a.payload().length()).isEqualTo(5000);
        assertThat(spill.spilledPayloads()).isZero();
    }

    @Test
    void thresholdZeroKeepsEverythingOnTheHeap() {
        PayloadSpill spill = new PayloadSpill(new SpillSettings(0, dir), pacer, () -> now);
        spill.uploading(true);
        Node a = node("a", 1 << 20, 1);
        spill.offer(a);
        now += PayloadSpill.SETTLE_MILLIS;
        spill.flush(List.of(a));
        assertThat(a.payload().inMemory()).isTrue();
        assertThat(spill.hasWork()).isFalse();
    }

    /** A node whose payload a restore put in {@code stash}'s file, as StoreReader does. */
    private static Node stashed(PayloadStash stash, String uuid, int bytes, int seed) throws IOException {
        byte[] payload = node(uuid, bytes, seed).payload().toArray();
        DataInputStream in = new DataInputStream(new ByteArrayInputStream(payload));
        return new Node(uuid, "alice", "Mesh", List.of(), stash.take(in::readFully, bytes));
    }

    @Test
    void aRestoredScenesFileBecomesTheSessionsAndAClearedSceneStartsANewOne() throws IOException {
        PayloadStash stash = new PayloadStash(new SpillSettings(THRESHOLD, dir), pacer);
        List<Node> restored = List.of(stashed(stash, "a", 5000, 1), stashed(stash, "b", 7000, 2));
        PayloadSpill spill = spill();

        spill.offerAll(restored);

        assertThat(spill.fileBytes()).as("the stash's file, adopted").isEqualTo(12_000);
        assertThat(restored.get(1).payload().toArray()).isEqualTo(node("b", 7000, 2).payload().toArray());
        spill.uploading(true);
        Node c = node("c", 3000, 3);
        spill.offer(c);
        assertThat(spill.fileBytes()).as("appended to the same file").isEqualTo(15_000);
        assertThat(c.payload().backing()).isSameAs(restored.get(0).payload().backing());

        spill.cleared();
        assertThat(spill.fileBytes()).isZero();
        Node d = node("d", 4000, 4);
        spill.offer(d);
        assertThat(spill.fileBytes()).as("a new file").isEqualTo(4000);
        assertThat(d.payload().backing()).isNotSameAs(c.payload().backing());
    }

    @Test
    void aPayloadInAnotherFileMovesIntoTheSessionsOwn() throws IOException {
        PayloadSpill spill = spill();
        spill.uploading(true);
        Node own = node("a", 5000, 1);
        spill.offer(own);
        spill.uploading(false);
        PayloadStash stash = new PayloadStash(new SpillSettings(THRESHOLD, dir), pacer);
        Node foreign = stashed(stash, "b", 6000, 2);
        Payload.Backing foreignFile = foreign.payload().backing();

        spill.offer(foreign);
        assertThat(spill.hasWork()).isTrue();
        spill.flush(List.of(own, foreign));

        assertThat(foreign.payload().backing()).isNotSameAs(foreignFile).isSameAs(own.payload().backing());
        assertThat(foreign.payload().toArray()).isEqualTo(node("b", 6000, 2).payload().toArray());
        assertThat(spill.fileBytes()).isEqualTo(11_000);
    }
}
