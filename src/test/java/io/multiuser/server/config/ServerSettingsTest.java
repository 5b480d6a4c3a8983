package io.multiuser.server.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.multiuser.server.hosting.PortRange;
import io.multiuser.server.hosting.SessionSpec;
import io.multiuser.server.protocol.Generation;
import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfig;
import io.smallrye.config.SmallRyeConfigBuilder;

/** The real @ConfigMapping, fed from maps, through the validation the server runs at start. */
class ServerSettingsTest {

    /** Flags become system properties, ordinal 400: above every source below. */
    static ServerConfig config(Map<String, String> flags, Map<String, String> properties,
            Map<String, String> legacyEnv) {
        SmallRyeConfig config = new SmallRyeConfigBuilder()
                .withMapping(ServerConfig.class)
                .withSources(new PropertiesConfigSource(flags, "flags", 400))
                .withSources(new PropertiesConfigSource(properties, "test", 300))
                .withSources(new LegacyEnvConfigSource(legacyEnv))
                .build();
        return config.getConfigMapping(ServerConfig.class);
    }

    static ServerConfig config(Map<String, String> properties, Map<String, String> legacyEnv) {
        return config(Map.of(), properties, legacyEnv);
    }

    static ServerSettings settings(String... keyValues) {
        Map<String, String> props = new HashMap<>();
        for (int i = 0; i < keyValues.length; i += 2) {
            props.put(keyValues[i], keyValues[i + 1]);
        }
        return ServerSettings.from(config(props, Map.of()));
    }

    /** The server as started with these command-line flags. */
    static ServerSettings flags(String... args) throws Exception {
        return ServerSettings.from(config(LegacyArguments.parse(args), Map.of(), Map.of()));
    }

    @Test
    void bigPayloadsLeaveTheHeapUnlessTheThresholdIsZero() {
        ServerSettings s = settings();
        assertThat(s.engine().spill().enabled()).isTrue();
        assertThat(s.engine().spill().thresholdBytes()).isEqualTo(32768);
        assertThat(s.engine().spill().directory()).isEqualTo(Path.of(System.getProperty("java.io.tmpdir")));
        assertThat(s.engineFor(s.defaultSpec()).spill()).isEqualTo(s.engine().spill());

        assertThat(settings("multiuser.payloads.spill-threshold", "0").engine().spill().enabled()).isFalse();
        assertThat(settings("multiuser.payloads.spill-directory", "/var/tmp/mu").engine().spill().directory())
                .isEqualTo(Path.of("/var/tmp/mu"));
        assertThatThrownBy(() -> settings("multiuser.payloads.spill-threshold", "-1"))
                .hasMessageContaining("multiuser.payloads.spill-threshold=-1 must not be negative");
        assertThatThrownBy(() -> settings("multiuser.payloads.spill-threshold", "big"))
                .hasMessageContaining("multiuser.payloads.spill-threshold=big");
        assertThatThrownBy(() -> settings("multiuser.payloads.spill-directory", " "))
                .hasMessageContaining("multiuser.payloads.spill-directory is empty");
    }

    @Test
    void defaultsAreTheOriginalServers() {
        ServerSettings s = settings();
        assertThat(s.engine().basePort()).isEqualTo(5555);
        assertThat(s.engine().bindAddress()).isEqualTo("*");
        assertThat(s.engine().batchScheduling()).isTrue();
        assertThat(s.idleCompilerThreads()).isTrue();
        assertThat(s.session().heartbeatTimeoutMillis()).isEqualTo(5000);
        assertThat(s.session().adminPassword()).isEqualTo("admin");
        assertThat(s.session().generation()).isEqualTo(Generation.V01);
        assertThat(s.generation()).isEqualTo(Generation.V01);
        assertThat(s.session().sessionPassword()).isEmpty();
        assertThat(s.session().privateSession()).isFalse();
        assertThat(s.session().acceptedVersions()).containsExactly("0.1.25");
        assertThat(s.session().chainWarningBytes()).isEqualTo(64L << 20);
        assertThat(s.session().snapshotWindowNodes()).isEqualTo(128);
        assertThat(s.session().snapshotWindowBytes()).isEqualTo(8L << 20);
        assertThat(s.defaultPassword()).isTrue();
    }

    @Test
    void theProtocolIsChosenByItsLabel() {
        assertThat(settings("multiuser.protocol", "0.1").generation()).isEqualTo(Generation.V01);
        assertThat(settings("multiuser.protocol", "0.9").generation()).isEqualTo(Generation.V09);
        assertThat(settings("multiuser.protocol", " 0.9 ").generation()).isEqualTo(Generation.V09);
    }

    @Test
    void anUnknownProtocolIsOneLineNamingTheSettingAndTheAllowedValues() {
        assertThatThrownBy(() -> settings("multiuser.protocol", "0.7"))
                .isInstanceOf(ServerSettings.InvalidConfigException.class)
                .hasMessageStartingWith("Invalid configuration: multiuser.protocol=0.7 is not a protocol: use 0.1")
                .hasMessageContaining(" or 0.9 ")
                .hasMessageNotContaining("\n");
        // Only the protocol is reported, not a port check that depends on it.
        assertThatThrownBy(() -> settings("multiuser.protocol", "1", "multiuser.port", "65534"))
                .hasMessageNotContaining("multiuser.port");
    }

    @Test
    void theDefaultVersionPolicyIsTheVersionsKnownToSpeakTheProtocol() {
        assertThat(settings().session().acceptedVersions()).isEqualTo(Generation.V01.knownVersions());
        assertThat(settings("multiuser.protocol", "0.9").session().acceptedVersions())
                .isEqualTo(Generation.V09.knownVersions()).containsExactly("0.9.10", "0.9.9");
    }

    @Test
    void anyOptsOutOfTheVersionPolicy() {
        assertThat(settings("multiuser.accepted-versions", "any").session().acceptedVersions()).isEmpty();
        assertThat(settings("multiuser.accepted-versions", "ANY", "multiuser.protocol", "0.9").session()
                .acceptedVersions()).isEmpty();
        assertThatThrownBy(() -> settings("multiuser.accepted-versions", "any,0.1.25"))
                .hasMessageContaining("multiuser.accepted-versions=any,0.1.25 mixes 'any' with versions");
    }

    @Test
    void anExplicitVersionListIsUsedAsGiven() {
        assertThat(settings("multiuser.accepted-versions", "0.1.25,0.1.26").session().acceptedVersions())
                .containsExactly("0.1.25", "0.1.26");
        assertThat(settings("multiuser.accepted-versions", "0.9.10", "multiuser.protocol", "0.9").session()
                .acceptedVersions()).containsExactly("0.9.10");
        assertThat(settings("multiuser.accepted-versions", " 0.1.25 , 0.1.26").session().acceptedVersions())
                .containsExactly("0.1.25", "0.1.26");
        assertThatThrownBy(() -> settings("multiuser.accepted-versions", "0.1.25, ,0.1.26"))
                .hasMessageContaining("multiuser.accepted-versions contains an empty entry");
    }

    @Test
    void aSessionPasswordMakesA09SessionPrivate() {
        ServerSettings s = settings("multiuser.protocol", "0.9", "multiuser.session-password", "s3cret");
        assertThat(s.session().sessionPassword()).isEqualTo("s3cret");
        assertThat(s.session().privateSession()).isTrue();
        assertThat(settings("multiuser.protocol", "0.9").session().privateSession()).isFalse();
        // MicroProfile Config reads an empty value as none: a public session.
        assertThat(settings("multiuser.protocol", "0.9", "multiuser.session-password", "").session()
                .privateSession()).isFalse();
    }

    @Test
    void aSessionPasswordWithProtocol01IsRefused() {
        assertThatThrownBy(() -> settings("multiuser.session-password", "s3cret"))
                .hasMessageStartingWith("Invalid configuration: multiuser.session-password applies to"
                        + " multiuser.protocol=0.9 only")
                .hasMessageNotContaining("s3cret"); // a password is never echoed
        assertThat(settings("multiuser.session-password", "").session().privateSession()).isFalse();
    }

    @Test
    void aBasePortWhoseLastPortDoesNotExistIsRefusedByNameForEachProtocol() {
        assertThatThrownBy(() -> settings("multiuser.port", "65533"))
                .hasMessageContaining("multiuser.port=65533").hasMessageContaining("P..P+3")
                .hasMessageContaining("between 1 and 65532");
        assertThat(settings("multiuser.port", "65532").engine().basePort()).isEqualTo(65532);
        assertThat(settings("multiuser.port", "65533", "multiuser.protocol", "0.9").engine().basePort())
                .isEqualTo(65533);
        assertThatThrownBy(() -> settings("multiuser.port", "65534", "multiuser.protocol", "0.9"))
                .hasMessageContaining("multiuser.port=65534").hasMessageContaining("P..P+2")
                .hasMessageContaining("between 1 and 65533");
        assertThatThrownBy(() -> settings("multiuser.port", "-1")).hasMessageContaining("multiuser.port=-1");
        assertThat(settings("multiuser.port", "0").engine().basePort()).isZero(); // any free ports
        assertThat(settings("multiuser.port", "0", "multiuser.protocol", "0.9").engine().basePort()).isZero();
    }

    @Test
    void aNegativeOrZeroTimeoutIsRefusedByName() {
        assertThatThrownBy(() -> settings("multiuser.timeout", "-5")).hasMessageContaining("multiuser.timeout=-5");
        assertThatThrownBy(() -> settings("multiuser.timeout", "0")).hasMessageContaining("multiuser.timeout=0");
    }

    @Test
    void theThrottlesFirstBlockLiesBetweenOneSecondAndTheLongestBlock() {
        settings("multiuser.security.first-block-seconds", "300"); // accepted: equal to the default longest
        assertThatThrownBy(() -> settings("multiuser.security.first-block-seconds", "0"))
                .hasMessageContaining("multiuser.security.first-block-seconds=0 must be between 1 and");
        assertThatThrownBy(() -> settings("multiuser.security.first-block-seconds", "60",
                "multiuser.security.max-block-seconds", "30"))
                .hasMessageContaining("multiuser.security.first-block-seconds=60 must be between 1 and "
                        + "multiuser.security.max-block-seconds (30)");
        assertThatThrownBy(() -> settings("multiuser.security.first-block-seconds", "1s"))
                .hasMessageContaining("multiuser.security.first-block-seconds=1s is not a number");
    }

    @Test
    void theChainWarningSizeIsAPositiveNumberOfBytes() {
        assertThat(settings("multiuser.chain-warning-size", "1048576").session().chainWarningBytes())
                .isEqualTo(1048576);
        assertThatThrownBy(() -> settings("multiuser.chain-warning-size", "0"))
                .hasMessageContaining("multiuser.chain-warning-size=0 must be a positive number of bytes");
        assertThatThrownBy(() -> settings("multiuser.chain-warning-size", "64M"))
                .hasMessageContaining("multiuser.chain-warning-size=64M is not a number");
    }

    @Test
    void theSnapshotWindowAndEngineSettingsReachTheirRecords() {
        ServerSettings s = settings("multiuser.snapshot.window", "0", "multiuser.snapshot.window-bytes", "4096",
                "multiuser.engine.io-threads", "2", "multiuser.engine.batch-scheduling", "false",
                "multiuser.engine.idle-compiler-threads", "false");
        assertThat(s.session().snapshotWindowNodes()).isZero();
        assertThat(s.session().snapshotWindowBytes()).isEqualTo(4096);
        assertThat(s.engine().ioThreads()).isEqualTo(2);
        assertThat(s.engine().batchScheduling()).isFalse();
        assertThat(s.idleCompilerThreads()).isFalse();
        assertThat(s.engine().unreachableTimeoutMillis()).isEqualTo(5000);
    }

    @Test
    void aValueThatIsNotANumberIsOneLineNamingTheSettingAndWhatItIs() {
        assertThatThrownBy(() -> settings("multiuser.timeout", "abc"))
                .isInstanceOf(ServerSettings.InvalidConfigException.class)
                .hasMessage("Invalid configuration: multiuser.timeout=abc is not a number (heartbeat timeout in"
                        + " milliseconds)");
        assertThatThrownBy(() -> settings("multiuser.port", "abc"))
                .hasMessage("Invalid configuration: multiuser.port=abc is not a number (base port)");
        assertThatThrownBy(() -> settings("multiuser.engine.io-threads", "two", "multiuser.snapshot.window", "1e3"))
                .hasMessageContaining("multiuser.engine.io-threads=two is not a number")
                .hasMessageContaining("multiuser.snapshot.window=1e3 is not a number")
                .hasMessageNotContaining("\n");
        assertThatThrownBy(() -> settings("multiuser.timeout", "10\n00"))
                .hasMessage("Invalid configuration: multiuser.timeout=10?00 is not a number (heartbeat timeout in"
                        + " milliseconds)");
        // From the original Docker variables and from flags alike.
        assertThatThrownBy(() -> ServerSettings.from(config(Map.of(), Map.of("port", "abc"))))
                .hasMessage("Invalid configuration: multiuser.port=abc is not a number (base port)");
        assertThatThrownBy(() -> flags("-t", "abc"))
                .hasMessage("Invalid configuration: multiuser.timeout=abc is not a number (heartbeat timeout in"
                        + " milliseconds)");
    }

    @Test
    void aSwitchThatIsNeitherTrueNorFalseIsRefusedRatherThanReadAsFalse() {
        assertThatThrownBy(() -> settings("multiuser.store.enabled", "ture"))
                .hasMessage("Invalid configuration: multiuser.store.enabled=ture is neither true nor false");
        assertThat(settings("multiuser.store.enabled", "FALSE").store()).isEmpty();
    }

    @Test
    void theStoreIsOnByDefaultInALocalDirectoryAndItsSettingsAreChecked() {
        ServerSettings defaults = settings();
        assertThat(defaults.store()).hasValueSatisfying(store -> {
            assertThat(store.directory()).isEqualTo(java.nio.file.Path.of("data"));
            assertThat(store.flushIntervalMillis()).isEqualTo(200);
            assertThat(store.compactionMinBytes()).isEqualTo(67108864);
        });
        assertThat(settings("multiuser.store.enabled", "false").store()).isEmpty();
        assertThat(settings("multiuser.store.flush-interval", "1s").store().orElseThrow().flushIntervalMillis())
                .isEqualTo(1000);
        assertThat(settings("multiuser.store.flush-interval", "0").store().orElseThrow().flushIntervalMillis())
                .isZero();
        assertThatThrownBy(() -> settings("multiuser.store.flush-interval", "5m"))
                .hasMessageContaining("multiuser.store.flush-interval=PT5M must be between 0 and 60 s");
        assertThatThrownBy(() -> settings("multiuser.store.flush-interval", "soon"))
                .hasMessageContaining("multiuser.store.flush-interval=soon is not a duration");
        assertThatThrownBy(() -> settings("multiuser.store.directory", " "))
                .hasMessageContaining("multiuser.store.directory is empty");
    }

    @Test
    void everyProblemIsReportedInOneMessage() {
        assertThatThrownBy(() -> settings("multiuser.port", "99999", "multiuser.timeout", "-1",
                "multiuser.engine.io-threads", "0"))
                .isInstanceOf(ServerSettings.InvalidConfigException.class)
                .hasMessageContaining("multiuser.port").hasMessageContaining("multiuser.timeout")
                .hasMessageContaining("multiuser.engine.io-threads")
                .hasMessageNotContaining("\n");
    }

    @Test
    void anEmptyPasswordIsRefusedByTheConfigLayerNamingTheProperty() {
        // SmallRye refuses it before our check; StartupFailure words it in one line (StartupFailureTest).
        assertThatThrownBy(() -> settings("multiuser.password", "")).hasMessageContaining("multiuser.password");
    }

    @Test
    void theKubernetesSecretsPlaceholderCountsAsADefaultPassword() {
        assertThat(ServerSettings.from(config(Map.of("multiuser.password", "change-me"), Map.of())).defaultPassword())
                .isTrue();
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
    void theReferenceServersFlagsWork() throws Exception {
        assertThat(LegacyArguments.parse("--protocol", "0.9", "-p", "5555", "-apwd", "adm", "-spwd", "sess", "-t",
                "5000")).isEqualTo(Map.of("multiuser.protocol", "0.9", "multiuser.port", "5555",
                        "multiuser.password", "adm", "multiuser.session-password", "sess", "multiuser.timeout", "5000"));

        ServerSettings s = flags("--protocol", "0.9", "-p", "6000", "-apwd", "adm", "-spwd", "sess", "-t", "4000");
        assertThat(s.generation()).isEqualTo(Generation.V09);
        assertThat(s.engine().basePort()).isEqualTo(6000);
        assertThat(s.session().adminPassword()).isEqualTo("adm");
        assertThat(s.session().sessionPassword()).isEqualTo("sess");
        assertThat(s.session().privateSession()).isTrue();
        assertThat(s.session().heartbeatTimeoutMillis()).isEqualTo(4000);
        assertThat(s.session().acceptedVersions()).containsExactly("0.9.10", "0.9.9");
        assertThat(flags("-pwd", "adm").session().adminPassword()).isEqualTo("adm");
    }

    @Test
    void anEmptySessionPasswordFlagMeansAPublicSessionEvenOverAnotherSource() throws Exception {
        // The reference image passes -spwd ''.
        assertThat(flags("--protocol", "0.9", "-spwd", "").session().privateSession()).isFalse();
        ServerSettings s = ServerSettings.from(config(LegacyArguments.parse("--protocol", "0.9", "-spwd", ""),
                Map.of("multiuser.session-password", "from-a-file"), Map.of()));
        assertThat(s.session().privateSession()).isFalse();
    }

    @Test
    void aBadProtocolFlagIsReportedAsTheSetting() {
        assertThatThrownBy(() -> flags("--protocol", "0.7"))
                .hasMessageStartingWith("Invalid configuration: multiuser.protocol=0.7 is not a protocol")
                .hasMessageNotContaining("\n");
        assertThatThrownBy(() -> flags("-spwd", "sess"))
                .hasMessageContaining("multiuser.session-password applies to multiuser.protocol=0.9 only");
    }

    @Test
    void badFlagsAreExplained() {
        assertThatThrownBy(() -> LegacyArguments.parse("-x")).hasMessage("unknown argument '-x'");
        assertThatThrownBy(() -> LegacyArguments.parse("-p")).hasMessage("-p needs a value");
        assertThatThrownBy(() -> LegacyArguments.parse("-spwd")).hasMessage("-spwd needs a value");
        assertThatThrownBy(() -> LegacyArguments.parse("-l", "LOUD")).hasMessageContaining("unknown log level 'LOUD'");
        assertThat(List.of(LegacyArguments.USAGE.split("\n")))
                .anyMatch(l -> l.contains("-pwd")).anyMatch(l -> l.contains("-apwd"))
                .anyMatch(l -> l.contains("-spwd")).anyMatch(l -> l.contains("--protocol"));
    }

    // ---------------------------------------------------------------- many sessions

    @Test
    void theSingleSessionSettingsDefineTheSessionNamedDefault() throws Exception {
        ServerSettings s = flags("-p", "6000", "-pwd", "secret", "-t", "3000");
        assertThat(s.sessions()).hasSize(1);
        SessionSpec spec = s.defaultSpec();
        assertThat(spec.name()).isEqualTo("default");
        assertThat(spec.port()).isEqualTo(6000);
        assertThat(spec.adminPassword()).isEqualTo("secret");
        assertThat(spec.timeoutMillis()).isEqualTo(3000);
        assertThat(spec.origin()).isEqualTo(SessionSpec.Origin.CONFIGURATION);
        assertThat(s.storeFor("default").orElseThrow().directory()).isEqualTo(Path.of("data"));
    }

    @Test
    void moreSessionsComeFromTheSessionsMapAndTakeWhatTheyLeaveOutFromTheDefault() {
        ServerSettings s = settings("multiuser.password", "top", "multiuser.timeout", "4000",
                "multiuser.sessions.shot-1.port", "6000",
                "multiuser.sessions.shot-2.port", "6004", "multiuser.sessions.shot-2.protocol", "0.9",
                "multiuser.sessions.shot-2.password", "own", "multiuser.sessions.shot-2.session-password", "artists",
                "multiuser.sessions.shot-2.timeout", "9000", "multiuser.sessions.shot-2.accepted-versions", "any",
                "multiuser.sessions.shot-2.max-users", "8", "multiuser.sessions.shot-2.max-scene-bytes", "1000000");
        assertThat(s.sessions()).extracting(SessionSpec::name).containsExactly("default", "shot-1", "shot-2");
        SessionSpec one = s.sessions().get(1);
        assertThat(one.port()).isEqualTo(6000);
        assertThat(one.generation()).isEqualTo(Generation.V01);
        assertThat(one.adminPassword()).isEqualTo("top");
        assertThat(one.timeoutMillis()).isEqualTo(4000);
        assertThat(one.acceptedVersions()).isEqualTo(Generation.V01.knownVersions());
        SessionSpec two = s.sessions().get(2);
        assertThat(two.generation()).isEqualTo(Generation.V09);
        assertThat(two.adminPassword()).isEqualTo("own");
        assertThat(two.sessionPassword()).isEqualTo("artists");
        assertThat(two.acceptedVersions()).isEmpty();
        assertThat(two.maxUsers()).isEqualTo(8);
        assertThat(two.maxSceneBytes()).isEqualTo(1_000_000);
        // what the engine and the session of shot-2 get
        assertThat(s.engineFor(two).basePort()).isEqualTo(6004);
        assertThat(s.engineFor(two).unreachableTimeoutMillis()).isEqualTo(9000);
        assertThat(s.sessionFor(two).privateSession()).isTrue();
        assertThat(s.sessionFor(two).maxUsers()).isEqualTo(8);
        assertThat(s.storeFor("shot-2").orElseThrow().directory()).isEqualTo(Path.of("data", "sessions", "shot-2"));
    }

    @Test
    void badSessionsAreReportedTogetherWithWhatToChange() {
        assertThatThrownBy(() -> settings(
                "multiuser.sessions.Shot_1.port", "6000",
                "multiuser.sessions.nopport.protocol", "0.1",
                "multiuser.sessions.badproto.port", "6100", "multiuser.sessions.badproto.protocol", "1.0",
                "multiuser.sessions.pwd01.port", "6200", "multiuser.sessions.pwd01.session-password", "x",
                "multiuser.sessions.num.port", "sixty", "multiuser.sessions.num.max-users", "-1",
                "multiuser.sessions.default.port", "7000"))
                .isInstanceOf(ServerSettings.InvalidConfigException.class)
                .hasMessageContaining("multiuser.sessions.\"Shot_1\" is not a valid session name")
                .hasMessageContaining("multiuser.sessions.nopport.port is missing")
                .hasMessageContaining("multiuser.sessions.badproto.protocol=1.0 is not a protocol")
                .hasMessageContaining("multiuser.sessions.pwd01.session-password applies to protocol 0.9 only")
                .hasMessageContaining("multiuser.sessions.num.port=sixty is not a number")
                .hasMessageContaining("multiuser.sessions.default.* cannot be set");
        assertThatThrownBy(() -> settings("multiuser.sessions.lim.port", "6000",
                "multiuser.sessions.lim.max-scene-bytes", "-5"))
                .hasMessageContaining("multiuser.sessions.lim.max-scene-bytes=-5 must be 0 (no limit) or more");
    }

    @Test
    void sessionsMayNotSharePortsAndMustLieInThePortRange() {
        assertThatThrownBy(() -> settings("multiuser.port", "5555", "multiuser.sessions.a.port", "5558"))
                .hasMessageContaining("sessions 'default' (ports 5555-5558) and 'a' (ports 5558-5561) share ports");
        // three ports for 0.9: 5555-5557, so 5558 is free
        assertThat(settings("multiuser.protocol", "0.9", "multiuser.sessions.a.port", "5558",
                "multiuser.sessions.a.protocol", "0.1").sessions()).hasSize(2);
        assertThatThrownBy(() -> settings("multiuser.port-range", "5555-5562", "multiuser.sessions.a.port", "5560"))
                .hasMessageContaining("session 'a' uses ports 5560-5563, outside multiuser.port-range=5555-5562");
        assertThatThrownBy(() -> settings("multiuser.port-range", "5562-5555"))
                .hasMessageContaining("multiuser.port-range=5562-5555 is not a port range");
        assertThat(settings("multiuser.port-range", "5555-5586").portRange()).contains(new PortRange(5555, 5586));
        assertThatThrownBy(() -> settings("multiuser.max-users", "many"))
                .hasMessageContaining("multiuser.max-users=many is not a number");
        assertThat(settings("multiuser.max-users", "3").session().maxUsers()).isEqualTo(3);
    }
}
