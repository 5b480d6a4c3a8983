package io.multiuser.server.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;

import org.junit.jupiter.api.Test;

import io.multiuser.server.engine.EngineSettings;
import io.multiuser.server.engine.ZmqEngine;
import io.multiuser.server.session.SessionSettings;
import io.multiuser.server.testclient.FreePorts;

/** The engine-facing side of the admin API: 503 whenever the engine cannot answer. */
class AdminServiceTest {

    private static ZmqEngine startEngine() {
        ZmqEngine engine = new ZmqEngine(EngineSettings.builder().basePort(FreePorts.base())
                .unreachableTimeoutMillis(2000).build(),
                SessionSettings.builder().adminPassword("pw").acceptedVersions(List.of()).heartbeatTimeoutMillis(2000).build());
        engine.start();
        return engine;
    }

    @Test
    void noEngineIs503() {
        AdminService admin = new AdminService(() -> null, () -> null, null, Duration.ofSeconds(5));
        AdminException e = catchThrowableOfType(AdminException.class, admin::users);
        assertThat(e.status()).isEqualTo(503);
        assertThat(e.getMessage()).isEqualTo("the session engine is not running");
    }

    @Test
    void aStoppedEngineIs503() {
        ZmqEngine engine = startEngine();
        engine.close();
        AdminService admin = new AdminService(() -> engine, () -> null, null, Duration.ofSeconds(5));
        assertThat(catchThrowableOfType(AdminException.class, () -> admin.kick("bob", "test")).status())
                .isEqualTo(503);
    }

    @Test
    void anEngineThatDoesNotAnswerInTimeIs503AfterTheTimeout() throws Exception {
        ZmqEngine engine = startEngine();
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
            AdminService admin = new AdminService(() -> engine, () -> null, null, Duration.ofMillis(300));
            long start = System.nanoTime();
            AdminException e = catchThrowableOfType(AdminException.class, admin::users);
            long elapsedMillis = (System.nanoTime() - start) / 1_000_000;
            assertThat(e.status()).isEqualTo(503);
            assertThat(e.getMessage()).contains("did not answer within 300 ms");
            assertThat(elapsedMillis).isBetween(300L, 5_000L);
        } finally {
            release.countDown();
            engine.close();
        }
    }

    @Test
    void aRunningEngineAnswers() {
        ZmqEngine engine = startEngine();
        try {
            AdminService admin = new AdminService(() -> engine, () -> null, null, Duration.ofSeconds(5));
            assertThat(admin.users()).isEmpty();
            assertThat(admin.kick("nobody", "test")).isFalse();
            assertThat(admin.nodes(1, 50)).isEqualTo(new NodePage(1, 50, 0, 0, List.of()));
        } finally {
            engine.close();
        }
    }
}
