package io.multiuser.server.memory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;

import com.sun.jna.Platform;

import io.multiuser.server.platform.LibC;

/**
 * glibc's {@code malloc_trim} and {@code mallinfo2}: the JVM's own native allocations (the JIT
 * compilers' arenas above all) are freed to malloc, which keeps the pages; after start-up that was
 * 15-20 MiB of an idle server's resident memory. Absent elsewhere (musl, macOS): then nothing is
 * trimmed, and the free bytes are unknown.
 */
final class NativeHeap {

    private static volatile boolean noMallinfo;
    private static volatile boolean unavailable = !Platform.isLinux() || !Platform.is64Bit();

    private NativeHeap() {
    }

    /** Returns malloc's free pages to the OS; false when this platform's libc cannot. */
    static boolean trim() {
        if (unavailable) {
            return false;
        }
        try {
            LibC.get().malloc_trim(0);
            return true;
        } catch (LinkageError | RuntimeException e) { // no glibc: no malloc_trim
            unavailable = true;
            return false;
        }
    }

    /**
     * Bytes malloc holds free in its arenas; growth since the last trim means something was freed to
     * it since. Negative where glibc cannot tell.
     */
    static long freeBytes() {
        if (unavailable || noMallinfo) {
            return -1;
        }
        try {
            return LibC.get().mallinfo2().fordblks;
        } catch (LinkageError | RuntimeException e) { // glibc before 2.33, or none
            noMallinfo = true;
            return -1;
        }
    }

    /**
     * The process's resident memory, from /proc (Linux only). Read every second: parsed by hand, since
     * a regular expression here made the JIT compile the regex engine in a quiet server.
     */
    static OptionalLong residentBytes() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) { // "VmRSS:\t  123456 kB"
                    String value = line.substring("VmRSS:".length()).strip();
                    int unit = value.indexOf(' ');
                    return OptionalLong.of(Long.parseLong(unit < 0 ? value : value.substring(0, unit)) * 1024);
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux
        }
        return OptionalLong.empty();
    }
}
