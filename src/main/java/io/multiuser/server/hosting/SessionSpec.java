package io.multiuser.server.hosting;

import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;
import java.util.regex.Pattern;

import io.multiuser.server.protocol.Generation;
import io.multiuser.server.security.AddressPolicy;

/**
 * What defines one hosted session: its name, its block of ports, its protocol, who may log in
 * and its limits. Configuration ({@code multiuser.*}, {@code multiuser.sessions."NAME".*}) and
 * the admin API both produce these; {@link #problems} checks one the same way for both.
 *
 * @param port base port P (0: the server picks a free block)
 * @param sessionPassword empty for a public session (0.9 only)
 * @param acceptedVersions client versions let in; empty lets every version in
 * @param maxUsers 0 for no limit
 * @param maxSceneBytes 0 for no limit
 * @param allow address ranges that may connect, comma-separated ({@link AddressPolicy}); empty: all
 * @param deny address ranges that may not connect, comma-separated; empty: none
 */
public record SessionSpec(String name, int port, Generation generation, String adminPassword, String sessionPassword,
        long timeoutMillis, List<String> acceptedVersions, int maxUsers, long maxSceneBytes, String allow, String deny,
        Origin origin) {

    /** The session the single-session settings and the original flags define. */
    public static final String DEFAULT = "default";

    private static final Pattern NAME = Pattern.compile("[a-z0-9-]{1,40}");

    /** Where a session comes from: the configuration (every start) or an admin at run time (remembered). */
    public enum Origin { CONFIGURATION, RUNTIME }

    public SessionSpec {
        acceptedVersions = List.copyOf(acceptedVersions);
        sessionPassword = sessionPassword == null ? "" : sessionPassword;
        allow = allow == null ? "" : allow.strip();
        deny = deny == null ? "" : deny.strip();
    }

    /** The address lists as a policy; the spec must be valid ({@link #problems}). */
    public AddressPolicy addressPolicy() {
        return AddressPolicy.parse(allow, deny);
    }

    /** The same session with other address lists. */
    public SessionSpec withNetwork(String allowed, String denied) {
        return new SessionSpec(name, port, generation, adminPassword, sessionPassword, timeoutMillis, acceptedVersions,
                maxUsers, maxSceneBytes, allowed, denied, origin);
    }

    public static boolean validName(String name) {
        return name != null && NAME.matcher(name).matches();
    }

    /** The last port of the block: P+3 (0.1) or P+2 (0.9). */
    public int lastPort() {
        return port + generation.portCount() - 1;
    }

    public SessionSpec withPort(int base) {
        return new SessionSpec(name, base, generation, adminPassword, sessionPassword, timeoutMillis, acceptedVersions,
                maxUsers, maxSceneBytes, allow, deny, origin);
    }

    /** True when the two blocks share a port (both must have a base port). */
    public boolean overlaps(SessionSpec other) {
        return port != 0 && other.port != 0 && port <= other.lastPort() && other.port <= lastPort();
    }

    public String ports() {
        return port == 0 ? "any free ports" : port + "-" + lastPort();
    }

    /**
     * What is wrong with this spec, one sentence each; {@code key} turns a field name
     * ({@code port}, {@code sessionPassword}) into the name the admin wrote it under.
     */
    public List<String> problems(UnaryOperator<String> key) {
        List<String> problems = new ArrayList<>();
        if (!validName(name)) {
            problems.add("session name '" + shown(name) + "' is not valid: use 1 to 40 characters a-z, 0-9 and '-'");
        }
        int last = generation.portCount() - 1;
        if (port < 0 || port + last > 65535) {
            problems.add(key.apply("port") + "=" + port + " is out of range: protocol " + generation.label()
                    + " uses P..P+" + last + ", so the base port must be between 1 and " + (65535 - last)
                    + " (or 0 for a free block)");
        }
        if (adminPassword == null || adminPassword.isEmpty()) {
            problems.add(key.apply("password") + " is empty: set an admin password");
        }
        if (!sessionPassword.isEmpty() && generation == Generation.V01) {
            problems.add(key.apply("sessionPassword") + " applies to protocol 0.9 only: leave it out or use"
                    + " protocol 0.9");
        }
        if (timeoutMillis <= 0) {
            problems.add(key.apply("timeout") + "=" + timeoutMillis
                    + " must be a positive number of milliseconds (heartbeat timeout)");
        }
        if (maxUsers < 0) {
            problems.add(key.apply("maxUsers") + "=" + maxUsers + " must be 0 (no limit) or more");
        }
        if (maxSceneBytes < 0) {
            problems.add(key.apply("maxSceneBytes") + "=" + maxSceneBytes + " must be 0 (no limit) or more");
        }
        try {
            AddressPolicy.parse(allow, deny);
        } catch (IllegalArgumentException e) {
            problems.add(key.apply("allow") + "/" + key.apply("deny") + ": " + e.getMessage());
        }
        if (acceptedVersions.stream().anyMatch(v -> v.isBlank())) {
            problems.add(key.apply("acceptedVersions") + " contains an empty entry");
        }
        return problems;
    }

    /** A value as quoted in a message: control characters (a stray line break) would split the line. */
    public static String shown(String value) {
        return value == null ? "" : value.replaceAll("\\p{Cntrl}", "?");
    }

    @Override
    public String toString() { // never the passwords
        return "SessionSpec[" + name + ", ports " + ports() + ", protocol " + generation.label() + "]";
    }
}
