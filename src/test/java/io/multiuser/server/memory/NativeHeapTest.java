package io.multiuser.server.memory;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import com.sun.jna.Native;
import com.sun.jna.Pointer;

/** malloc_trim really hands freed malloc memory back (this machine runs glibc, as the image does). */
class NativeHeapTest {

    @Test
    void theResidentSizeIsTheKernelsFigure() throws IOException {
        // statm counts pages: 4 KiB on the x86-64 and arm64 Linux this server runs on
        long statm = Long.parseLong(Files.readString(Path.of("/proc/self/statm"))
                .strip().split(" ")[1]) * 4096;
        long rss = NativeHeap.residentBytes().orElseThrow();
        assertThat(rss).as("VmRSS vs statm's resident pages (read a moment apart)")
                .isBetween(statm - (16L << 20), statm + (16L << 20)).isGreaterThan(8L << 20);
    }

    @Test
    void freedMallocMemoryStaysResidentUntilTrimmed() {
        int chunks = 3_000;
        int size = 16 << 10; // below malloc's mmap threshold: from the arena
        List<Long> blocks = new ArrayList<>();
        for (int i = 0; i < chunks; i++) {
            long block = Native.malloc(size);
            new Pointer(block).setMemory(0, size, (byte) 1); // touch every page
            blocks.add(block);
        }
        // every 64th block and the last stay: free() alone can then return nothing (it only shrinks the
        // arena's top), wherever in the arena the blocks landed
        List<Long> pins = new ArrayList<>();
        List<Long> freedBlocks = new ArrayList<>();
        for (int i = 0; i < chunks; i++) {
            (i % 64 == 63 || i == chunks - 1 ? pins : freedBlocks).add(blocks.get(i));
        }
        long touched = NativeHeap.residentBytes().orElseThrow();
        freedBlocks.forEach(Native::free);
        long freed = NativeHeap.residentBytes().orElseThrow();
        long mallocFree = NativeHeap.freeBytes();

        assertThat(NativeHeap.trim()).as("glibc's malloc_trim is reachable").isTrue();
        long trimmed = NativeHeap.residentBytes().orElseThrow();
        pins.forEach(Native::free);

        assertThat(mallocFree >> 20).as("MiB malloc reports free after the frees").isGreaterThanOrEqualTo(40);
        long freedMib = (touched - freed) >> 20;
        long trimmedMib = (freed - trimmed) >> 20;
        assertThat(trimmedMib).as("MiB returned by the trim (free() alone returned %d MiB of %d)", freedMib,
                ((long) freedBlocks.size() * size) >> 20).isGreaterThanOrEqualTo(30);
    }
}
