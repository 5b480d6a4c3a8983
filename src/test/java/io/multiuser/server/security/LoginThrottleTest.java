package io.multiuser.server.security;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

import io.multiuser.server.session.PeerHost;

/** Password guessing slows down per address: ten a minute go unnoticed, then the blocks double. */
class LoginThrottleTest {

    private final LoginThrottle throttle = new LoginThrottle(10, 1_000, 300_000);

    @Test
    void theEleventhAttemptAfterTenFailuresInAMinuteWaitsAndNoOtherAddressDoes() {
        long now = 1_000_000;
        for (int i = 0; i < 9; i++) {
            assertThat(throttle.failed("10.0.0.7", now + i)).isZero();
        }
        assertThat(throttle.blockedFor("10.0.0.7", now + 9)).isZero();
        assertThat(throttle.failed("10.0.0.7", now + 10)).isEqualTo(1_000); // the tenth: the eleventh must wait
        assertThat(throttle.blockedFor("10.0.0.7", now + 10)).isEqualTo(1_000);
        assertThat(throttle.blockedSeconds("10.0.0.7", now + 10)).isEqualTo(1);
        assertThat(throttle.blockedSeconds("10.0.0.7", now + 1_009)).as("1 ms left is a whole second").isEqualTo(1);
        assertThat(throttle.blockedSeconds("10.0.0.7", now + 1_010)).isZero();
        assertThat(throttle.blockedFor("10.0.0.8", now + 10)).isZero(); // someone else's failures never count
        assertThat(throttle.failed("10.0.0.7", now + 1_100)).isEqualTo(2_000);
        assertThat(throttle.failed("10.0.0.7", now + 3_200)).isEqualTo(4_000);
    }

    @Test
    void blocksDoubleUpToTheCapAndARightPasswordStartsAfresh() {
        long now = 0;
        long last = 0;
        for (int i = 0; i < 40; i++) {
            last = throttle.failed("::1", now);
        }
        assertThat(last).isEqualTo(300_000);
        throttle.succeeded("::1");
        assertThat(throttle.blockedFor("::1", now)).isZero();
        assertThat(throttle.failed("::1", now)).isZero();
    }

    @Test
    void aLongerFirstBlockDoublesFromItsOwnLength() {
        LoginThrottle strict = new LoginThrottle(3, 10_000, 60_000);
        assertThat(strict.failed("10.0.0.5", 0)).isZero();
        assertThat(strict.failed("10.0.0.5", 1)).isZero();
        assertThat(strict.failed("10.0.0.5", 2)).isEqualTo(10_000);
        assertThat(strict.failed("10.0.0.5", 3)).isEqualTo(20_000);
        assertThat(strict.failed("10.0.0.5", 4)).isEqualTo(40_000);
        assertThat(strict.failed("10.0.0.5", 5)).as("capped").isEqualTo(60_000);
    }

    @Test
    void failuresOlderThanAMinuteAreForgiven() {
        for (int i = 0; i < 9; i++) {
            throttle.failed("10.0.0.9", i * 1_000L);
        }
        assertThat(throttle.failed("10.0.0.9", 61_000)).isZero(); // the first ones are out of the window now
    }

    @Test
    void theHostOfAnEngineAddressDropsThePort() {
        assertThat(PeerHost.of("127.0.0.1:43442")).isEqualTo("127.0.0.1");
        assertThat(PeerHost.of("[2001:db8::1]:5555")).isEqualTo("2001:db8::1");
        assertThat(PeerHost.of("0:0:0:0:0:0:0:1:42722")).isEqualTo("0:0:0:0:0:0:0:1"); // JeroMQ's IPv6 form
        assertThat(PeerHost.of("2001:db8::1")).isEqualTo("2001:db8::1"); // compressed, no port: as is
        assertThat(PeerHost.of("unknown address")).isEqualTo("unknown address");
        assertThat(PeerHost.of(null)).isEqualTo("unknown");
        // what follows the last colon is a port only when it is 1 to 5 digits
        assertThat(PeerHost.of("10.0.0.7:")).isEqualTo("10.0.0.7:");
        assertThat(PeerHost.of("10.0.0.7:123456")).isEqualTo("10.0.0.7:123456");
        assertThat(PeerHost.of("10.0.0.7:5x")).isEqualTo("10.0.0.7:5x");
        assertThat(PeerHost.of("10.0.0.7:0")).isEqualTo("10.0.0.7");
    }
}
