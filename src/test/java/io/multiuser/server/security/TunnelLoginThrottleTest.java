package io.multiuser.server.security;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

import io.multiuser.server.session.LoginGuard;
import io.multiuser.server.session.SessionListener.LoginRefusal;

/**
 * With the tunnel on, every artist's protocol login comes from the loopback interface: one artist's
 * wrong passwords must not lock the others out, while real addresses are throttled as before.
 */
class TunnelLoginThrottleTest {

    private static final int ATTEMPTS = ServerSecurity.FREE_FAILURES + 5;

    @Test
    void withTheTunnelOnLoopbackLoginsAreNotThrottledButOtherAddressesAre() {
        LoginGuard guard = new ServerSecurity(null, true).guardFor("shot");
        fail(guard, "127.0.0.1:40000");
        fail(guard, "0:0:0:0:0:0:0:1:40001");
        fail(guard, "10.0.0.7:40002");

        assertThat(guard.refuse("alice", true, "127.0.0.1:40003")).as("a tunnel stream").isNull();
        assertThat(guard.refuse("alice", true, "0:0:0:0:0:0:0:1:40004")).as("a tunnel stream over IPv6").isNull();
        LoginGuard.Refused direct = guard.refuse("mallory", true, "10.0.0.7:40005");
        assertThat(direct).as("a direct peer").isNotNull();
        assertThat(direct.reason()).isEqualTo(LoginRefusal.THROTTLED);
    }

    @Test
    void withTheTunnelOffLoopbackIsThrottledLikeAnyAddress() {
        LoginGuard guard = new ServerSecurity(null, false).guardFor("shot");
        fail(guard, "127.0.0.1:40000");
        LoginGuard.Refused refused = guard.refuse("alice", true, "127.0.0.1:40003");
        assertThat(refused).isNotNull();
        assertThat(refused.reason()).isEqualTo(LoginRefusal.THROTTLED);
    }

    private static void fail(LoginGuard guard, String address) {
        for (int i = 0; i < ATTEMPTS; i++) {
            guard.refused("guesser", true, address, LoginRefusal.WRONG_PASSWORD);
        }
    }
}
