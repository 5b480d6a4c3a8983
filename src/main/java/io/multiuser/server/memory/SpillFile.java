package io.multiuser.server.memory;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.lang.ref.Cleaner;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;

import org.jboss.logging.Logger;

import io.multiuser.server.platform.MappedPages;
import io.multiuser.server.protocol.Payload;

/**
 * One file of spilled payloads: appended to by its engine's thread, read by any thread through the
 * payloads that point into it. The file is unlinked as soon as it is open, so a crash leaves nothing
 * behind, and it is closed (its space freed) once no payload refers to it any more.
 * <p>
 * A {@link RandomAccessFile} for the reads and writes rather than a {@code FileChannel}: an interrupted
 * reader would close a channel for every other thread, and an unlinked file cannot be opened again.
 * <p>
 * A join sends payloads from the file's pages, not from heap copies ({@link #mapped}): copies of a
 * 64 MiB scene cost a join more than they saved (fresh heap pages faulted in and zeroed for every
 * copy, a paced collection after every few MiB). The file is mapped in windows of {@value #WINDOW_MIB}
 * MiB, through a channel of its own (opened before the unlink) that only the engine's thread uses; if
 * it is ever closed, sends fall back to copies. A payload up to {@value #WINDOWED_MAX_KIB} KiB never
 * straddles two windows (it starts in the next one instead); a bigger one is mapped on its own. Pages
 * a send touched count in the process's resident memory until {@link #release} drops them again.
 */
final class SpillFile implements Payload.Backing {

    private static final Logger LOG = Logger.getLogger(SpillFile.class);
    /** The JDK's own threads have no context class loader: a dev-mode reload does not keep this one alive. */
    private static final Cleaner CLEANER = Cleaner.create();
    static final int WINDOW_MIB = 64;
    static final int WINDOWED_MAX_KIB = 4096;

    private final RandomAccessFile file;
    /** For mapping only; null where the file cannot be mapped (then every send reads a copy). */
    private final FileChannel mapper;
    private final HeapPacer pacer;
    private final long windowBytes;
    private final long windowedMaxBytes;
    /** Bytes appended (padding included); written by the engine thread only. */
    private long size;
    /** Mapped windows by index (null: not yet); engine thread only, like everything below. */
    private final List<MappedByteBuffer> windows = new ArrayList<>();
    /** Windows sends took pages from since the last {@link #release}. */
    private final BitSet touched = new BitSet();
    /** Payloads mapped on their own since the last release (the mappings go with the garbage collector). */
    private final List<ByteBuffer> lentAlone = new ArrayList<>();
    private long lentSinceRelease;

    private SpillFile(RandomAccessFile file, FileChannel mapper, HeapPacer pacer, long windowBytes,
            long windowedMaxBytes) {
        this.file = file;
        this.mapper = mapper;
        this.pacer = pacer;
        this.windowBytes = windowBytes;
        this.windowedMaxBytes = windowedMaxBytes;
        CLEANER.register(this, new Closer(file, mapper));
    }

    /** A new, empty spill file in {@code directory} (created if missing), already unlinked. */
    static SpillFile create(Path directory, HeapPacer pacer) throws IOException {
        return create(directory, pacer, (long) WINDOW_MIB << 20, (long) WINDOWED_MAX_KIB << 10);
    }

    /** With other window sizes: for tests, which need not write 64 MiB to reach a window's end. */
    static SpillFile create(Path directory, HeapPacer pacer, long windowBytes, long windowedMaxBytes)
            throws IOException {
        Files.createDirectories(directory);
        Path path = Files.createTempFile(directory, "multiuser-payloads-", ".spill"); // owner-only on POSIX
        RandomAccessFile file = new RandomAccessFile(path.toFile(), "rw");
        FileChannel mapper = null;
        if (MappedPages.available()) { // mapped pages that cannot be released would stay resident
            try {
                mapper = FileChannel.open(path, StandardOpenOption.READ);
            } catch (IOException | UnsupportedOperationException e) {
                LOG.debugf("Spilled payloads will be sent from copies: cannot map %s (%s)", path, e);
            }
        }
        try {
            Files.delete(path); // the open file stays usable (POSIX); nothing to clean up after a crash
        } catch (IOException e) {
            path.toFile().deleteOnExit(); // a system that cannot unlink an open file
        }
        return new SpillFile(file, mapper, pacer, windowBytes, windowedMaxBytes);
    }

    /** Appends the bytes of {@code payload} (in memory: a view is written as it is, not copied); returns where they start. */
    long append(Payload payload) throws IOException {
        ByteBuffer bytes = payload.buffer(); // a spilled one (a compaction's move): a copy read from its file
        int length = bytes.remaining();
        long at = place(length);
        write(at, bytes.array(), bytes.arrayOffset() + bytes.position(), length);
        size = at + length;
        return at;
    }

    /**
     * Room for {@code length} bytes at the end, to be filled with {@link #write}; returns where. Room
     * never filled (a restore whose record turned out damaged) is dead bytes, like a replaced payload's.
     */
    long reserve(int length) throws IOException {
        long at = place(length);
        size = at + length;
        return at;
    }

    /** Writes {@code length} bytes of {@code bytes} from {@code offset} at {@code position} of the file. */
    void write(long position, byte[] bytes, int offset, int length) throws IOException {
        synchronized (file) {
            file.seek(position);
            file.write(bytes, offset, length);
        }
    }

    /**
     * Where {@code length} bytes go: the end, or the next window's start for a small payload that would
     * straddle two. The file's length is always whole windows (so that any window can be mapped once it
     * holds a payload): it grows when the bytes reach past the last one.
     */
    private long place(int length) throws IOException {
        long at = size;
        if (length <= windowedMaxBytes && at / windowBytes != (at + length - 1) / windowBytes) {
            at = (at / windowBytes + 1) * windowBytes; // a small payload within one window: it can be sent from there
        }
        long windowsEnd = windowsEnd(at + length);
        if (windowsEnd > windowsEnd(size)) {
            synchronized (file) {
                file.setLength(windowsEnd); // sparse: the gap takes no disk space
            }
        }
        return at;
    }

    private long windowsEnd(long bytes) {
        return (bytes + windowBytes - 1) / windowBytes * windowBytes;
    }

    long size() {
        return size;
    }

    @Override
    public void read(long position, byte[] into, int offset, int length) {
        try {
            synchronized (file) {
                file.seek(position);
                file.readFully(into, offset, length);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read a spilled payload back", e);
        }
    }

    @Override
    public void copiedOut(int length) {
        pacer.transientBytes(length); // a copy on the heap for one send: garbage once sent
    }

    /**
     * A read-only buffer over the payload's pages in the file, or null when they cannot be mapped. For
     * the engine's thread, which sends it; its pages count as resident until the next {@link #release}.
     */
    @Override
    public ByteBuffer mapped(long position, int length) {
        if (mapper == null || length == 0) {
            return null;
        }
        try {
            ByteBuffer slice;
            if (length > windowedMaxBytes) {
                slice = mapper.map(FileChannel.MapMode.READ_ONLY, position, length);
                lentAlone.add(slice);
            } else {
                int index = (int) (position / windowBytes); // place() keeps a payload this small within one window
                slice = window(index).slice((int) (position - index * windowBytes), length);
                touched.set(index);
            }
            lentSinceRelease += length;
            return slice;
        } catch (IOException | RuntimeException e) {
            // closed (an interrupt), no address space left, or (never) a payload across two windows:
            // this send copies, like before mapping
            LOG.debugf("Cannot map a spilled payload (%s); sending a copy", e);
            return null;
        }
    }

    private MappedByteBuffer window(int index) throws IOException {
        while (windows.size() <= index) {
            windows.add(null);
        }
        MappedByteBuffer window = windows.get(index);
        if (window == null) {
            window = mapper.map(FileChannel.MapMode.READ_ONLY, (long) index * windowBytes, windowBytes);
            windows.set(index, window);
        }
        return window;
    }

    /** Payload bytes sent from the file's pages since the last {@link #release}. */
    long lentSinceRelease() {
        return lentSinceRelease;
    }

    /**
     * Drops the pages sends took from the file from the resident set. A send still under way only
     * faults its pages in again.
     */
    void release() {
        for (int i = touched.nextSetBit(0); i >= 0; i = touched.nextSetBit(i + 1)) {
            MappedPages.release(windows.get(i));
        }
        for (ByteBuffer alone : lentAlone) {
            MappedPages.release(alone);
        }
        touched.clear();
        lentAlone.clear();
        lentSinceRelease = 0;
    }

    /** Closes the file once unreachable; must not refer to the {@link SpillFile} itself. */
    private record Closer(RandomAccessFile file, FileChannel mapper) implements Runnable {
        @Override
        public void run() {
            // nothing to do if closing fails: the file was unlinked at creation, its space goes with the descriptors
            try {
                file.close();
            } catch (IOException e) {
                // see above
            }
            try {
                if (mapper != null) {
                    mapper.close(); // mappings still in use stay valid: they hold the file themselves
                }
            } catch (IOException e) {
                // see above
            }
        }
    }
}
