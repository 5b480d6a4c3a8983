package io.multiuser.server.admin;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Base64;

import io.multiuser.server.security.Secrets;

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
        this.secretDigest = Secrets.sha256(secret);
    }

    Verdict check(String authorization) {
        String basic = Secrets.credential(authorization, "Basic");
        String given = basic != null ? basicPassword(basic) : Secrets.credential(authorization, "Bearer");
        if (given == null) {
            return Verdict.MISSING;
        }
        // Digests have one length whatever was given: the comparison reveals neither content nor length.
        return MessageDigest.isEqual(secretDigest, Secrets.sha256(given)) ? Verdict.ACCEPTED : Verdict.WRONG;
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
}
