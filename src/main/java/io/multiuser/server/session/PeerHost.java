package io.multiuser.server.session;

/** The IP part of a peer address as the engine reports it ({@code 10.0.0.7:51234}, {@code [::1]:5}). */
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
        int first = address.indexOf(':');
        int last = address.lastIndexOf(':');
        if (first > 0 && first == last) {
            return address.substring(0, first); // IPv4 with a port
        }
        return address;
    }
}
