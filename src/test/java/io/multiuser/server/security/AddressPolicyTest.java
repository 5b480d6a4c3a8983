package io.multiuser.server.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.util.List;

import org.junit.jupiter.api.Test;

class AddressPolicyTest {

    private static InetAddress ip(String literal) {
        return CidrRange.parseAddress(literal);
    }

    @Test
    void allowAllPermitsEveryAddress() {
        for (String address : List.of("127.0.0.1", "10.1.2.3", "255.255.255.255", "::1", "2001:db8::1", "::ffff:1.2.3.4")) {
            assertThat(AddressPolicy.ALLOW_ALL.permits(ip(address))).as(address).isTrue();
        }
        assertThat(AddressPolicy.ALLOW_ALL.allowsAll()).isTrue();
        assertThat(AddressPolicy.ALLOW_ALL).hasToString("allow all");
        assertThat(AddressPolicy.parse(null, null)).isEqualTo(AddressPolicy.ALLOW_ALL);
        assertThat(AddressPolicy.parse("", "  ")).isEqualTo(AddressPolicy.ALLOW_ALL);
        assertThat(AddressPolicy.parse(" , ,", ",")).isEqualTo(AddressPolicy.ALLOW_ALL);
    }

    @Test
    void anAllowListLetsInItsRangesOnly() {
        AddressPolicy policy = AddressPolicy.parse("10.0.0.0/8, 192.168.1.7 ,2001:db8::/32", null);
        assertThat(policy.permits(ip("10.200.0.1"))).isTrue();
        assertThat(policy.permits(ip("192.168.1.7"))).isTrue();
        assertThat(policy.permits(ip("2001:db8::42"))).isTrue();
        assertThat(policy.permits(ip("::ffff:10.0.0.1"))).isTrue();
        assertThat(policy.permits(ip("192.168.1.8"))).isFalse();
        assertThat(policy.permits(ip("::1"))).isFalse();
        assertThat(policy.refusal(ip("192.168.1.8")))
                .contains("not in the allow list (10.0.0.0/8, 192.168.1.7/32, 2001:db8::/32)");
        assertThat(policy).hasToString("allow 10.0.0.0/8, 192.168.1.7/32, 2001:db8::/32");
    }

    @Test
    void theDenyListWins() {
        AddressPolicy policy = AddressPolicy.parse("10.0.0.0/8", "10.9.0.0/16, 10.1.2.3");
        assertThat(policy.permits(ip("10.8.0.1"))).isTrue();
        assertThat(policy.permits(ip("10.9.1.1"))).isFalse();
        assertThat(policy.permits(ip("10.1.2.3"))).isFalse();
        assertThat(policy.permits(ip("::ffff:10.1.2.3"))).isFalse();
        assertThat(policy.permits(ip("11.0.0.1"))).isFalse();
        assertThat(policy.refusal(ip("10.9.1.1"))).contains("in the deny list (10.9.0.0/16)");
        assertThat(policy.refusal(ip("10.8.0.1"))).isEmpty();
        assertThat(policy).hasToString("allow 10.0.0.0/8; deny 10.9.0.0/16, 10.1.2.3/32");
        // the same range in both lists: denied
        assertThat(AddressPolicy.parse("10.0.0.0/8", "10.0.0.0/8").permits(ip("10.0.0.1"))).isFalse();
    }

    @Test
    void aDenyListAloneAllowsEveryOtherAddress() {
        AddressPolicy policy = AddressPolicy.parse(null, "203.0.113.0/24, 2001:db8::/32");
        assertThat(policy.allowsAll()).isFalse();
        assertThat(policy.permits(ip("203.0.114.1"))).isTrue();
        assertThat(policy.permits(ip("::1"))).isTrue();
        assertThat(policy.permits(ip("203.0.113.9"))).isFalse();
        assertThat(policy.permits(ip("2001:db8::9"))).isFalse();
        assertThat(policy).hasToString("allow all but deny 203.0.113.0/24, 2001:db8::/32");
    }

    @Test
    void slashZeroRangesCoverOneFamily() {
        AddressPolicy ipv4Only = AddressPolicy.parse("0.0.0.0/0", null);
        assertThat(ipv4Only.permits(ip("8.8.8.8"))).isTrue();
        assertThat(ipv4Only.permits(ip("2001:db8::1"))).isFalse();
        AddressPolicy noIpv6 = AddressPolicy.parse(null, "::/0");
        assertThat(noIpv6.permits(ip("8.8.8.8"))).isTrue();
        assertThat(noIpv6.permits(ip("::ffff:8.8.8.8"))).isTrue();
        assertThat(noIpv6.permits(ip("::1"))).isFalse();
    }

    @Test
    void aLongAllowListIsShortenedInRefusals() {
        AddressPolicy policy = AddressPolicy.parse("10.0.0.1, 10.0.0.2, 10.0.0.3, 10.0.0.4, 10.0.0.5, 10.0.0.6, 10.0.0.7", null);
        assertThat(policy.refusal(ip("10.0.0.9"))).contains(
                "not in the allow list (10.0.0.1/32, 10.0.0.2/32, 10.0.0.3/32, 10.0.0.4/32, 10.0.0.5/32 and 2 more)");
    }

    @Test
    void everyBadEntryIsNamedWithItsList() {
        assertThatThrownBy(() -> AddressPolicy.parse("10.0.0.0/8, 10.0.0.300, fe80::/10", "192.168.0.0/33"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("allow list: '10.0.0.300' is not a network range: '10.0.0.300' is not an IPv4 address"
                        + " (300 is over 255); deny list: '192.168.0.0/33' is not a network range: prefix length 33"
                        + " is out of range for IPv4 (0-32)");
    }

    @Test
    void theListsAreImmutableValues() {
        AddressPolicy a = AddressPolicy.parse("10.0.0.0/8", "10.1.0.0/16");
        AddressPolicy b = new AddressPolicy(List.of(CidrRange.parse("10.0.0.0/8")), List.of(CidrRange.parse("10.1.0.0/16")));
        assertThat(a).isEqualTo(b).hasSameHashCodeAs(b);
        assertThatThrownBy(() -> a.allow().add(CidrRange.parse("::/0"))).isInstanceOf(UnsupportedOperationException.class);
    }
}
