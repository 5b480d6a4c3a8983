package io.multiuser.server.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bans match by name, by address range or both, lapse when they expire, and survive a restart. */
class BansTest {

    @TempDir
    Path dir;

    private static InetAddress ip(String s) throws Exception {
        return InetAddress.getByName(s);
    }

    @Test
    void aNameAnAddressRangeOrBothMatchAndTheyComeBackAfterARestart() throws Exception {
        Bans bans = new Bans(dir);
        Ban name = bans.add("mallory", null, "spam", null, "test");
        Ban range = bans.add(null, "203.0.113.0/24", "", null, "test");
        Ban both = bans.add("eve", "2001:db8::/32", "", Duration.ofHours(1), "test");

        assertThat(bans.match("mallory", ip("10.0.0.1"))).contains(name);
        assertThat(bans.match("anyone", ip("203.0.113.77"))).contains(range);
        assertThat(bans.match("anyone", ip("::ffff:203.0.113.77"))).contains(range); // IPv4-mapped
        assertThat(bans.match("eve", ip("2001:db8::5"))).contains(both);
        assertThat(bans.match("eve", ip("2001:db9::5"))).isEmpty(); // both must match
        assertThat(bans.match("alice", ip("10.0.0.1"))).isEmpty();
        assertThat(bans.bannedRanges()).extracting(CidrRange::toString).containsExactly("203.0.113.0/24");

        Bans restarted = new Bans(dir);
        assertThat(restarted.active()).containsExactly(name, range, both);
        assertThat(restarted.match("mallory", null)).contains(name);
        assertThat(restarted.remove(name.id())).contains(name);
        assertThat(new Bans(dir).match("mallory", ip("10.0.0.1"))).isEmpty();
    }

    @Test
    void anExpiredBanNoLongerMatches() throws Exception {
        Bans bans = new Bans(null);
        Ban ban = bans.add("bob", null, "", Duration.ofMillis(50), "test");
        assertThat(bans.match("bob", ip("10.0.0.1"))).contains(ban);
        Thread.sleep(120);
        assertThat(bans.match("bob", ip("10.0.0.1"))).isEmpty();
        assertThat(bans.active()).isEmpty();
    }

    @Test
    void badBansAreRefusedWithAReason() {
        Bans bans = new Bans(null);
        assertThatThrownBy(() -> bans.add(null, " ", "", null, "t")).hasMessageContaining("give a user name");
        assertThatThrownBy(() -> bans.add(null, "10.0.0.0/33", "", null, "t")).hasMessageContaining("prefix length");
        assertThatThrownBy(() -> bans.add(null, "example.com", "", null, "t")).hasMessageContaining("is not a network range");
        assertThatThrownBy(() -> bans.add("x", null, "", Duration.ZERO, "t")).hasMessageContaining("positive");
        assertThat(bans.active()).isEmpty();
    }
}
