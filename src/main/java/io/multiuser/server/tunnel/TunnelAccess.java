package io.multiuser.server.tunnel;

import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

import jakarta.enterprise.context.ApplicationScoped;

import org.jboss.logging.Logger;

import io.multiuser.server.SessionServer;
import io.multiuser.server.admin.AdminException;
import io.multiuser.server.config.ServerConfig;
import io.multiuser.server.hosting.HostedSession;
import io.multiuser.server.logging.ThrottledLog;
import io.multiuser.server.security.Secrets;
import io.multiuser.server.security.ServerSecurity;

/**
 * Who may use the tunnel: the invite tokens an admin hands out (create, list, revoke, all audited)
 * and the check of every tunnel request, done before a single byte reaches a session. Refusals are
 * throttled per address and audited like wrong admin passwords; a token is never logged.
 */
@ApplicationScoped
public class TunnelAccess {

    private static final Logger LOG = Logger.getLogger(TunnelAccess.class);
    /** Longest lifetime an admin may give a token: ten years is "no end" in practice. */
    static final long MAX_EXPIRY_SECONDS = 10L * 365 * 24 * 3600;
    static final int MAX_LABEL = 100;

    /** The answer to a tunnel request: 200 with the token and session, or a status and its reason. */
    public record Decision(int status, String reason, TunnelTokens.Token token, HostedSession session,
            long retryAfterSeconds) {
        Decision(int status, String reason, TunnelTokens.Token token, HostedSession session) {
            this(status, reason, token, session, 0);
        }

        public boolean allowed() {
            return status == 200;
        }

        String who() {
            return token == null ? "unknown token" : "token " + token.id() + " ('" + token.label() + "')";
        }
    }

    private final TunnelTokens tokens;
    private final SessionServer sessions;
    private final ServerSecurity security;
    /** How a 403 for the artist's address starts (the connector tells it apart from a token refusal). */
    public static final String ADDRESS_REFUSED = "address not allowed: ";

    private final ThrottledLog refusals = new ThrottledLog(LOG, 20, 60_000);

    public TunnelAccess(ServerConfig config, SessionServer sessions, ServerSecurity security) {
        this.tokens = new TunnelTokens(dataDirectory(config));
        this.sessions = sessions;
        this.security = security;
    }

    private static Path dataDirectory(ServerConfig config) {
        String enabled = config.store().enabled().strip().toLowerCase(java.util.Locale.ROOT);
        boolean on = enabled.equals("true") || enabled.equals("yes") || enabled.equals("1") || enabled.equals("on");
        return on && !config.store().directory().isBlank() ? Path.of(config.store().directory()) : null;
    }

    // ---------------------------------------------------------------- admin

    /** A new token for an existing session; the secret is in the answer and nowhere else. */
    public TunnelTokens.Created create(String session, String label, Long expiresInSeconds, String by) {
        requireSession(session);
        String clean = label == null ? "" : label.strip();
        if (clean.length() > MAX_LABEL || clean.chars().anyMatch(Character::isISOControl)) {
            throw AdminException.badRequest("label: at most " + MAX_LABEL + " printable characters");
        }
        if (expiresInSeconds != null && (expiresInSeconds <= 0 || expiresInSeconds > MAX_EXPIRY_SECONDS)) {
            throw AdminException.badRequest("expiresInSeconds: 1.." + MAX_EXPIRY_SECONDS + ", or leave it out for no end");
        }
        TunnelTokens.Created created = tokens.create(session, clean, expiresInSeconds, Instant.now());
        TunnelTokens.Token t = created.token();
        security.audit().record("tunnel-token-created", session, by, "token " + t.id() + " ('" + t.label() + "')",
                t.expires() == null ? "no expiry" : "expires " + t.expires());
        LOG.infof("Tunnel: token %s ('%s') created for session '%s' by %s", t.id(), t.label(), session, by);
        return created;
    }

    public List<TunnelTokens.Token> list(String session) {
        requireSession(session);
        return tokens.list(session);
    }

    public TunnelTokens.Token revoke(String session, String id, String by) {
        TunnelTokens.Token t = tokens.revoke(session, id, Instant.now()).orElseThrow(() -> AdminException.notFound(
                "no token with id '" + id + "' in session '" + session + "'"));
        security.audit().record("tunnel-token-revoked", session, by, "token " + t.id() + " ('" + t.label() + "')", "");
        LOG.infof("Tunnel: token %s ('%s') of session '%s' revoked by %s; its open streams keep running until they"
                + " close, new ones are refused", t.id(), t.label(), session, by);
        return t;
    }

    private void requireSession(String session) {
        if (sessions.session(session).isEmpty()) {
            throw AdminException.notFound("no session named '" + session + "'");
        }
    }

    // ---------------------------------------------------------------- tunnel requests

    /**
     * Checks one tunnel request: 429 while its address is throttled, 401 without a token or with an
     * unknown one, 403 for a revoked or expired token or one of another session, 404 for a session
     * the server does not host, 503 for one that does not serve. An address the session's lists or the
     * server's bans refuse gets 403 whatever its token: the session port only ever sees the tunnel's
     * loopback end, so this is where those lists apply to tunnelled artists.
     */
    public Decision authorize(String session, String authorization, String host) {
        long now = System.currentTimeMillis();
        long seconds = security.throttle().blockedSeconds(host, now);
        if (seconds > 0) {
            return refuse(session, host, new Decision(429, "too many refused tunnel requests from this address; try again in "
                    + seconds + " s", null, null, seconds), false);
        }
        Optional<HostedSession> hosted = sessions.session(session);
        Optional<String> notAllowed = hosted.flatMap(h -> addressRefusal(h, host));
        if (notAllowed.isPresent()) {
            return refuse(session, host, new Decision(403, ADDRESS_REFUSED + notAllowed.get(), null, null), true);
        }
        String secret = bearer(authorization);
        if (secret == null) {
            return refuse(session, host, new Decision(401, "a tunnel token is required (Authorization: Bearer TOKEN)",
                    null, null), false);
        }
        TunnelTokens.Check check = tokens.check(session, secret, Instant.ofEpochMilli(now));
        Decision decision = switch (check.verdict()) {
            case UNKNOWN -> new Decision(401, "unknown token", null, null);
            case REVOKED -> new Decision(403, "token revoked", check.token(), null);
            case EXPIRED -> new Decision(403, "token expired", check.token(), null);
            // a holder of a valid token may learn that a session does not exist, nobody else
            case OTHER_SESSION -> hosted.isEmpty() ? new Decision(404, "no session named '" + session + "'", check.token(), null)
                    : new Decision(403, "token is for another session", check.token(), null);
            case ACCEPTED -> hosted.isEmpty() ? new Decision(404, "no session named '" + session + "'", check.token(), null)
                    : hosted.get().runningEngine().isEmpty()
                            ? new Decision(503, "session '" + session + "' is not serving", check.token(), hosted.get())
                            : new Decision(200, "", check.token(), hosted.get());
        };
        if (decision.allowed()) {
            return decision;
        }
        boolean failure = decision.status() == 401 || decision.status() == 403;
        return refuse(session, host, decision, failure);
    }

    private static Optional<String> addressRefusal(HostedSession session, String host) {
        InetAddress address = ServerSecurity.parse(host);
        return address == null ? Optional.of("unreadable address") : session.addressPolicy().refusal(address);
    }

    private Decision refuse(String session, String host, Decision decision, boolean failure) {
        String detail = decision.reason();
        if (failure) {
            long nowBlocked = security.throttle().failed(host, System.currentTimeMillis());
            if (nowBlocked > 0) {
                detail += "; address blocked for " + nowBlocked / 1000 + " s";
            }
        }
        boolean logged;
        synchronized (refusals) {
            logged = refusals.warn("refused-" + decision.status(), "Tunnel: refused " + decision.who() + " from " + host
                    + " for session '" + session + "': " + detail + " (" + decision.status() + ")");
        }
        // audited as often as logged, so a flood of requests cannot fill the trail (the throttle counts them all)
        if (logged && decision.status() != 503) {
            security.audit().record("tunnel-refused", session, "", decision.who() + " from " + host, detail);
        }
        return decision;
    }

    /** The token of {@code Bearer TOKEN}, or null. */
    static String bearer(String authorization) {
        String token = Secrets.credential(authorization, "Bearer");
        return token == null || token.length() > 200 ? null : token;
    }
}
