package io.multiuser.server.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.quarkus.runtime.configuration.DurationConverter;
import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfig;
import io.smallrye.config.SmallRyeConfigBuilder;

/** The real @ConfigMapping, fed from maps, through the validation the server runs at start. */
class ServerSettingsTest {

    static ServerConfig config(Map<String, String> properties, Map<String, String> legacyEnv) {
        SmallRyeConfig config = new SmallRyeConfigBuilder()
                .withMapping(ServerConfig.class)
                .withConverter(Duration.class, 200, new DurationConverter()) // Quarkus' "200ms" syntax
                .withSources(new PropertiesConfigSource(properties, "test", 300))
                .withSources(new LegacyEnvConfigSource(legacyEnv))
                .build();
        return config.getConfigMapping(ServerConfig.class);
    }

    static ServerSettings settings(String... keyValues) {
        Map<String, String> props = new HashMap<>();
        for (int i = 0; i < keyValues.length; i += 2) {
            props.put(keyValues[i], keyValues[i + 1]);
        }
        return ServerSettings.from(config(props, Map.of()));
    }

    @Test
    void defaultsAreTheOriginalServers() {
        ServerSettings s = settings();
        assertThat(s.engine().basePort()).isEqualTo(5555);
        assertThat(s.engine().bindAddress()).isEqualTo("*");
        assertThat(s.session().heartbeatTimeoutMillis()).isEqualTo(5000);
        assertThat(s.session().adminPassword()).isEqualTo("admin");
        assertThat(s.session().acceptedVersions()).isEmpty();
        assertThat(s.defaultPassword()).isTrue();
    }

    @Test
    void versionPolicyIsAList() {
        assertThat(settings("multiuser.accepted-versions", "0.1.25,0.1.26").session().acceptedVersions())
                .containsExactly("0.1.25", "0.1.26");
    }

    @Test
    void aBasePortWhoseFourthPortDoesNotExistIsRefusedByName() {
        assertThatThrownBy(() -> settings("multiuser.port", "65533"))
                .hasMessageContaining("multiuser.port=65533").hasMessageContaining("between 1 and 65532");
        assertThat(settings("multiuser.port", "65532").engine().basePort()).isEqualTo(65532);
        assertThatThrownBy(() -> settings("multiuser.port", "-1")).hasMessageContaining("multiuser.port=-1");
        assertThat(settings("multiuser.port", "0").engine().basePort()).isZero(); // any free ports
    }

    @Test
    void aNegativeOrZeroTimeoutIsRefusedByName() {
        assertThatThrownBy(() -> settings("multiuser.timeout", "-5")).hasMessageContaining("multiuser.timeout=-5");
        assertThatThrownBy(() -> settings("multiuser.timeout", "0")).hasMessageContaining("multiuser.timeout=0");
    }

    @Test
    void theStoreIsOnByDefaultInALocalDirectoryAndItsSettingsAreChecked() {
        ServerSettings defaults = settings();
        assertThat(defaults.store()).hasValueSatisfying(store -> {
            assertThat(store.directory()).isEqualTo(java.nio.file.Path.of("data"));
            assertThat(store.flushIntervalMillis()).isEqualTo(200);
        });
        assertThat(settings("multiuser.store.enabled", "false").store()).isEmpty();
        assertThat(settings("multiuser.store.flush-interval", "1s").store().orElseThrow().flushIntervalMillis())
                .isEqualTo(1000);
        assertThatThrownBy(() -> settings("multiuser.store.flush-interval", "5m"))
                .hasMessageContaining("multiuser.store.flush-interval=PT5M must be between 0 and 60 s");
        assertThatThrownBy(() -> settings("multiuser.store.directory", " "))
                .hasMessageContaining("multiuser.store.directory is empty");
    }

    @Test
    void everyProblemIsReportedInOneMessage() {
        assertThatThrownBy(() -> settings("multiuser.port", "99999", "multiuser.timeout", "-1",
                "multiuser.engine.io-threads", "0"))
                .isInstanceOf(ServerSettings.InvalidConfigException.class)
                .hasMessageContaining("multiuser.port").hasMessageContaining("multiuser.timeout")
                .hasMessageContaining("multiuser.engine.io-threads");
    }

    @Test
    void anEmptyPasswordOrANonNumberIsRefusedByTheConfigLayerNamingTheProperty() {
        assertThatThrownBy(() -> settings("multiuser.password", "")).hasMessageContaining("multiuser.password");
        assertThatThrownBy(() -> settings("multiuser.port", "abc")).hasMessageContaining("multiuser.port");
    }

    @Test
    void theOriginalDockerEnvironmentVariablesAreRead() {
        ServerSettings s = ServerSettings.from(config(Map.of(),
                Map.of("port", "6000", "password", "toto", "timeout", "1000")));
        assertThat(s.engine().basePort()).isEqualTo(6000);
        assertThat(s.session().adminPassword()).isEqualTo("toto");
        assertThat(s.session().heartbeatTimeoutMillis()).isEqualTo(1000);
        assertThat(s.defaultPassword()).isFalse();
    }

    @Test
    void upperCaseGenericVariablesAreNotMistakenForOurs() {
        ServerSettings s = ServerSettings.from(config(Map.of(), Map.of("PORT", "8080", "TIMEOUT", "1")));
        assertThat(s.engine().basePort()).isEqualTo(5555);
        assertThat(s.session().heartbeatTimeoutMillis()).isEqualTo(5000);
    }

    @Test
    void canonicalPropertiesOutrankTheLegacyVariables() {
        ServerSettings s = ServerSettings.from(config(Map.of("multiuser.port", "7000"), Map.of("port", "6000")));
        assertThat(s.engine().basePort()).isEqualTo(7000);
    }

    @Test
    void legacyFlagsBecomeProperties() throws Exception {
        assertThat(LegacyArguments.parse("-p", "5555", "-pwd", "toto", "-t", "1000")).isEqualTo(Map.of(
                "multiuser.port", "5555", "multiuser.password", "toto", "multiuser.timeout", "1000"));
        assertThat(LegacyArguments.parse("--port", "6000", "-l", "WARNING", "-lf", "server.log"))
                .containsEntry("multiuser.port", "6000").containsEntry("quarkus.log.level", "WARN")
                .containsEntry("quarkus.log.file.enabled", "true").containsEntry("quarkus.log.file.path", "server.log");
        assertThat(LegacyArguments.parse()).isEmpty();
        assertThat(LegacyArguments.parse("-h")).containsEntry("help", "true");
    }

    @Test
    void badFlagsAreExplained() {
        assertThatThrownBy(() -> LegacyArguments.parse("-x")).hasMessage("unknown argument '-x'");
        assertThatThrownBy(() -> LegacyArguments.parse("-p")).hasMessage("-p needs a value");
        assertThatThrownBy(() -> LegacyArguments.parse("-l", "LOUD")).hasMessageContaining("unknown log level 'LOUD'");
        assertThat(List.of(LegacyArguments.USAGE.split("\n"))).anyMatch(l -> l.contains("-pwd"));
    }
}
