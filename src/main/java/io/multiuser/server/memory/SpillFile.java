package io.multiuser.server.memory;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.lang.ref.Cleaner;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;

import io.multiuser.server.protocol.Payload;

/**
 * One file of spilled payloads: appended to by its engine's thread, read by any thread through the
 * payloads that point into it. The file is unlinked as soon as it is open, so a crash leaves nothing
 * behind, and it is closed (its space freed) once no payload refers to it any more.
 * <p>
 * A {@link RandomAccessFile} rather than a {@code FileChannel}: an interrupted reader would close a
 * channel for every other thread, and an unlinked file cannot be opened again.
 */
final class SpillFile implements Payload.Backing {

    /** The JDK's own threads have no context class loader: a dev-mode reload does not keep this one alive. */
    private static final Cleaner CLEANER = Cleaner.create();

    private final RandomAccessFile file;
    private final HeapPacer pacer;
    /** Bytes appended; written by the engine thread only. */
    private long size;

    private SpillFile(RandomAccessFile file, HeapPacer pacer) {
        this.file = file;
        this.pacer = pacer;
        CLEANER.register(this, new Closer(file));
    }

    /** A new, empty spill file in {@code directory} (created if missing), already unlinked. */
    static SpillFile create(Path directory, HeapPacer pacer) throws IOException {
        Files.createDirectories(directory);
        Path path = Files.createTempFile(directory, "multiuser-payloads-", ".spill"); // owner-only on POSIX
        RandomAccessFile file = new RandomAccessFile(path.toFile(), "rw");
        try {
            Files.delete(path); // the open file stays usable (POSIX); nothing to clean up after a crash
        } catch (IOException e) {
            path.toFile().deleteOnExit(); // a system that cannot unlink an open file
        }
        return new SpillFile(file, pacer);
    }

    /** Appends the bytes of {@code payload} (in memory: a view is written as it is, not copied); returns where they start. */
    long append(Payload payload) throws IOException {
        ByteBuffer bytes = payload.buffer();
        long at = size;
        synchronized (file) {
            file.seek(at);
            file.write(bytes.array(), bytes.arrayOffset() + bytes.position(), bytes.remaining());
        }
        size = at + bytes.remaining();
        return at;
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

    /** Closes the file once unreachable; must not refer to the {@link SpillFile} itself. */
    private record Closer(RandomAccessFile file) implements Runnable {
        @Override
        public void run() {
            try {
                file.close();
            } catch (IOException e) {
                // nothing to do: the file was unlinked at creation, its space goes with the descriptor
            }
        }
    }
}
