package io.multiuser.server.memory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Platform;
import com.sun.jna.Structure;

/**
 * glibc's {@code malloc_trim} and {@code mallinfo2}: the JVM's own native allocations (the JIT
 * compilers' arenas above all) are freed to malloc, which keeps the pages; after start-up that was
 * 15-20 MiB of an idle server's resident memory. Absent elsewhere (musl, macOS): then nothing is
 * trimmed, and the free bytes are unknown.
 */
final class NativeHeap {

    private interface CLibrary extends Library {
        int malloc_trim(long pad); // size_t: 64 bits on the 64-bit Linux this is used on

        MallInfo2.ByValue mallinfo2(); // glibc 2.33+
    }

    /** glibc's {@code struct mallinfo2}: ten size_t counters. */
    @Structure.FieldOrder({"arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks",
        "fordblks", "keepcost"})
    public static class MallInfo2 extends Structure {
        public long arena;
        public long ordblks;
        public long smblks;
        public long hblks;
        public long hblkhd;
        public long usmblks;
        public long fsmblks;
        public long uordblks;
        public long fordblks; // free bytes held in the arenas: what a trim may hand back
        public long keepcost;

        /** Returned by value. */
        public static class ByValue extends MallInfo2 implements Structure.ByValue {
        }
    }

    private static volatile boolean noMallinfo;

    private static volatile CLibrary libc;
    private static volatile boolean unavailable = !Platform.isLinux() || !Platform.is64Bit();

    private NativeHeap() {
    }

    /** Returns malloc's free pages to the OS; false when this platform's libc cannot. */
    static boolean trim() {
        if (unavailable) {
            return false;
        }
        try {
            libc().malloc_trim(0);
            return true;
        } catch (LinkageError | RuntimeException e) { // no glibc: no malloc_trim
            unavailable = true;
            return false;
        }
    }

    /**
     * Bytes malloc holds free in its arenas (they stay counted after a trim, which only hands their
     * pages back): growth means something was freed since. Negative where glibc cannot tell.
     */
    static long freeBytes() {
        if (unavailable || noMallinfo) {
            return -1;
        }
        try {
            return libc().mallinfo2().fordblks;
        } catch (LinkageError | RuntimeException e) { // glibc before 2.33, or none
            noMallinfo = true;
            return -1;
        }
    }

    private static CLibrary libc() {
        CLibrary c = libc;
        if (c == null) {
            c = Native.load("c", CLibrary.class);
            libc = c;
        }
        return c;
    }

    /** The process's resident memory, from /proc (Linux only). */
    static OptionalLong residentBytes() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return OptionalLong.of(Long.parseLong(line.replaceAll("\\D", "")) * 1024);
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux
        }
        return OptionalLong.empty();
    }
}
