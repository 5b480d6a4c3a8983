package io.multiuser.server.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import io.multiuser.server.protocol.Generation;
import io.multiuser.server.session.SessionListener;
import io.multiuser.server.session.SessionSettings;
import io.multiuser.server.testclient.TestClient;

/**
 * The bounded fuzz test of issue #17: {@link SessionFuzz} against a four-port (0.1) and a
 * three-port (0.9) session, each on its own engine, with at least 10,000 frames to every port
 * (random, mutated real vectors, hostile but well-formed) while two honest clients edit. Both
 * runs stop by themselves. Reproduce a failure with the seed its summary prints:
 * {@code ./mvnw test -Dtest=FuzzTest -Dfuzz.seed=N}; {@code -Dfuzz.framesPerPort=N} scales the
 * run (the bench's {@code -Dbench.focus=fuzz} runs 100,000 per port).
 */
@Timeout(value = 600, unit = TimeUnit.SECONDS) // a safety net: each run ends by itself (deadlines in SessionFuzz)
class FuzzTest {

    @Test
    void fourPortSessionSurvivesFuzzOnEveryPort() {
        SessionFuzz.Result r = run(Generation.V01);
        for (String port : new String[] {"P", "P+1", "P+3"}) {
            assertThat(r.port(port).decodeDrops()).as("%s: fuzz messages refused while decoding", port).isPositive();
        }
        // P+2 fair-queues header and chunk messages: refused headers, stray chunks, other frame counts
        assertThat(r.port("P+2").decodeDrops()).as("P+2: fuzz datablocks refused").isPositive();
        assertThat(r.port("P+2").sessionDrops()).as("P+2: datablocks refused by the session's rules (seed %d)", r.seed())
                .containsKeys("UNAUTHENTICATED", "NO_RIGHTS");
    }

    @Test
    void threePortSessionSurvivesFuzzOnEveryPort() {
        SessionFuzz.Result r = run(Generation.V09);
        for (String port : new String[] {"P", "P+1", "P+2"}) {
            assertThat(r.port(port).decodeDrops()).as("%s: fuzz messages refused while decoding", port).isPositive();
        }
        assertThat(r.port("P+1").sessionDrops()).as("P+1: datablocks refused by the session's rules (seed %d)", r.seed())
                .containsKeys("UNAUTHENTICATED", "NO_RIGHTS", "UNKNOWN_TARGET");
    }

    /**
     * What the fuzz found at the reader's limit (PyValues.MAX_DEPTH, 32 levels): metadata accepted there
     * was broadcast inside the clients state ({name: {'metadata': ...}}), two levels deeper, where every
     * reader of ours refused the whole RepUpdateClientsState. Metadata now gets two levels less than the
     * limit; what is accepted stays readable for everybody.
     */
    @Test
    void metadataIsOnlyAcceptedAsDeepAsItCanBeBroadcast() {
        AtomicInteger malformed = new AtomicInteger();
        SessionListener counting = new SessionListener() {
            @Override
            public void dropped(Drop reason, int messages) {
                if (reason == Drop.MALFORMED) {
                    malformed.addAndGet(messages);
                }
            }
        };
        ZmqEngine engine = new ZmqEngine(EngineSettings.builder().basePort(0).build(),
                SessionSettings.builder().adminPassword("pw").presenceIntervalMillis(50).build(), counting);
        engine.start();
        try (TestClient alice = new TestClient(engine.basePort(), "alice");
                TestClient mallory = new TestClient(engine.basePort(), "mallory")) {
            assertThat(alice.loginAsAdmin("pw")).isEqualTo("LOBBY");
            assertThat(mallory.loginAsClient()).isEqualTo("LOBBY");

            mallory.send("mallory", "RepUpdateUserMetadata", Map.of("deep", nested(31))); // 32 levels
            mallory.send("mallory", "RepUpdateUserMetadata", Map.of("ok", nested(29)));   // 30 levels

            // alice reads every broadcast (an unreadable one fails the client); the 30 levels reach her
            TestClient.Received state = alice.await("RepUpdateClientsState",
                    r -> metadataOf(r, "mallory").containsKey("ok"), Duration.ofSeconds(10));
            assertThat(metadataOf(state, "mallory")).doesNotContainKey("deep");
            assertThat(malformed.get()).as("the 32 levels, refused as malformed").isEqualTo(1);
        } finally {
            engine.close();
        }
    }

    private static Object nested(int lists) {
        Object deep = 1;
        for (int i = 0; i < lists; i++) {
            deep = List.of(deep);
        }
        return deep;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> metadataOf(TestClient.Received state, String user) {
        Map<String, Object> users = (Map<String, Object>) state.data();
        Map<String, Object> entry = (Map<String, Object>) users.get(user);
        return entry == null ? Map.of() : (Map<String, Object>) entry.get("metadata");
    }

    /** The run, its summary printed, and what holds for both generations. */
    private static SessionFuzz.Result run(Generation generation) {
        int frames = SessionFuzz.framesPerPort(SessionFuzz.TEST_FRAMES_PER_PORT);
        SessionFuzz.Result r = SessionFuzz.run(generation, SessionFuzz.seed(), frames);
        System.out.println(r.summary());

        assertThat(r.problems()).as("what the server did wrong (seed %d)%n%s", r.seed(), r.summary()).isEmpty();
        assertThat(r.ports()).hasSize(generation.portCount());
        for (SessionFuzz.PortReport p : r.ports()) {
            assertThat(p.frames()).as("%s: frames sent", p.port()).isGreaterThanOrEqualTo(frames);
            assertThat(p.random() > 0 && p.mutated() > 0 && p.hostile() > 0).as("%s: every kind of input", p.port())
                    .isTrue();
            assertThat(p.accountingHolds()).as("%s: accounted %d of %d", p.port(), p.accountedFor(), p.expected())
                    .isTrue();
        }
        // the fuzz reached the session, not only the codecs: logins, refusals, rule violations
        assertThat(r.port("P").sessionDrops()).as("P: commands refused by the session's rules (seed %d)", r.seed())
                .containsKeys("UNAUTHENTICATED", "NO_RIGHTS");
        assertThat(r.commandsByType()).as("commands decoded on P").isNotEmpty();
        assertThat(r.loginsAccepted()).as("fuzzers that logged in").isPositive();
        assertThat(r.loginRefusals()).as("logins refused").containsKeys("DUPLICATE", "WRONG_PASSWORD", "VERSION");
        assertThat(r.dropsByReason().get("MALFORMED")).as("MALFORMED drops").isPositive();
        assertThat(r.honestEdits().values()).as("honest edits made (each checked at the other client)")
                .allMatch(n -> n > 0);
        assertThat(r.unexplainedHeapGrowthBytes()).as("heap growth beyond the scene's and the test clients' records")
                .isLessThan(SessionFuzz.HEAP_GROWTH_LIMIT);
        assertThat(r.maxLoopStallMillis()).as("longest engine loop stall, ms")
                .isLessThan(SessionFuzz.MAX_LOOP_STALL_MILLIS);
        return r;
    }
}
