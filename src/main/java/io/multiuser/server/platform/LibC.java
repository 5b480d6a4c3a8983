package io.multiuser.server.platform;

import com.sun.jna.LastErrorException;
import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import com.sun.jna.Structure;

/**
 * The C library calls the server makes, through JNA, bound once. JNA looks a function up at its first
 * call, so a libc without one of them (musl has no {@code mallinfo2}) fails that call alone, with a
 * {@link LinkageError} the caller turns into "not available here".
 */
public final class LibC {

    /** The calls; types as on 64-bit Linux ({@code size_t} is a Java long). */
    public interface Calls extends Library {
        /** {@code param} is {@code struct sched_param}, a single int. */
        int sched_setscheduler(int pid, int policy, int[] param) throws LastErrorException;

        int malloc_trim(long pad);

        MallInfo2.ByValue mallinfo2(); // glibc 2.33+

        /** {@code addr} page-aligned. */
        int madvise(Pointer addr, long length, int advice) throws LastErrorException;

        int getpagesize();
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

    private static volatile Calls calls;

    private LibC() {
    }

    /** The bound library; a {@link LinkageError} where there is no libc to load. */
    public static Calls get() {
        Calls c = calls;
        if (c == null) {
            c = Native.load("c", Calls.class);
            calls = c;
        }
        return c;
    }
}
