package io.multiuser.server.tunnel;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;

import io.multiuser.server.persistence.PrivateFiles;
import io.multiuser.server.security.Secrets;

/**
 * The tunnel's invite tokens, one per artist and session, kept in {@code DATA/tunnel-tokens.json}
 * (owner-only) or in memory when there is no data directory. Only the SHA-256 of each token is
 * kept: tokens are 256 random bits, so a plain hash is as good as a slow one, and a leaked file
 * lets nobody in. Thread-safe.
 */
public final class TunnelTokens {

    public static final String FILE = "tunnel-tokens.json";
    /** Every token starts with this, so that a leaked one is easy to recognise (and to grep for). */
    static final String PREFIX = "mut_";

    /** One stored token; {@code hash} is the hex SHA-256 of the secret. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Token(String id, String session, String label, String hash, Instant created, Instant expires,
            Instant revoked) {

        boolean expiredAt(Instant now) {
            return expires != null && !now.isBefore(expires);
        }
    }

    /** A token just made: the secret exists only here, and is shown once. */
    public record Created(Token token, String secret) {
    }

    /** What a presented secret is worth for a session. */
    public enum Verdict {
        ACCEPTED, UNKNOWN, REVOKED, EXPIRED, OTHER_SESSION
    }

    /** A check's outcome, with the token when one matched (for its label). */
    public record Check(Verdict verdict, Token token) {
    }

    private static final TypeReference<List<Token>> LIST = new TypeReference<>() { };
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Path file;
    private final ObjectMapper json = new ObjectMapper().registerModule(new JavaTimeModule())
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS).enable(SerializationFeature.INDENT_OUTPUT);
    /** By hash, in creation order. */
    private final Map<String, Token> tokens = new LinkedHashMap<>();

    /** {@code directory} null keeps the tokens in memory only (they die with the process). */
    public TunnelTokens(Path directory) {
        this.file = directory == null ? null : directory.resolve(FILE);
        if (file != null && Files.isRegularFile(file)) {
            try {
                for (Token t : json.readValue(file.toFile(), LIST)) {
                    tokens.put(t.hash(), t);
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read the tunnel tokens in " + file + ": " + e.getMessage(), e);
            }
        }
    }

    public synchronized Created create(String session, String label, Long expiresInSeconds, Instant now) {
        byte[] secret = new byte[32];
        RANDOM.nextBytes(secret);
        String text = PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(secret);
        byte[] id = new byte[6];
        RANDOM.nextBytes(id);
        Token token = new Token(HexFormat.of().formatHex(id), session, label == null ? "" : label.strip(), hash(text), now,
                expiresInSeconds == null ? null : now.plusSeconds(expiresInSeconds), null);
        tokens.put(token.hash(), token);
        save();
        return new Created(token, text);
    }

    /** A session's tokens (all of them for null), oldest first. */
    public synchronized List<Token> list(String session) {
        return tokens.values().stream().filter(t -> session == null || t.session().equals(session)).toList();
    }

    /** Revokes a token of the session; empty when there is none with that id. Revoking twice keeps the first time. */
    public synchronized Optional<Token> revoke(String session, String id, Instant now) {
        for (Token t : tokens.values()) {
            if (t.id().equals(id) && t.session().equals(session)) {
                Token revoked = t.revoked() != null ? t
                        : new Token(t.id(), t.session(), t.label(), t.hash(), t.created(), t.expires(), now);
                tokens.put(t.hash(), revoked);
                save();
                return Optional.of(revoked);
            }
        }
        return Optional.empty();
    }

    /** Checks a presented secret against the session named in the request. */
    public synchronized Check check(String session, String secret, Instant now) {
        // A lookup by hash leaks nothing worth timing: knowing how close a SHA-256 came says nothing
        // about a 256-bit random secret.
        Token match = tokens.get(hash(secret));
        if (match == null) {
            return new Check(Verdict.UNKNOWN, null);
        }
        if (match.revoked() != null) {
            return new Check(Verdict.REVOKED, match);
        }
        if (match.expiredAt(now)) {
            return new Check(Verdict.EXPIRED, match);
        }
        return new Check(match.session().equals(session) ? Verdict.ACCEPTED : Verdict.OTHER_SESSION, match);
    }

    private void save() {
        if (file == null) {
            return;
        }
        try {
            PrivateFiles.writeAtomically(file, json.writeValueAsBytes(new ArrayList<>(tokens.values())));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the tunnel tokens to " + file + ": " + e.getMessage(), e);
        }
    }

    static String hash(String secret) {
        return HexFormat.of().formatHex(Secrets.sha256(secret));
    }
}
