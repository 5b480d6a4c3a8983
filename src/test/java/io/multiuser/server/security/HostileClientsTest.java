package io.multiuser.server.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.multiuser.server.engine.EngineSettings;
import io.multiuser.server.engine.ZmqEngine;
import io.multiuser.server.protocol.Node;
import io.multiuser.server.session.Scene;
import io.multiuser.server.session.SessionJournal;
import io.multiuser.server.session.SessionListener;
import io.multiuser.server.session.SessionSettings;
import io.multiuser.server.testclient.FreePorts;
import io.multiuser.server.testclient.TestClient;

/**
 * Hostile clients on real sockets. The server listens dual stack, so a client on {@code [::1]} is
 * another host than one on 127.0.0.1: password guessing from one address is throttled while the
 * other logs in, and a connection that declares a logged-in user's identity from another host can
 * neither push for that user nor keep it alive.
 */
class HostileClientsTest {

    private static final String PASSWORD = "right-password";
    private static final long TIMEOUT = 2000;

    private final Map<SessionListener.Drop, Integer> drops = new EnumMap<>(SessionListener.Drop.class);
    private final Map<SessionListener.LoginRefusal, Integer> refusals = new EnumMap<>(SessionListener.LoginRefusal.class);
    private final ServerSecurity security = new ServerSecurity(null);
    private ZmqEngine engine;
    private int port;

    @BeforeEach
    void start() {
        port = FreePorts.base();
        SessionListener counting = new SessionListener() {
            @Override
            public synchronized void dropped(Drop reason, int messages) {
                drops.merge(reason, messages, Integer::sum);
            }

            @Override
            public synchronized void loginRefused(LoginRefusal reason) {
                refusals.merge(reason, 1, Integer::sum);
            }
        };
        engine = new ZmqEngine(EngineSettings.builder().bindAddress("*").basePort(port).unreachableTimeoutMillis(TIMEOUT)
                .build(), SessionSettings.builder().adminPassword(PASSWORD).acceptedVersions(List.of())
                .heartbeatTimeoutMillis(TIMEOUT).build(), counting, SessionJournal.NONE, Scene.EMPTY);
        engine.guard(security.guardFor("test"));
        engine.start();
    }

    @AfterEach
    void stop() {
        engine.close();
    }

    private synchronized int drops(SessionListener.Drop reason) {
        return drops.getOrDefault(reason, 0);
    }

    @Test
    void theEleventhWrongPasswordInAMinuteIsThrottledWhileAnotherAddressLogsIn() {
        try (TestClient guesser = new TestClient("127.0.0.1", port, "guesser");
                TestClient other = new TestClient("[::1]", port, "other-admin")) {
            for (int i = 1; i <= ServerSecurity.FREE_FAILURES; i++) {
                assertThat(guesser.loginAsAdmin("guess-" + i)).as("attempt %d", i).isEqualTo("FAILED: wrong password");
            }
            assertThat(guesser.loginAsAdmin("guess-11")).startsWith("FAILED: too many wrong passwords from this address");
            assertThat(guesser.loginAsAdmin(PASSWORD)).as("even the right one, while blocked")
                    .startsWith("FAILED: too many wrong passwords");
            assertThat(other.loginAsAdmin(PASSWORD)).isEqualTo("LOBBY"); // someone else's failures never count
            assertThat(refusals).containsEntry(SessionListener.LoginRefusal.THROTTLED, 2)
                    .containsEntry(SessionListener.LoginRefusal.WRONG_PASSWORD, ServerSecurity.FREE_FAILURES);
            assertThat(security.audit().recent(100)).anyMatch(e -> e.detail().contains("address blocked for 1 s"));
        }
    }

    @Test
    void aConnectionFromAnotherHostThatDeclaresAUsersIdentityCannotPushForItNorKeepItAlive() throws Exception {
        Node node = new Node("n-1", "COMMON", "T", List.of(), new byte[] {1, 2, 3});
        try (TestClient alice = new TestClient("127.0.0.1", port, "alice");
                TestClient bob = new TestClient("127.0.0.1", port, "bob")) {
            assertThat(alice.loginAsAdmin(PASSWORD)).isEqualTo("LOBBY");
            alice.upload(List.of(node));
            assertThat(bob.loginAsClient()).isEqualTo("RUNNING");
            bob.join();

            alice.answerPings(false); // alice goes quiet; only the impostor would answer for her
            try (TestClient impostor = TestClient.withIdentity("[::1]", port, "impostor", alice.identity)) {
                impostor.push(new Node("n-1", "COMMON", "T", List.of(), new byte[] {6, 6, 6}));
                await().atMost(Duration.ofSeconds(5)).until(() -> drops(SessionListener.Drop.IDENTITY_MISMATCH) >= 2);
                assertThat(bob.receivesNo("RepUpdateCommand", 300)).isTrue();
                assertThat(bob.pollBlocks()).noneMatch(b -> b.payload()[0] == 6);
                byte[] kept = engine.call(s -> s.graph().get("n-1").payload().toArray()).get();
                assertThat(kept).containsExactly(1, 2, 3);

                // The impostor answers every PING with alice's identity; alice still times out.
                await().atMost(Duration.ofMillis(TIMEOUT * 3)).until(() ->
                        engine.call(s -> s.user("alice")).get().equals(Optional.empty()));
                assertThat(impostor.pingsReceived()).isPositive(); // it did get her pings, and answered them
                assertThat(security.audit().recent(100)).as("the audit trail names the refused identity")
                        .anyMatch(e -> e.kind().equals("identity-refused") && e.session().equals("test")
                                && e.target().equals("0:0:0:0:0:0:0:1") && e.detail().contains("as 'alice'"));
            }
            assertThat(engine.call(s -> s.user("bob").isPresent()).get()).isTrue(); // the honest one is untouched
        }
    }
}
