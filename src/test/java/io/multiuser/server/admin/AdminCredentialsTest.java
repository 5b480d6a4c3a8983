package io.multiuser.server.admin;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

import org.junit.jupiter.api.Test;

import io.multiuser.server.admin.AdminCredentials.Verdict;

class AdminCredentialsTest {

    private final AdminCredentials credentials = new AdminCredentials("s3cret");

    private static String basic(String userAndPassword) {
        return "Basic " + Base64.getEncoder().encodeToString(userAndPassword.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void basicAcceptsAnyUserNameWithTheSecret() {
        assertThat(credentials.check(basic("admin:s3cret"))).isEqualTo(Verdict.ACCEPTED);
        assertThat(credentials.check(basic("someone:s3cret"))).isEqualTo(Verdict.ACCEPTED);
        assertThat(credentials.check(basic(":s3cret"))).isEqualTo(Verdict.ACCEPTED);
    }

    @Test
    void bearerAcceptsTheSecret() {
        assertThat(credentials.check("Bearer s3cret")).isEqualTo(Verdict.ACCEPTED);
        assertThat(credentials.check("bearer s3cret")).isEqualTo(Verdict.ACCEPTED); // schemes are case-insensitive
    }

    @Test
    void aPasswordHoldingAColonIsKeptWhole() {
        AdminCredentials colon = new AdminCredentials("a:b");
        assertThat(colon.check(basic("user:a:b"))).isEqualTo(Verdict.ACCEPTED);
    }

    @Test
    void anotherSecretIsWrong() {
        assertThat(credentials.check(basic("admin:s3cre"))).isEqualTo(Verdict.WRONG);
        assertThat(credentials.check(basic("admin:s3cret "))).isEqualTo(Verdict.WRONG);
        assertThat(credentials.check(basic("admin:"))).isEqualTo(Verdict.WRONG);
        assertThat(credentials.check("Bearer S3CRET")).isEqualTo(Verdict.WRONG);
    }

    @Test
    void noUsableCredentialsAreMissing() {
        assertThat(credentials.check(null)).isEqualTo(Verdict.MISSING);
        assertThat(credentials.check("")).isEqualTo(Verdict.MISSING);
        assertThat(credentials.check("Bearer")).isEqualTo(Verdict.MISSING);
        assertThat(credentials.check("Bearer   ")).isEqualTo(Verdict.MISSING);
        assertThat(credentials.check("Digest username=\"admin\"")).isEqualTo(Verdict.MISSING);
        assertThat(credentials.check("Basic not-base64!")).isEqualTo(Verdict.MISSING);
        assertThat(credentials.check(basic("no colon"))).isEqualTo(Verdict.MISSING);
    }
}
