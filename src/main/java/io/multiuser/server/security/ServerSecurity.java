package io.multiuser.server.security;

import java.net.InetAddress;
import java.nio.file.Path;
import java.util.Optional;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

import io.multiuser.server.config.ServerConfig;
import io.multiuser.server.session.LoginGuard;
import io.multiuser.server.session.PeerHost;
import io.multiuser.server.session.SessionListener.LoginRefusal;
import io.quarkus.runtime.ShutdownEvent;

/**
 * The server's security state, shared by every session and the admin API: bans, login
 * throttling by address and the audit trail, kept in the data directory (the top level, next to
 * the default session) when the store is enabled.
 */
@ApplicationScoped
public class ServerSecurity {

    /** Wrong passwords a minute an address may make before it is slowed down (multiuser.security.*). */
    public static final int FREE_FAILURES = 10;
    /** The first block of an address that went on guessing. */
    public static final long FIRST_BLOCK_MILLIS = 1_000;
    /** The longest an address is blocked at a time. */
    public static final long MAX_BLOCK_MILLIS = 5 * 60_000;

    private final LoginThrottle throttle;
    private final Bans bans;
    private final AuditLog audit;

    @Inject
    public ServerSecurity(ServerConfig config, AuditCounter counter) {
        Path directory = dataDirectory(config).orElse(null);
        this.throttle = new LoginThrottle(number(config.security().loginFailuresPerMinute(), FREE_FAILURES),
                number(config.security().firstBlockSeconds(), FIRST_BLOCK_MILLIS / 1000) * 1000L,
                number(config.security().maxBlockSeconds(), MAX_BLOCK_MILLIS / 1000) * 1000L);
        this.bans = new Bans(directory);
        this.audit = new AuditLog(directory, counter::count);
    }

    /** For tests: the default throttle; {@code directory} null keeps everything in memory. */
    ServerSecurity(Path directory) {
        this.throttle = new LoginThrottle(FREE_FAILURES, FIRST_BLOCK_MILLIS, MAX_BLOCK_MILLIS);
        this.bans = new Bans(directory);
        this.audit = new AuditLog(directory, kind -> { });
    }

    /** Counts audit entries by kind (observability implements it). */
    public interface AuditCounter {
        void count(String kind);
    }

    /** A positive whole number, or the default (the settings are checked with the others at start). */
    private static int number(String value, long fallback) {
        try {
            long n = Long.parseLong(value.strip());
            return n > 0 && n <= Integer.MAX_VALUE ? (int) n : (int) fallback;
        } catch (NumberFormatException e) {
            return (int) fallback;
        }
    }

    private static Optional<Path> dataDirectory(ServerConfig config) {
        String enabled = config.store().enabled().strip();
        boolean on = enabled.equalsIgnoreCase("true") || enabled.equalsIgnoreCase("yes") || enabled.equals("1")
                || enabled.equalsIgnoreCase("on");
        return on && !config.store().directory().isBlank() ? Optional.of(Path.of(config.store().directory()))
                : Optional.empty();
    }

    void onStop(@Observes ShutdownEvent event) {
        audit.close();
    }

    public Bans bans() {
        return bans;
    }

    public AuditLog audit() {
        return audit;
    }

    public LoginThrottle throttle() {
        return throttle;
    }

    /** What a session asks at each login: bans and throttling, and the audit of refusals. */
    public LoginGuard guardFor(String session) {
        return new LoginGuard() {
            @Override
            public Refused refuse(String name, boolean admin, String address) {
                String host = PeerHost.of(address);
                Optional<Ban> ban = bans.match(name, parse(host));
                if (ban.isPresent()) {
                    return new Refused(LoginRefusal.BANNED, ban.get().refusalText());
                }
                long wait = throttle.blockedSeconds(host, System.currentTimeMillis());
                if (wait > 0) {
                    return new Refused(LoginRefusal.THROTTLED, "too many wrong passwords from this address; try again in "
                            + wait + " s");
                }
                return null;
            }

            @Override
            public void refused(String name, boolean admin, String address, LoginRefusal reason) {
                String host = PeerHost.of(address);
                switch (reason) {
                    case WRONG_PASSWORD, WRONG_SESSION_PASSWORD -> {
                        long blocked = throttle.failed(host, System.currentTimeMillis());
                        audit.record("login-refused", session, "", name + " from " + host,
                                reason.name().toLowerCase(java.util.Locale.ROOT)
                                        + (blocked > 0 ? "; address blocked for " + blocked / 1000 + " s" : ""));
                    }
                    case BANNED, THROTTLED -> audit.record("login-refused", session, "", name + " from " + host,
                            reason.name().toLowerCase(java.util.Locale.ROOT));
                    default -> {
                        // version, duplicate, full: not a security event
                    }
                }
            }

            @Override
            public void refusedTraffic(String kind, String from, String detail) {
                audit.record(kind, session, "", PeerHost.of(from), detail);
            }

            @Override
            public void accepted(String name, boolean admin, String address) {
                if (admin) {
                    throttle.succeeded(PeerHost.of(address)); // the right password: the address starts afresh
                }
            }
        };
    }

    /** An IP address as the engine reports its hosts, or null when it is none ("unknown address"); never a DNS lookup. */
    public static InetAddress parse(String host) {
        try {
            return CidrRange.parseAddress(host);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }
}
