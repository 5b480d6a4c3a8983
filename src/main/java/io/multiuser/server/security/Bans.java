package io.multiuser.server.security;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;

import org.jboss.logging.Logger;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;

/**
 * The server's bans, kept in {@code DATA/bans.json} (rewritten atomically on every change) so that
 * they survive restarts. Thread-safe; {@link #match} is called on engine threads at each login
 * and only reads memory.
 */
public final class Bans {

    static final String FILE = "bans.json";
    private static final Logger LOG = Logger.getLogger(Bans.class);

    private final Path file;
    private final ObjectMapper json = new ObjectMapper().registerModule(new JavaTimeModule())
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS);
    private volatile List<Entry> entries = List.of();

    private record Entry(Ban ban, CidrRange range) {
    }

    /** {@code directory} null keeps the bans in memory only. */
    public Bans(Path directory) {
        this.file = directory == null ? null : directory.resolve(FILE);
        if (file != null && Files.exists(file)) {
            try {
                List<Ban> loaded = json.readValue(file.toFile(), new TypeReference<List<Ban>>() {
                });
                List<Entry> valid = new ArrayList<>();
                for (Ban ban : loaded) {
                    try {
                        valid.add(new Entry(ban, ban.address() == null ? null : CidrRange.parse(ban.address())));
                    } catch (IllegalArgumentException e) {
                        LOG.errorf("Ban %s in %s is ignored: %s", ban.id(), file, e.getMessage());
                    }
                }
                entries = List.copyOf(valid);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read the bans in " + file + ": " + e.getMessage()
                        + "; fix or remove the file", e);
            }
        }
    }

    /**
     * Adds a ban; {@code user} or {@code address} (a CIDR range or an address) must be given.
     * Throws IllegalArgumentException with a sentence for a bad one.
     */
    public synchronized Ban add(String user, String address, String reason, Duration duration, String by) {
        String name = user == null || user.isBlank() ? null : user;
        String cidr = address == null || address.isBlank() ? null : address.strip();
        if (name == null && cidr == null) {
            throw new IllegalArgumentException("give a user name, an address (CIDR), or both");
        }
        if (duration != null && (duration.isNegative() || duration.isZero())) {
            throw new IllegalArgumentException("the duration must be positive (or left out for a ban without end)");
        }
        CidrRange range = cidr == null ? null : CidrRange.parse(cidr);
        Instant now = Instant.now();
        Ban ban = new Ban(HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt()), name,
                range == null ? null : range.toString(), reason == null ? "" : reason, now,
                duration == null ? null : now.plus(duration), by);
        List<Entry> next = new ArrayList<>(live(now));
        next.add(new Entry(ban, range));
        save(next);
        return ban;
    }

    /** Removes the ban with this id; empty when there is none. */
    public synchronized Optional<Ban> remove(String id) {
        List<Entry> next = new ArrayList<>(live(Instant.now()));
        Optional<Entry> found = next.stream().filter(e -> e.ban().id().equals(id)).findFirst();
        if (found.isPresent()) {
            next.remove(found.get());
            save(next);
        }
        return found.map(Entry::ban);
    }

    /** The bans in force, oldest first. */
    public List<Ban> active() {
        return live(Instant.now()).stream().map(Entry::ban).toList();
    }

    /** The ban this login falls under, if any: its name and its address must both match what the ban names. */
    public Optional<Ban> match(String user, InetAddress address) {
        Instant now = Instant.now();
        for (Entry e : entries) {
            if (e.ban().expired(now)) {
                continue;
            }
            boolean nameMatches = e.ban().user() == null || e.ban().user().equals(user);
            boolean addressMatches = e.range() == null || (address != null && e.range().contains(address));
            if (nameMatches && addressMatches) {
                return Optional.of(e.ban());
            }
        }
        return Optional.empty();
    }

    /** The address ranges banned for every name (refused at the network handshake already). */
    public List<CidrRange> bannedRanges() {
        Instant now = Instant.now();
        return entries.stream().filter(e -> !e.ban().expired(now) && e.ban().user() == null && e.range() != null)
                .map(Entry::range).toList();
    }

    private List<Entry> live(Instant now) {
        return entries.stream().filter(e -> !e.ban().expired(now)).toList();
    }

    private void save(List<Entry> next) {
        if (file != null) {
            try {
                Files.createDirectories(file.getParent());
                Path temp = file.resolveSibling(FILE + ".tmp");
                json.writerWithDefaultPrettyPrinter().writeValue(temp.toFile(), next.stream().map(Entry::ban).toList());
                Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot save the bans in " + file + ": " + e.getMessage(), e);
            }
        }
        entries = List.copyOf(next);
    }
}
