package io.multiuser.server.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;

import org.junit.jupiter.api.Test;

import io.multiuser.server.engine.EngineSettings;
import io.multiuser.server.engine.ZmqEngine;
import io.multiuser.server.hosting.HostedSession;
import io.multiuser.server.hosting.SessionSpec;
import io.multiuser.server.persistence.StoreListener;
import io.multiuser.server.protocol.Generation;
import io.multiuser.server.session.SessionListener;
import io.multiuser.server.session.SessionSettings;
import io.multiuser.server.testclient.FreePorts;

/** The engine-facing side of the admin API: 404 for an unknown session, 503 whenever its engine cannot answer. */
class AdminServiceTest {

    /** A default session on free ports, not started yet. */
    private static HostedSession session() {
        int port = FreePorts.base();
        SessionSpec spec = new SessionSpec(SessionSpec.DEFAULT, port, Generation.V01, "pw", "", 2000, List.of(), 0, 0,
                "", "", SessionSpec.Origin.CONFIGURATION);
        return new HostedSession(spec, EngineSettings.builder().basePort(port).unreachableTimeoutMillis(2000).build(),
                SessionSettings.builder().adminPassword("pw").acceptedVersions(List.of()).heartbeatTimeoutMillis(2000).build(),
                Optional.empty(), SessionListener.NONE, StoreListener.NONE);
    }

    private static AdminService admin(HostedSession hosted, Duration timeout) {
        return new AdminService(name -> name.equals(hosted.name()) ? Optional.of(hosted) : Optional.empty(), null, null,
                timeout, null);
    }

    @Test
    void anUnknownSessionIs404() {
        AdminService admin = admin(session(), Duration.ofSeconds(5));
        AdminException e = catchThrowableOfType(AdminException.class, () -> admin.users("shot-9"));
        assertThat(e.status()).isEqualTo(404);
        assertThat(e.getMessage()).startsWith("no session named 'shot-9'");
    }

    @Test
    void aSessionThatNeverStartedIs503() {
        AdminService admin = admin(session(), Duration.ofSeconds(5));
        AdminException e = catchThrowableOfType(AdminException.class, () -> admin.users(SessionSpec.DEFAULT));
        assertThat(e.status()).isEqualTo(503);
        assertThat(e.getMessage()).isEqualTo("session 'default' is not running: not started");
    }

    @Test
    void aStoppedEngineIs503() {
        HostedSession hosted = session();
        hosted.start();
        hosted.engine().close();
        AdminService admin = admin(hosted, Duration.ofSeconds(5));
        AdminException e = catchThrowableOfType(AdminException.class, () -> admin.kick(SessionSpec.DEFAULT, "bob", "test"));
        assertThat(e.status()).isEqualTo(503);
        assertThat(e.getMessage()).contains("engine thread stopped");
        hosted.stop();
    }

    @Test
    void anEngineThatDoesNotAnswerInTimeIs503AfterTheTimeout() throws Exception {
        HostedSession hosted = session();
        hosted.start();
        ZmqEngine engine = hosted.engine();
        CountDownLatch release = new CountDownLatch(1);
        try {
            engine.call(session -> {
                try {
                    release.await(); // the engine thread is stuck until the test lets it go
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return null;
            });
            AdminService admin = admin(hosted, Duration.ofMillis(300));
            long start = System.nanoTime();
            AdminException e = catchThrowableOfType(AdminException.class, () -> admin.users(SessionSpec.DEFAULT));
            long elapsedMillis = (System.nanoTime() - start) / 1_000_000;
            assertThat(e.status()).isEqualTo(503);
            assertThat(e.getMessage()).contains("did not answer within 300 ms");
            assertThat(elapsedMillis).isBetween(300L, 5_000L);
        } finally {
            release.countDown();
            hosted.stop();
        }
    }

    @Test
    void aRunningEngineAnswers() {
        HostedSession hosted = session();
        hosted.start();
        try {
            AdminService admin = admin(hosted, Duration.ofSeconds(5));
            assertThat(admin.users(SessionSpec.DEFAULT)).isEmpty();
            assertThat(admin.kick(SessionSpec.DEFAULT, "nobody", "test")).isFalse();
            assertThat(admin.nodes(SessionSpec.DEFAULT, 1, 50)).isEqualTo(new NodePage(1, 50, 0, 0, List.of()));
        } finally {
            hosted.stop();
        }
    }
}
