package io.multiuser.server.hosting;

import java.util.Optional;

/** The ports sessions may use ({@code multiuser.port-range}), both ends included. */
public record PortRange(int first, int last) {

    /** The range written as {@code FIRST-LAST}, or empty when it is not one. */
    public static Optional<PortRange> parse(String text) {
        String[] parts = text.strip().split("\\s*-\\s*");
        if (parts.length != 2) {
            return Optional.empty();
        }
        try {
            int first = Integer.parseInt(parts[0]);
            int last = Integer.parseInt(parts[1]);
            return first >= 1 && first <= last && last <= 65535 ? Optional.of(new PortRange(first, last)) : Optional.empty();
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    /** True when the spec's whole block lies inside. */
    public boolean holds(SessionSpec spec) {
        return spec.port() >= first && spec.lastPort() <= last;
    }

    @Override
    public String toString() {
        return first + "-" + last;
    }
}
