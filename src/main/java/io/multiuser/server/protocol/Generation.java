package io.multiuser.server.protocol;

import java.util.List;

/**
 * The two generations of the add-on's protocol. A session speaks exactly one; what differs
 * between them (ports, framing, codecs, a few session rules) is keyed by this.
 */
public enum Generation {

    /** Replication 0.1.x (the 2020 add-on): four ports, class-name command frames (docs/protocol/PROTOCOL-0.1.md). */
    V01("0.1", 4, List.of("0.1.25")),
    /** Replication 0.9.x (add-on 0.6 for Blender 4): three ports, typed frames, deltas (docs/protocol/PROTOCOL-0.9.md). */
    V09("0.9", 3, List.of("0.9.10", "0.9.9"));

    private final String label;
    private final int portCount;
    private final List<String> knownVersions;

    Generation(String label, int portCount, List<String> knownVersions) {
        this.label = label;
        this.portCount = portCount;
        this.knownVersions = knownVersions;
    }

    /** As written in settings and shown to admins: {@code 0.1} or {@code 0.9}. */
    public String label() {
        return label;
    }

    /** Consecutive ports from the base port. */
    public int portCount() {
        return portCount;
    }

    /**
     * Client versions known to speak this generation's wire format, the primary (newest) first:
     * the default version policy, and the server's own version in refusals and server info.
     */
    public List<String> knownVersions() {
        return knownVersions;
    }

    public String primaryVersion() {
        return knownVersions.get(0);
    }

    /** The generation for a setting's value, or null when it names none. */
    public static Generation parse(String label) {
        for (Generation g : values()) {
            if (g.label.equals(label)) {
                return g;
            }
        }
        return null;
    }

    @Override
    public String toString() {
        return label;
    }
}
