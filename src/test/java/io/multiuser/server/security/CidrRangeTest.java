package io.multiuser.server.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class CidrRangeTest {

    private static InetAddress ip(String literal) {
        return CidrRange.parseAddress(literal);
    }

    private static boolean contains(String range, String address) {
        return CidrRange.parse(range).contains(ip(address));
    }

    @Test
    void ipv4RangesContainTheirAddressesOnly() {
        assertThat(contains("10.0.0.0/8", "10.0.0.0")).isTrue();
        assertThat(contains("10.0.0.0/8", "10.255.255.255")).isTrue();
        assertThat(contains("10.0.0.0/8", "11.0.0.0")).isFalse();
        assertThat(contains("10.0.0.0/8", "9.255.255.255")).isFalse();
        assertThat(contains("192.168.1.128/25", "192.168.1.200")).isTrue();
        assertThat(contains("192.168.1.128/25", "192.168.1.127")).isFalse();
        assertThat(contains("172.16.0.0/12", "172.31.255.1")).isTrue();
        assertThat(contains("172.16.0.0/12", "172.32.0.1")).isFalse();
    }

    @Test
    void aSingleAddressIsItsOwnHostRange() {
        CidrRange v4 = CidrRange.parse("192.168.1.7");
        assertThat(v4.prefixLength()).isEqualTo(32);
        assertThat(v4).isEqualTo(CidrRange.parse("192.168.1.7/32"));
        assertThat(v4.contains(ip("192.168.1.7"))).isTrue();
        assertThat(v4.contains(ip("192.168.1.6"))).isFalse();
        assertThat(v4.contains(ip("192.168.1.8"))).isFalse();

        CidrRange v6 = CidrRange.parse("::1");
        assertThat(v6.prefixLength()).isEqualTo(128);
        assertThat(v6).isEqualTo(CidrRange.parse("::1/128"));
        assertThat(v6.contains(ip("0:0:0:0:0:0:0:1"))).isTrue();
        assertThat(v6.contains(ip("::2"))).isFalse();
        assertThat(v6.contains(ip("127.0.0.1"))).isFalse();
    }

    @Test
    void slashZeroIsAWholeFamily() {
        assertThat(contains("0.0.0.0/0", "1.2.3.4")).isTrue();
        assertThat(contains("0.0.0.0/0", "255.255.255.255")).isTrue();
        assertThat(contains("0.0.0.0/0", "2001:db8::1")).isFalse();
        assertThat(contains("::/0", "2001:db8::1")).isTrue();
        assertThat(contains("::/0", "::")).isTrue();
        // IPv4 peers, even when an IPv6 socket shows them mapped, are not IPv6 addresses
        assertThat(contains("::/0", "1.2.3.4")).isFalse();
        assertThat(contains("::/0", "::ffff:1.2.3.4")).isFalse();
    }

    @Test
    void ipv6Ranges() {
        assertThat(contains("2001:db8::/32", "2001:db8:ffff::1")).isTrue();
        assertThat(contains("2001:db8::/32", "2001:db9::1")).isFalse();
        assertThat(contains("fe80::/10", "febf::1")).isTrue();
        assertThat(contains("fe80::/10", "fec0::1")).isFalse();
        assertThat(contains("2001:DB8::/32", "2001:db8::1")).as("upper case hex").isTrue();
    }

    @Test
    void ipv4MappedPeersMatchIpv4Ranges() throws UnknownHostException {
        // as an IPv6 socket reports an IPv4 peer; built by hand, since Java itself unmaps the literal
        byte[] mapped = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, (byte) 0xff, (byte) 0xff, 10, 1, 2, 3};
        InetAddress peer = Inet6Address.getByAddress(null, mapped, -1);
        assertThat(peer).isInstanceOf(Inet6Address.class);
        assertThat(CidrRange.parse("10.0.0.0/8").contains(peer)).isTrue();
        assertThat(CidrRange.parse("10.1.2.3").contains(peer)).isTrue();
        assertThat(CidrRange.parse("11.0.0.0/8").contains(peer)).isFalse();
        assertThat(contains("10.0.0.0/8", "::ffff:10.1.2.3")).isTrue();
        assertThat(contains("10.0.0.0/8", "::ffff:a01:203")).isTrue();
    }

    @Test
    void anIpv4MappedRangeIsTheIpv4Range() throws UnknownHostException {
        assertThat(CidrRange.parse("::ffff:10.0.0.0/104")).isEqualTo(CidrRange.parse("10.0.0.0/8"));
        assertThat(CidrRange.parse("::ffff:10.1.2.3")).isEqualTo(CidrRange.parse("10.1.2.3/32"));
        assertThat(CidrRange.parse("::ffff:0:0/96")).isEqualTo(CidrRange.parse("0.0.0.0/0"));
        byte[] mapped = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, (byte) 0xff, (byte) 0xff, 10, 0, 0, 0};
        assertThat(new CidrRange(Inet6Address.getByAddress(null, mapped, -1), 104))
                .isEqualTo(CidrRange.parse("10.0.0.0/8"));
        assertThatThrownBy(() -> CidrRange.parse("::ffff:10.0.0.0/95"))
                .hasMessageContaining("'::ffff:10.0.0.0/95'").hasMessageContaining("at least /96");
    }

    @Test
    void toStringReadsBack() {
        assertThat(CidrRange.parse("10.0.0.0/8")).hasToString("10.0.0.0/8");
        assertThat(CidrRange.parse(" 192.168.1.7 ")).hasToString("192.168.1.7/32");
        assertThat(CidrRange.parse("2001:0db8:0000:0000:0000:0000:0000:0000/32")).hasToString("2001:db8::/32");
        assertThat(CidrRange.parse("::1")).hasToString("::1/128");
        assertThat(CidrRange.parse("::/0")).hasToString("::/0");
        assertThat(CidrRange.parse("2001:db8:0:1:0:0:0:1")).hasToString("2001:db8:0:1::1/128");
        assertThat(CidrRange.parse("2001:db8::1:0:0:1")).as("the first of two equal zero runs")
                .hasToString("2001:db8::1:0:0:1/128");
        assertThat(CidrRange.parse("1:0:2:3:4:5:6:7")).as("one zero group stays").hasToString("1:0:2:3:4:5:6:7/128");
        for (String text : new String[] {"10.0.0.0/8", "2001:db8::/32", "::1/128", "fe80::/10", "::/0", "0.0.0.0/0"}) {
            CidrRange range = CidrRange.parse(text);
            assertThat(CidrRange.parse(range.toString())).isEqualTo(range);
        }
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '"', value = {
        "10.0.0.0/33          | prefix length 33 is out of range for IPv4 (0-32)",
        "::/129               | prefix length 129 is out of range for IPv6 (0-128)",
        "10.0.0.0/-1          | prefix length '-1' is not a number",
        "10.0.0.0/            | no prefix length after '/'",
        "10.0.0.0/8/8         | prefix length '8/8' is not a number",
        "10.0.0.0/ 8          | prefix length ' 8' is not a number",
        "10.0.0.0/abc         | prefix length 'abc' is not a number",
        "10.0.0.0/1000        | prefix length '1000' is not a number",
        "10.1.2.3/8           | host bits set (the network is 10.0.0.0/8)",
        "2001:db8::1/32       | host bits set (the network is 2001:db8::/32)",
        "10.0.0.256           | 256 is over 255",
        "10.0.0               | not an IPv4 address",
        "10.0.0.0.0           | not an IPv4 address",
        "10..0.1              | '' is not a number 0-255",
        "010.0.0.1            | leading zero",
        "1234                 | not an IPv4 address",
        "localhost            | host names are not accepted",
        "example.com/24       | host names are not accepted",
        "2001:db8::g/32       | unexpected 'g'",
        "fe80::1%eth0         | unexpected '%'",
        "[::1]                | unexpected '['",
        "1:2                  | not an IPv6 address",
        "1:2:3:4:5:6:7:8:9    | not an IPv6 address",
        "/8                   | no address",
    })
    void badEntriesAreNamedWithTheReason(String entry, String reason) {
        assertThatThrownBy(() -> CidrRange.parse(entry)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("'" + entry.strip() + "' is not a network range: ").hasMessageContaining(reason);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", " ", "\t"})
    void emptyEntriesAreRefused(String entry) {
        assertThatThrownBy(() -> CidrRange.parse(entry)).hasMessage("empty network range");
        assertThatThrownBy(() -> CidrRange.parse(null)).hasMessage("empty network range");
    }

    @Test
    void theCanonicalConstructorChecksToo() {
        assertThatThrownBy(() -> new CidrRange(ip("10.0.0.1"), 8)).hasMessageContaining("host bits set");
        assertThatThrownBy(() -> new CidrRange(ip("10.0.0.0"), 33)).hasMessageContaining("out of range");
        assertThatThrownBy(() -> new CidrRange(null, 8)).isInstanceOf(IllegalArgumentException.class);
        assertThat(new CidrRange(ip("10.0.0.0"), 8)).isEqualTo(CidrRange.parse("10.0.0.0/8"));
    }

    @Test
    void addressesAreParsedWithoutDns() {
        assertThatThrownBy(() -> CidrRange.parseAddress("localhost")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> CidrRange.parseAddress("abc")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> CidrRange.parseAddress("")).isInstanceOf(IllegalArgumentException.class);
        assertThat(CidrRange.parseAddress("0:0:0:0:0:0:0:1")).isEqualTo(ip("::1"));
        assertThat(CidrRange.format(ip("0:0:0:0:0:0:0:1"))).isEqualTo("::1");
        assertThat(CidrRange.format(ip("::ffff:10.1.2.3"))).isEqualTo("10.1.2.3");
    }
}
