package io.multiuser.server.memory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.sun.jna.Native;
import com.sun.jna.Pointer;

import io.multiuser.server.platform.MappedPages;
import io.multiuser.server.protocol.Payload;

/** Sends from a spill file's mapped pages, with small windows so that a test need not write 64 MiB. */
class SpillFileTest {

    private static final long WINDOW = 1 << 20;
    private static final long WINDOWED_MAX = 64 << 10;

    @TempDir
    Path dir;
    private final HeapPacer pacer = new HeapPacer(Long.MAX_VALUE, false);

    private SpillFile file() throws IOException {
        return SpillFile.create(dir, pacer, WINDOW, WINDOWED_MAX);
    }

    private static Payload payload(int bytes, int seed) {
        byte[] b = new byte[bytes];
        new Random(seed).nextBytes(b);
        return Payload.of(b);
    }

    private static Payload spill(SpillFile file, Payload payload) throws IOException {
        payload.spill(file, file.append(payload));
        return payload;
    }

    private static byte[] bytes(ByteBuffer buffer) {
        byte[] b = new byte[buffer.remaining()];
        buffer.duplicate().get(b);
        return b;
    }

    @Test
    void aSpilledPayloadIsSentFromTheFilesPagesByteForByte() throws IOException {
        assumeThat(MappedPages.available()).as("64-bit Linux").isTrue();
        SpillFile file = file();
        Payload first = payload(40_000, 1);
        byte[] expected = first.toArray().clone();
        Payload second = payload(50_000, 2);
        spill(file, first);
        spill(file, second);

        ByteBuffer sent = first.sendBuffer();
        assertThat(sent.isDirect()).as("the file's pages, not a heap copy").isTrue();
        assertThat(sent.isReadOnly()).isTrue();
        assertThat(bytes(sent)).isEqualTo(expected);
        assertThat(bytes(second.sendBuffer())).isEqualTo(second.toArray());
        assertThat(file.lentSinceRelease()).isEqualTo(90_000);
        try (var files = Files.list(dir)) {
            assertThat(files).as("unlinked, though open twice").isEmpty();
        }
    }

    @Test
    void aSmallPayloadStartsInTheNextWindowRatherThanStraddleTwo() throws IOException {
        SpillFile file = file();
        long at = 0;
        for (int i = 0; i < 20; i++) { // 20 × 60,000 bytes: the 18th would cross the first MiB
            Payload p = payload(60_000, i);
            byte[] expected = p.toArray().clone();
            at = file.append(p);
            p.spill(file, at);
            assertThat(at / WINDOW).as("payload %d", i).isEqualTo((at + 59_999) / WINDOW);
            assertThat(p.toArray()).isEqualTo(expected);
        }
        assertThat(at).isEqualTo(WINDOW + 2 * 60_000);
        assertThat(file.size()).as("the padding counts as dead bytes").isEqualTo(WINDOW + 3 * 60_000);
    }

    @Test
    void aPayloadBiggerThanAWindowShareIsMappedOnItsOwn() throws IOException {
        assumeThat(MappedPages.available()).as("64-bit Linux").isTrue();
        SpillFile file = file();
        spill(file, payload(1000, 1)); // so that the big one starts off a page boundary
        Payload big = spill(file, payload((int) WINDOW + 12_345, 2)); // straddles, too big to be moved
        assertThat(bytes(big.sendBuffer())).isEqualTo(payload((int) WINDOW + 12_345, 2).toArray());
        assertThat(big.sendBuffer().isDirect()).isTrue();
    }

    @Test
    void aReleaseDropsTheSentPagesFromTheResidentSetAndKeepsTheBytes() throws IOException {
        assumeThat(MappedPages.available()).as("64-bit Linux").isTrue();
        SpillFile file = file();
        Payload p = spill(file, payload((int) WINDOWED_MAX, 3));
        Payload big = spill(file, payload((int) WINDOWED_MAX * 4, 4));
        ByteBuffer sent = p.sendBuffer();
        ByteBuffer bigSent = big.sendBuffer();
        byte[] expected = payload((int) WINDOWED_MAX, 3).toArray();
        byte[] bigExpected = payload((int) WINDOWED_MAX * 4, 4).toArray();
        assertThat(bytes(sent)).isEqualTo(expected); // every page read: as a send's copy into the socket does
        assertThat(bytes(bigSent)).isEqualTo(bigExpected);
        assertThat(residentKib(sent)).isGreaterThanOrEqualTo(WINDOWED_MAX >> 10);
        assertThat(residentKib(bigSent)).isGreaterThanOrEqualTo(WINDOWED_MAX * 4 >> 10);

        file.release();

        assertThat(residentKib(sent)).isZero();
        assertThat(residentKib(bigSent)).isZero();
        assertThat(file.lentSinceRelease()).isZero();
        assertThat(bytes(sent)).as("a send still under way reads the same bytes").isEqualTo(expected);
        assertThat(bytes(bigSent)).isEqualTo(bigExpected);
    }

    /** The "Rss" of the mapping that holds {@code buffer}, from /proc/self/smaps. */
    private static long residentKib(ByteBuffer buffer) throws IOException {
        long address = Pointer.nativeValue(Native.getDirectBufferPointer(buffer));
        boolean inside = false;
        for (String line : Files.readAllLines(Path.of("/proc/self/smaps"))) {
            int dash = line.indexOf('-');
            int space = line.indexOf(' ');
            if (dash > 0 && space > dash && line.substring(0, dash).chars().allMatch(c -> Character.digit(c, 16) >= 0)) {
                long from = Long.parseUnsignedLong(line.substring(0, dash), 16);
                long to = Long.parseUnsignedLong(line.substring(dash + 1, space), 16);
                inside = address >= from && address < to;
            } else if (inside && line.startsWith("Rss:")) {
                return Long.parseLong(line.substring(4).replace("kB", "").strip());
            }
        }
        throw new AssertionError("no mapping holds " + Long.toHexString(address));
    }
}
