package io.multiuser.server.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.net.BindException;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

import org.junit.jupiter.api.Test;

import io.quarkus.runtime.QuarkusBindException;
import io.quarkus.runtime.configuration.ConfigurationException;
import io.quarkus.runtime.configuration.DurationConverter;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfigBuilder;
import io.smallrye.config.WithDefault;

/** What Main prints when the start fails: one line per failure, naming the setting. */
class StartupFailureTest {

    private static final Function<Integer, String> NO_SETTING = port -> null;

    /** Typed settings of the kind other mappings (and Quarkus) have: SmallRye converts them itself. */
    @ConfigMapping(prefix = "typed")
    interface Typed {
        @WithDefault("1")
        int port();

        @WithDefault("1s")
        Duration delay();

        @WithDefault("x")
        String name();
    }

    private static Throwable smallRyeFailure(Map<String, String> properties) {
        return catchThrowable(() -> new SmallRyeConfigBuilder().withMapping(Typed.class)
                .withConverter(Duration.class, 200, new DurationConverter())
                .withSources(new PropertiesConfigSource(properties, "test", 300)).build());
    }

    private static String line(Throwable failure) {
        return StartupFailure.oneLine(failure, NO_SETTING).orElseThrow();
    }

    @Test
    void smallRyesConversionErrorsBecomeOneLineNamingEachSetting() {
        Throwable failure = smallRyeFailure(Map.of("typed.port", "abc", "typed.delay", "soon"));
        assertThat(failure.getMessage()).contains("\n"); // what Quarkus would print
        String line = line(new RuntimeException("Failed to start quarkus", failure));
        assertThat(line).startsWith("Invalid configuration: ").doesNotContain("\n").doesNotContain("SRCFG")
                .contains("typed.port=abc is not a number").contains("typed.delay=soon is not valid");
    }

    @Test
    void anEmptyRequiredValueIsNamed() {
        Throwable failure = smallRyeFailure(Map.of("typed.name", ""));
        assertThat(line(failure)).isEqualTo("Invalid configuration: typed.name is empty: give it a value, or remove"
                + " it to use the default");
    }

    @Test
    void anEmptyAdminPasswordAsksForOne() {
        Throwable failure = catchThrowable(() -> ServerSettingsTest.settings("multiuser.password", ""));
        assertThat(line(failure)).isEqualTo("Invalid configuration: multiuser.password is empty: set an admin password");
    }

    @Test
    void ourOwnConfigurationErrorsPassThroughAsTheyAre() {
        Throwable failure = catchThrowable(() -> ServerSettingsTest.settings("multiuser.timeout", "abc"));
        assertThat(line(new RuntimeException(new RuntimeException(failure))))
                .isEqualTo("Invalid configuration: multiuser.timeout=abc is not a number (heartbeat timeout in"
                        + " milliseconds)");
        assertThat(line(new ConfigurationException("Cannot bind port 5558\n  (P+3)")))
                .isEqualTo("Cannot bind port 5558 (P+3)");
    }

    @Test
    void theHttpPortInUseNamesTheSettingInsteadOfAdvisingKill() {
        QuarkusBindException bind = new QuarkusBindException("0.0.0.0", 18080,
                new BindException("Address already in use"));
        Throwable failure = new RuntimeException("Failed to start", new RuntimeException(bind));
        assertThat(line(failure)).isEqualTo("Port 18080 (quarkus.http.port) is already in use: stop the other process"
                + " or set quarkus.http.port / QUARKUS_HTTP_PORT / -Dquarkus.http.port=...");
        assertThat(StartupFailure.oneLine(failure, port -> "quarkus.management.port").orElseThrow())
                .startsWith("Port 18080 (quarkus.management.port) is already in use")
                .endsWith("QUARKUS_MANAGEMENT_PORT / -Dquarkus.management.port=...");
        QuarkusBindException foreign = new QuarkusBindException("10.9.9.9", 8080,
                new BindException("Cannot assign requested address"));
        assertThat(line(foreign)).startsWith("Cannot bind port 8080 (quarkus.http.port) on 10.9.9.9: ")
                .contains("Cannot assign requested address").endsWith("Check quarkus.http.host and quarkus.http.port");
    }

    @Test
    void anythingElseIsLeftToTheStackTrace() {
        assertThat(StartupFailure.oneLine(new IllegalStateException("bug"), NO_SETTING)).isEqualTo(Optional.empty());
    }
}
