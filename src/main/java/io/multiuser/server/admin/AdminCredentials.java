package io.multiuser.server.admin;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.Locale;

/**
 * Checks an {@code Authorization} header against the admin secret: HTTP Basic (any user name,
 * the secret as password) or {@code Bearer <secret>}.
 */
final class AdminCredentials {

    /** What a request presented. */
    enum Verdict {
        /** No header, an unknown scheme or an unreadable Basic value: ask for credentials (401). */
        MISSING,
        /** A secret that is not ours (403). */
        WRONG,
        ACCEPTED
    }

    private final byte[] secretDigest;

    AdminCredentials(String secret) {
        this.secretDigest = sha256(secret);
    }

    Verdict check(String authorization) {
        if (authorization == null) {
            return Verdict.MISSING;
        }
        int space = authorization.indexOf(' ');
        String scheme = space < 0 ? authorization : authorization.substring(0, space);
        String value = space < 0 ? "" : authorization.substring(space + 1).trim();
        String given = switch (scheme.toLowerCase(Locale.ROOT)) {
            case "basic" -> basicPassword(value);
            case "bearer" -> value.isEmpty() ? null : value;
            default -> null;
        };
        if (given == null) {
            return Verdict.MISSING;
        }
        // Digests have one length whatever was given: the comparison reveals neither content nor length.
        return MessageDigest.isEqual(secretDigest, sha256(given)) ? Verdict.ACCEPTED : Verdict.WRONG;
    }

    /** The password of a Basic value, or null when it is not base64 of {@code user:password}. */
    private static String basicPassword(String value) {
        try {
            String decoded = new String(Base64.getDecoder().decode(value), StandardCharsets.UTF_8);
            int colon = decoded.indexOf(':');
            return colon < 0 ? null : decoded.substring(colon + 1);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    private static byte[] sha256(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }
}
