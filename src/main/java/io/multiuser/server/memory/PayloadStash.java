package io.multiuser.server.memory;

import java.io.IOException;

import org.jboss.logging.Logger;

import io.multiuser.server.protocol.Payload;

/**
 * Puts the big payloads of a scene read from disk (a restore, an admin's import) into a spill file
 * as they are read, so that the scene never sits on the heap whole: a session that runs with a
 * scene bigger than the heap must also restart with it. The session's {@link PayloadSpill} adopts
 * the file when it is offered the scene.
 * <p>
 * One reader at a time. Where the file cannot be written, the payloads from then on are read onto
 * the heap, as without a stash, and one line says so.
 */
public final class PayloadStash {

    /** Where the bytes come from: the reader's stream, which checks them as they pass. */
    @FunctionalInterface
    public interface Source {
        void readFully(byte[] into, int offset, int length) throws IOException;
    }

    private static final Logger LOG = Logger.getLogger(PayloadStash.class);
    private static final int CHUNK = 64 << 10;

    private final SpillSettings settings;
    private final HeapPacer pacer;
    private SpillFile file;
    private byte[] chunk;
    private boolean broken;
    private long stashedBytes;

    public PayloadStash(SpillSettings settings, HeapPacer pacer) {
        this.settings = settings;
        this.pacer = pacer;
    }

    /** Keeps everything on the heap. */
    public static PayloadStash none() {
        return new PayloadStash(SpillSettings.OFF, HeapPacer.shared());
    }

    /** Whether a payload of {@code length} bytes goes to the file. */
    public boolean takes(int length) {
        return settings.enabled() && length >= settings.thresholdBytes() && !broken;
    }

    /** Payload bytes put in the file so far. */
    public long stashedBytes() {
        return stashedBytes;
    }

    /**
     * Reads {@code length} bytes from {@code source} into the file, a chunk at a time. Should the file
     * refuse them, the payload (and every one after it) is read onto the heap instead.
     */
    public Payload take(Source source, int length) throws IOException {
        if (chunk == null) {
            chunk = new byte[CHUNK];
        }
        long at;
        try {
            if (file == null) {
                file = SpillFile.create(settings.directory(), pacer);
            }
            at = file.reserve(length);
        } catch (IOException e) {
            return fallBack(source, length, new byte[length], 0, e);
        }
        for (int done = 0; done < length; done += chunk.length) {
            int n = Math.min(chunk.length, length - done);
            source.readFully(chunk, 0, n);
            try {
                file.write(at + done, chunk, 0, n);
            } catch (IOException e) {
                byte[] bytes = new byte[length];
                file.read(at, bytes, 0, done); // what went in before the failure reads back
                System.arraycopy(chunk, 0, bytes, done, n);
                return fallBack(source, length, bytes, done + n, e);
            }
        }
        stashedBytes += length;
        return Payload.spilled(file, at, length);
    }

    private Payload fallBack(Source source, int length, byte[] bytes, int done, IOException why) throws IOException {
        broken = true;
        LOG.warnf("Cannot keep the scene's big payloads in a file in %s (%s): the rest are read onto the heap",
                settings.directory(), why);
        source.readFully(bytes, done, length - done);
        return Payload.of(bytes);
    }
}
