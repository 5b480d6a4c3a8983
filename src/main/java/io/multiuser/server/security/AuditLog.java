package io.multiuser.server.security;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import org.jboss.logging.Logger;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;

/**
 * The audit trail: every admin action and every security refusal, one JSON line each in
 * {@code DATA/audit.log} (rotated at {@value #ROTATE_BYTES} bytes, {@value #KEEP} old files kept),
 * the last {@value #RECENT} also in memory for {@code GET /admin/api/audit}. Recording never
 * blocks the caller (an engine thread): lines go to the file from a writer thread. Never a
 * password, a token or a payload byte: callers pass names, addresses and reasons only.
 */
public final class AuditLog implements AutoCloseable {

    static final long ROTATE_BYTES = 10L << 20;
    static final int KEEP = 5;
    static final int RECENT = 1000;
    static final String FILE = "audit.log";
    private static final Logger LOG = Logger.getLogger(AuditLog.class);
    private static final Entry STOP = new Entry(Instant.EPOCH, "", null, "", "", "");

    /** One audited event. {@code session} is null for server-wide ones (bans, REST sign-in). */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Entry(Instant at, String kind, String session, String by, String target, String detail) {
    }

    private final Path file;
    private final Consumer<String> counter;
    private final ArrayDeque<Entry> recent = new ArrayDeque<>(RECENT);
    private final BlockingQueue<Entry> pending = new LinkedBlockingQueue<>(100_000);
    private final ObjectMapper json = new ObjectMapper().registerModule(new JavaTimeModule())
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS);
    private final Thread writer;

    /** {@code directory} null keeps the trail in memory only; {@code counter} is told each entry's kind. */
    public AuditLog(Path directory, Consumer<String> counter) {
        this.file = directory == null ? null : directory.resolve(FILE);
        this.counter = counter;
        if (file == null) {
            writer = null;
            return;
        }
        writer = new Thread(this::writeLoop, "audit-writer");
        writer.setDaemon(true);
        writer.start();
    }

    /** Records an event; never blocks. */
    public void record(String kind, String session, String by, String target, String detail) {
        Entry entry = new Entry(Instant.now(), kind, session, by == null ? "" : by, target == null ? "" : target,
                detail == null ? "" : detail);
        synchronized (recent) {
            if (recent.size() == RECENT) {
                recent.removeFirst();
            }
            recent.addLast(entry);
        }
        counter.accept(kind);
        if (writer != null && !pending.offer(entry)) {
            LOG.warn("Audit trail: the writer is behind by 100,000 entries; this entry is only in memory");
        }
    }

    /** The last entries, newest first. */
    public List<Entry> recent(int limit) {
        synchronized (recent) {
            List<Entry> out = new ArrayList<>(Math.min(limit, recent.size()));
            var it = recent.descendingIterator();
            while (it.hasNext() && out.size() < limit) {
                out.add(it.next());
            }
            return out;
        }
    }

    /** The file the trail is written to, or null when it is kept in memory only. */
    public Path file() {
        return file;
    }

    /** Writes what is queued, then stops the writer. */
    @Override
    public void close() {
        if (writer == null) {
            return;
        }
        pending.offer(STOP);
        try {
            writer.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void writeLoop() {
        try {
            Files.createDirectories(file.getParent());
        } catch (IOException e) {
            LOG.errorf("Audit trail: cannot create %s (%s); entries stay in memory only", file.getParent(), e);
            return;
        }
        while (true) {
            Entry first;
            try {
                first = pending.poll(1, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                return;
            }
            if (first == null) {
                continue;
            }
            List<Entry> batch = new ArrayList<>();
            batch.add(first);
            pending.drainTo(batch, 10_000);
            boolean stop = batch.remove(STOP);
            write(batch);
            if (stop) {
                return;
            }
        }
    }

    private void write(List<Entry> batch) {
        try {
            rotateIfNeeded();
            try (BufferedWriter out = Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                    StandardOpenOption.APPEND)) {
                for (Entry e : batch) {
                    out.write(json.writeValueAsString(e));
                    out.write('\n');
                }
            }
        } catch (IOException e) {
            LOG.errorf("Audit trail: cannot write %s (%s); %d entries only in memory", file, e, batch.size());
        }
    }

    private void rotateIfNeeded() throws IOException {
        if (!Files.exists(file) || Files.size(file) < ROTATE_BYTES) {
            return;
        }
        Files.deleteIfExists(file.resolveSibling(FILE + "." + KEEP));
        for (int i = KEEP - 1; i >= 1; i--) {
            Path older = file.resolveSibling(FILE + "." + i);
            if (Files.exists(older)) {
                Files.move(older, file.resolveSibling(FILE + "." + (i + 1)), StandardCopyOption.REPLACE_EXISTING);
            }
        }
        Files.move(file, file.resolveSibling(FILE + ".1"), StandardCopyOption.REPLACE_EXISTING);
    }
}
