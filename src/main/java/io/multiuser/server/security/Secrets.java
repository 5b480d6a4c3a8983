package io.multiuser.server.security;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Locale;

/** What the admin API and the tunnel both do with the secrets they are handed. */
public final class Secrets {

    private Secrets() {
    }

    /** The SHA-256 of {@code secret} in UTF-8: a fixed length to compare, and what is kept instead of a token. */
    public static byte[] sha256(String secret) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(secret.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }

    /**
     * The credential of an {@code Authorization} header when its scheme is {@code scheme} (in any
     * case), stripped; null without a header, for another scheme or an empty value.
     */
    public static String credential(String authorization, String scheme) {
        if (authorization == null) {
            return null;
        }
        String a = authorization.strip();
        int space = a.indexOf(' ');
        if (space < 0 || !a.substring(0, space).toLowerCase(Locale.ROOT).equals(scheme.toLowerCase(Locale.ROOT))) {
            return null;
        }
        String value = a.substring(space + 1).strip();
        return value.isEmpty() ? null : value;
    }
}
