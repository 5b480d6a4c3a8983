package io.multiuser.server.tunnel;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Instant;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The token store on its own: what is kept, what a check says, what survives a restart. */
class TunnelTokensTest {

    private static final Instant NOW = Instant.parse("2026-11-30T12:00:00Z");

    @Test
    void onlyTheHashIsKeptOwnerOnlyAndTokensSurviveARestart(@TempDir Path dir) throws Exception {
        TunnelTokens tokens = new TunnelTokens(dir);
        TunnelTokens.Created alice = tokens.create("shot", "alice", null, NOW);
        assertThat(alice.secret()).startsWith("mut_").hasSize(4 + 43); // 256 bits, base64url
        Path file = dir.resolve(TunnelTokens.FILE);
        String stored = Files.readString(file);
        assertThat(stored).contains("alice").contains(TunnelTokens.hash(alice.secret())).doesNotContain(alice.secret());
        assertThat(Files.getPosixFilePermissions(file)).isEqualTo(Set.of(PosixFilePermission.OWNER_READ,
                PosixFilePermission.OWNER_WRITE));

        TunnelTokens reopened = new TunnelTokens(dir);
        assertThat(reopened.check("shot", alice.secret(), NOW).verdict()).isEqualTo(TunnelTokens.Verdict.ACCEPTED);
        assertThat(reopened.check("shot", alice.secret(), NOW).token().label()).isEqualTo("alice");
    }

    @Test
    void everyVerdict() {
        TunnelTokens tokens = new TunnelTokens(null);
        TunnelTokens.Created valid = tokens.create("shot", "a", null, NOW);
        TunnelTokens.Created expiring = tokens.create("shot", "b", 60L, NOW);
        TunnelTokens.Created revoked = tokens.create("shot", "c", null, NOW);
        assertThat(tokens.revoke("shot", revoked.token().id(), NOW)).isPresent();
        assertThat(tokens.revoke("other", valid.token().id(), NOW)).as("only in its own session").isEmpty();

        assertThat(tokens.check("shot", valid.secret(), NOW).verdict()).isEqualTo(TunnelTokens.Verdict.ACCEPTED);
        assertThat(tokens.check("other", valid.secret(), NOW).verdict()).isEqualTo(TunnelTokens.Verdict.OTHER_SESSION);
        assertThat(tokens.check("shot", valid.secret() + "x", NOW).verdict()).isEqualTo(TunnelTokens.Verdict.UNKNOWN);
        assertThat(tokens.check("shot", expiring.secret(), NOW.plusSeconds(59)).verdict())
                .isEqualTo(TunnelTokens.Verdict.ACCEPTED);
        assertThat(tokens.check("shot", expiring.secret(), NOW.plusSeconds(60)).verdict())
                .isEqualTo(TunnelTokens.Verdict.EXPIRED);
        assertThat(tokens.check("shot", revoked.secret(), NOW).verdict()).isEqualTo(TunnelTokens.Verdict.REVOKED);
        assertThat(tokens.list("shot")).extracting(TunnelTokens.Token::label).containsExactly("a", "b", "c");
    }

    @Test
    void bearerHeaders() {
        assertThat(TunnelAccess.bearer("Bearer mut_abc")).isEqualTo("mut_abc");
        assertThat(TunnelAccess.bearer("bearer   mut_abc ")).isEqualTo("mut_abc");
        assertThat(TunnelAccess.bearer("Basic YWRtaW46YWRtaW4=")).isNull();
        assertThat(TunnelAccess.bearer("Bearer ")).isNull();
        assertThat(TunnelAccess.bearer(null)).isNull();
    }

    @Test
    void fingerprintsAsPeopleTypeThem() {
        String hex = "ab".repeat(32);
        String canonical = "SHA256:" + "AB:".repeat(31) + "AB";
        assertThat(TunnelCertificate.normalize(hex)).isEqualTo(canonical);
        assertThat(TunnelCertificate.normalize("sha256:" + hex.toUpperCase())).isEqualTo(canonical);
        assertThat(TunnelCertificate.normalize(canonical.toLowerCase())).isEqualTo(canonical);
    }
}
