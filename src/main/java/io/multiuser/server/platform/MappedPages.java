package io.multiuser.server.platform;

import java.nio.ByteBuffer;

import com.sun.jna.Native;
import com.sun.jna.Platform;
import com.sun.jna.Pointer;

/**
 * Drops the pages of a file mapping from this process's resident set ({@code madvise(MADV_DONTNEED)}):
 * the file's bytes stay in the page cache and the mapping stays valid, so a later read (by any thread,
 * including one still sending from it) faults the same bytes in again. Only for read-only mappings of
 * a file: on anonymous or private memory the same call would zero the pages.
 */
public final class MappedPages {

    private static final int MADV_DONTNEED = 4;
    private static volatile boolean unavailable = !Platform.isLinux() || !Platform.is64Bit();
    private static volatile long pageSize;

    private MappedPages() {
    }

    /** Whether {@link #release} can work here (64-bit Linux with a reachable libc). */
    public static boolean available() {
        return !unavailable && pageSize() > 0;
    }

    /**
     * Releases the whole pages under {@code mapped} (a direct buffer over a shared read-only file
     * mapping); false where that cannot be done, and then nothing changed.
     */
    public static boolean release(ByteBuffer mapped) {
        if (!mapped.isDirect() || !available()) {
            return false;
        }
        try {
            long address = Pointer.nativeValue(Native.getDirectBufferPointer(mapped));
            long page = pageSize();
            long from = address - Math.floorMod(address, page); // the mapping starts on a page boundary too
            long length = address + mapped.capacity() - from;
            LibC.get().madvise(new Pointer(from), length, MADV_DONTNEED);
            return true;
        } catch (LinkageError | RuntimeException e) { // LastErrorException included: the pages stay, nothing worse
            return false;
        }
    }

    private static long pageSize() {
        long size = pageSize;
        if (size == 0) {
            try {
                size = LibC.get().getpagesize();
            } catch (LinkageError | RuntimeException e) {
                unavailable = true;
                size = -1;
            }
            pageSize = size;
        }
        return size;
    }
}
