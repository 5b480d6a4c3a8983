package io.multiuser.server.session;

/**
 * The IP part of a peer address as the engine reports it: {@code 10.0.0.7:51234},
 * {@code [::1]:5}, or JeroMQ's own IPv6 form, eight groups and the port without brackets
 * ({@code 0:0:0:0:0:0:0:1:42722}).
 */
public final class PeerHost {

    private PeerHost() {
    }

    public static String of(String address) {
        if (address == null) {
            return "unknown";
        }
        if (address.startsWith("[")) {
            int end = address.indexOf(']');
            return end > 0 ? address.substring(1, end) : address;
        }
        int last = address.lastIndexOf(':');
        if (last <= 0 || !address.substring(last + 1).matches("\\d{1,5}")) {
            return address; // no port
        }
        // 10.0.0.7:51234, and JeroMQ's IPv6 form without brackets: 0:0:0:0:0:0:0:1:51234
        return address.indexOf(':') == last || address.chars().filter(c -> c == ':').count() == 8
                ? address.substring(0, last) : address;
    }
}
