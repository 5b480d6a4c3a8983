package io.multiuser.server.security;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;

/**
 * A block of IPv4 or IPv6 addresses in CIDR notation: {@code 10.0.0.0/8}, {@code 2001:db8::/32}; a
 * single address ({@code 192.168.1.7}, {@code ::1}) is its own /32 or /128.
 * <p>
 * IPv4 peers seen through an IPv6 socket arrive as IPv4-mapped addresses ({@code ::ffff:10.1.2.3}):
 * {@link #contains} treats them as the IPv4 addresses they are, and a range written in that form
 * with a prefix of at least 96 ({@code ::ffff:10.0.0.0/104}) is the IPv4 range {@code 10.0.0.0/8}.
 * Any other IPv6 range, {@code ::/0} included, contains IPv6 peers only.
 * <p>
 * Parsing never asks DNS: only address literals are accepted, and IPv4 ones only as four decimal
 * numbers without leading zeros (no {@code 10.1}, no {@code 010.0.0.1}, which some tools read as octal).
 *
 * @param network the first address of the block (its host bits are zero)
 * @param prefixLength how many leading bits every address of the block shares with {@code network}
 */
public record CidrRange(InetAddress network, int prefixLength) {

    private static final int IPV4_MAPPED_PREFIX = 96;

    public CidrRange {
        if (network == null) {
            throw new IllegalArgumentException("a network range needs an address");
        }
        if (network instanceof Inet6Address v6 && v6.getScopeId() != 0) {
            throw new IllegalArgumentException(format(network) + ": a range cannot have a zone (scope) index");
        }
        byte[] bytes = network.getAddress();
        if (bytes.length == 16 && unmapped(bytes).length == 4 && prefixLength >= IPV4_MAPPED_PREFIX) {
            network = toAddress(unmapped(bytes)); // an IPv4-mapped range is the IPv4 range
            prefixLength -= IPV4_MAPPED_PREFIX;
            bytes = network.getAddress();
        }
        int bits = bytes.length * 8;
        if (prefixLength < 0 || prefixLength > bits) {
            throw new IllegalArgumentException("prefix length " + prefixLength + " is out of range for "
                    + (bits == 32 ? "IPv4" : "IPv6") + " (0-" + bits + ")");
        }
        byte[] masked = mask(bytes, prefixLength);
        if (!Arrays.equals(bytes, masked)) {
            throw new IllegalArgumentException(format(bytes) + "/" + prefixLength + " has host bits set (the network is "
                    + format(masked) + "/" + prefixLength + ")");
        }
    }

    /**
     * Reads {@code 10.0.0.0/8}, {@code 192.168.1.7} (= /32), {@code 2001:db8::/32}, {@code ::1} (= /128).
     * Surrounding whitespace is ignored.
     *
     * @throws IllegalArgumentException naming the entry and what is wrong with it
     */
    public static CidrRange parse(String text) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("empty network range");
        }
        String entry = text.strip();
        try {
            int slash = entry.indexOf('/');
            String addressText = slash < 0 ? entry : entry.substring(0, slash);
            InetAddress address = parseAddress(addressText);
            boolean writtenAsIpv6 = addressText.indexOf(':') >= 0;
            int maxBits = writtenAsIpv6 ? 128 : 32;
            int prefix = slash < 0 ? maxBits : parsePrefix(entry.substring(slash + 1), maxBits);
            if (writtenAsIpv6 && address instanceof Inet4Address) {
                // ::ffff:a.b.c.d: Java already reads it as the IPv4 address
                if (prefix < IPV4_MAPPED_PREFIX) {
                    throw new IllegalArgumentException("an IPv4-mapped range needs a prefix length of at least /"
                            + IPV4_MAPPED_PREFIX + " (or write it as IPv4)");
                }
                prefix -= IPV4_MAPPED_PREFIX;
            }
            return new CidrRange(address, prefix);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("'" + entry + "' is not a network range: " + e.getMessage(), e);
        }
    }

    /**
     * Reads an address literal (IPv4 dotted quad or IPv6), never asking DNS; an IPv4-mapped IPv6
     * address comes back as the IPv4 address. A zone index ({@code fe80::1%eth0}) is refused.
     *
     * @throws IllegalArgumentException when {@code text} is not an address literal
     */
    public static InetAddress parseAddress(String text) {
        if (text == null || text.isEmpty()) {
            throw new IllegalArgumentException("no address");
        }
        if (text.indexOf(':') < 0) {
            return parseIpv4(text);
        }
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (!(c == ':' || c == '.' || Character.digit(c, 16) >= 0)) {
                throw new IllegalArgumentException("'" + text + "' is not an IPv6 address (unexpected '" + c + "')");
            }
        }
        try {
            // only hex digits, colons and dots, at least one colon: a literal, so no DNS lookup
            return InetAddress.getByName(text);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("'" + text + "' is not an IPv6 address");
        }
    }

    /** Whether {@code address} lies in this range; an IPv4-mapped IPv6 address counts as its IPv4 address. */
    public boolean contains(InetAddress address) {
        if (address == null) {
            return false;
        }
        byte[] candidate = unmapped(address.getAddress());
        byte[] net = network.getAddress();
        return candidate.length == net.length && matches(candidate, net, prefixLength);
    }

    /** Whether this is an IPv4 range (else IPv6). */
    public boolean isIpv4() {
        return network instanceof Inet4Address;
    }

    /** {@code 10.0.0.0/8}, {@code 2001:db8::/32}: what {@link #parse} reads back. */
    @Override
    public String toString() {
        return format(network) + "/" + prefixLength;
    }

    /** An address for logs: IPv4 dotted, IPv6 in its shortest form ({@code 2001:db8::1}), no zone. */
    public static String format(InetAddress address) {
        return format(address.getAddress());
    }

    private static String format(byte[] bytes) {
        if (bytes.length == 4) {
            return (bytes[0] & 0xff) + "." + (bytes[1] & 0xff) + "." + (bytes[2] & 0xff) + "." + (bytes[3] & 0xff);
        }
        int[] groups = new int[8];
        for (int i = 0; i < 8; i++) {
            groups[i] = ((bytes[2 * i] & 0xff) << 8) | (bytes[2 * i + 1] & 0xff);
        }
        // RFC 5952: the longest run of two or more zero groups (the first one on a tie) becomes "::"
        int bestStart = -1;
        int bestLength = 1;
        for (int i = 0; i < 8;) {
            if (groups[i] != 0) {
                i++;
                continue;
            }
            int start = i;
            while (i < 8 && groups[i] == 0) {
                i++;
            }
            if (i - start > bestLength) {
                bestStart = start;
                bestLength = i - start;
            }
        }
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < 8; i++) {
            if (i == bestStart) {
                out.append("::");
                i += bestLength - 1;
                continue;
            }
            if (out.length() > 0 && out.charAt(out.length() - 1) != ':') {
                out.append(':');
            }
            out.append(Integer.toHexString(groups[i]));
        }
        return out.toString();
    }

    // ---------------------------------------------------------------- helpers

    private static InetAddress parseIpv4(String text) {
        String[] parts = text.split("\\.", -1);
        if (parts.length != 4) {
            throw new IllegalArgumentException("'" + text + "' is not an IPv4 address (four numbers 0-255 separated by dots)"
                    + (text.chars().allMatch(c -> c == '.' || Character.isDigit(c)) ? ""
                            : "; host names are not accepted"));
        }
        byte[] bytes = new byte[4];
        for (int i = 0; i < 4; i++) {
            String part = parts[i];
            if (part.isEmpty() || part.length() > 3 || !part.chars().allMatch(c -> c >= '0' && c <= '9')) {
                throw new IllegalArgumentException("'" + text + "' is not an IPv4 address ('" + part
                        + "' is not a number 0-255)");
            }
            if (part.length() > 1 && part.charAt(0) == '0') {
                throw new IllegalArgumentException("'" + text + "' is not an IPv4 address ('" + part
                        + "' has a leading zero)");
            }
            int value = Integer.parseInt(part);
            if (value > 255) {
                throw new IllegalArgumentException("'" + text + "' is not an IPv4 address (" + value + " is over 255)");
            }
            bytes[i] = (byte) value;
        }
        return toAddress(bytes);
    }

    private static InetAddress toAddress(byte[] bytes) {
        try {
            return InetAddress.getByAddress(bytes);
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e); // 4 or 16 bytes are always an address
        }
    }

    private static int parsePrefix(String text, int maxBits) {
        if (text.isEmpty()) {
            throw new IllegalArgumentException("no prefix length after '/'");
        }
        if (text.length() > 3 || !text.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw new IllegalArgumentException("prefix length '" + text + "' is not a number 0-" + maxBits);
        }
        int prefix = Integer.parseInt(text);
        if (prefix > maxBits) {
            throw new IllegalArgumentException("prefix length " + prefix + " is out of range for "
                    + (maxBits == 32 ? "IPv4" : "IPv6") + " (0-" + maxBits + ")");
        }
        return prefix;
    }

    /** The 4 bytes of an IPv4-mapped IPv6 address, or {@code bytes} as they are. */
    private static byte[] unmapped(byte[] bytes) {
        if (bytes.length != 16) {
            return bytes;
        }
        for (int i = 0; i < 10; i++) {
            if (bytes[i] != 0) {
                return bytes;
            }
        }
        if (bytes[10] != (byte) 0xff || bytes[11] != (byte) 0xff) {
            return bytes;
        }
        return new byte[] {bytes[12], bytes[13], bytes[14], bytes[15]};
    }

    private static boolean matches(byte[] address, byte[] network, int prefixLength) {
        int whole = prefixLength / 8;
        for (int i = 0; i < whole; i++) {
            if (address[i] != network[i]) {
                return false;
            }
        }
        int rest = prefixLength % 8;
        if (rest == 0) {
            return true;
        }
        int mask = (0xff << (8 - rest)) & 0xff;
        return (address[whole] & mask) == (network[whole] & mask);
    }

    private static byte[] mask(byte[] address, int prefixLength) {
        byte[] masked = new byte[address.length];
        for (int i = 0; i < address.length; i++) {
            int bitsHere = Math.max(0, Math.min(8, prefixLength - 8 * i));
            masked[i] = (byte) (address[i] & ((0xff << (8 - bitsHere)) & 0xff));
        }
        return masked;
    }

}
