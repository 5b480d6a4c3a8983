package io.multiuser.server.security;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Which peer addresses may connect to a session: an allow list and a deny list of
 * {@link CidrRange}s. The deny list wins; an empty allow list allows every address the deny list
 * does not name. Immutable, so one instance can be read by any thread.
 *
 * @param allow the ranges allowed in; empty: every address
 * @param deny the ranges kept out, even when the allow list names them too
 */
public record AddressPolicy(List<CidrRange> allow, List<CidrRange> deny) {

    /** No lists: every address may connect. */
    public static final AddressPolicy ALLOW_ALL = new AddressPolicy(List.of(), List.of());

    /** How many ranges of a list {@link #refusal} names before it says "and N more". */
    private static final int RANGES_NAMED = 5;

    public AddressPolicy {
        allow = List.copyOf(allow);
        deny = List.copyOf(deny);
    }

    /**
     * Reads two comma-separated lists of ranges ({@code "10.0.0.0/8, 192.168.1.7, 2001:db8::/32"});
     * null or blank is an empty list, and blank entries (a trailing comma) are skipped.
     *
     * @throws IllegalArgumentException naming every bad entry and the list it is in
     */
    public static AddressPolicy parse(String allowCsv, String denyCsv) {
        List<String> problems = new ArrayList<>();
        List<CidrRange> allow = parseList("allow", allowCsv, problems);
        List<CidrRange> deny = parseList("deny", denyCsv, problems);
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException(String.join("; ", problems));
        }
        return new AddressPolicy(allow, deny);
    }

    private static List<CidrRange> parseList(String name, String csv, List<String> problems) {
        List<CidrRange> ranges = new ArrayList<>();
        if (csv == null) {
            return ranges;
        }
        for (String entry : csv.split(",", -1)) {
            if (entry.isBlank()) {
                continue;
            }
            try {
                ranges.add(CidrRange.parse(entry));
            } catch (IllegalArgumentException e) {
                problems.add(name + " list: " + e.getMessage());
            }
        }
        return ranges;
    }

    /** Whether every address may connect (both lists empty). */
    public boolean allowsAll() {
        return allow.isEmpty() && deny.isEmpty();
    }

    /** Whether {@code address} may connect. */
    public boolean permits(InetAddress address) {
        return refusal(address).isEmpty();
    }

    /**
     * Why {@code address} may not connect ({@code "in the deny list (10.9.0.0/16)"}, {@code "not in
     * the allow list (10.0.0.0/8)"}), or empty when it may.
     */
    public Optional<String> refusal(InetAddress address) {
        if (allowsAll()) {
            return Optional.empty();
        }
        for (CidrRange range : deny) {
            if (range.contains(address)) {
                return Optional.of("in the deny list (" + range + ")");
            }
        }
        if (allow.isEmpty()) {
            return Optional.empty();
        }
        for (CidrRange range : allow) {
            if (range.contains(address)) {
                return Optional.empty();
            }
        }
        return Optional.of("not in the allow list (" + named(allow) + ")");
    }

    /** {@code allow all}, {@code allow 10.0.0.0/8, ::1; deny 10.9.0.0/16}, {@code allow all but deny 192.0.2.0/24}. */
    @Override
    public String toString() {
        if (allowsAll()) {
            return "allow all";
        }
        String allowed = allow.isEmpty() ? "allow all" : "allow " + list(allow);
        return deny.isEmpty() ? allowed : allowed + (allow.isEmpty() ? " but deny " : "; deny ") + list(deny);
    }

    private static String list(List<CidrRange> ranges) {
        return ranges.stream().map(CidrRange::toString).collect(Collectors.joining(", "));
    }

    private static String named(List<CidrRange> ranges) {
        if (ranges.size() <= RANGES_NAMED) {
            return list(ranges);
        }
        return list(ranges.subList(0, RANGES_NAMED)) + " and " + (ranges.size() - RANGES_NAMED) + " more";
    }
}
