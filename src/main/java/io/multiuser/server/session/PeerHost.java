package io.multiuser.server.session;

/**
 * The IP part of a peer address as the engine reports it: {@code 10.0.0.7:51234},
 * {@code [::1]:5}, or JeroMQ's own IPv6 form, eight groups and the port without brackets
 * ({@code 0:0:0:0:0:0:0:1:42722}). The engine asks for every message it checks against its
 * sender's login, hence no regular expression and no stream here.
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
        if (last <= 0 || !isPort(address, last + 1)) {
            return address; // no port
        }
        // 10.0.0.7:51234, and JeroMQ's IPv6 form without brackets: 0:0:0:0:0:0:0:1:51234
        return address.indexOf(':') == last || colons(address) == 8 ? address.substring(0, last) : address;
    }

    /** One to five ASCII digits from {@code from} to the end. */
    private static boolean isPort(String address, int from) {
        int digits = address.length() - from;
        if (digits < 1 || digits > 5) {
            return false;
        }
        for (int i = from; i < address.length(); i++) {
            char c = address.charAt(i);
            if (c < '0' || c > '9') {
                return false;
            }
        }
        return true;
    }

    private static int colons(String address) {
        int count = 0;
        for (int i = 0; i < address.length(); i++) {
            if (address.charAt(i) == ':') {
                count++;
            }
        }
        return count;
    }
}
