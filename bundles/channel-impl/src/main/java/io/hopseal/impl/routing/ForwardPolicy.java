package io.hopseal.impl.routing;

import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

import io.hopseal.api.routing.Address;
import io.hopseal.api.routing.ForwardPattern;

/**
 * Where a node may forward messages that came in from a link: a list of {@link ForwardPattern destination patterns}
 * (the router's {@code forward.allow}, or a listener's). Immutable; {@link #allows(Address)} is called for every such
 * message and allocates little (verdicts are cached). Syntax and matching rules: {@link ForwardPattern}.
 */
public final class ForwardPolicy {
    /** The configuration field the router reads (for messages). */
    public static final String FIELD = "forward.allow";

    /** Forwards nothing that came in from a link: the gateway's default. */
    public static final ForwardPolicy DENY_ALL = new ForwardPolicy(List.of(), false);
    /** Forwards everything (a plain-Java router that was given no policy, as before there was one). */
    public static final ForwardPolicy UNRESTRICTED = new ForwardPolicy(List.of(), true);

    /** Verdicts already reached (the policy is immutable): a forwarding gateway checks few destinations, often. */
    static final int MAX_CACHED = 4096;

    private final List<ForwardPattern> entries;
    private final boolean unrestricted;
    private final ConcurrentHashMap<Address, Boolean> verdicts = new ConcurrentHashMap<>();

    private ForwardPolicy(List<ForwardPattern> entries, boolean unrestricted) {
        this.entries = entries;
        this.unrestricted = unrestricted;
    }

    /** Parses entries as {@link #FIELD}. @throws IllegalArgumentException naming the field and the bad entry */
    public static ForwardPolicy parse(String... entries) {
        return parse(FIELD, entries == null ? List.of() : List.of(entries));
    }

    /**
     * Parses entries (null and blank ones ignored; an entry may hold several separated by commas or white space).
     *
     * @param field the configuration field, for messages
     * @throws IllegalArgumentException naming {@code field} and the first bad entry, and why
     */
    public static ForwardPolicy parse(String field, Collection<String> entries) {
        return of(ForwardPattern.parseList(field, entries));
    }

    /** The policy of already parsed patterns (none: {@link #DENY_ALL}). */
    public static ForwardPolicy of(List<ForwardPattern> patterns) {
        return patterns.isEmpty() ? DENY_ALL : new ForwardPolicy(List.copyOf(patterns), false);
    }

    /** Whether a message from a link may be forwarded to {@code destination} (a non-local address). */
    public boolean allows(Address destination) {
        if (unrestricted) {
            return true;
        }
        if (entries.isEmpty() || destination.isLocal()) {
            return false;
        }
        Boolean known = verdicts.get(destination);
        if (known != null) {
            return known;
        }
        boolean verdict = ForwardPattern.anyMatches(entries, destination);
        if (verdicts.size() >= MAX_CACHED) {
            verdicts.clear(); // many distinct destinations (a scan): start over rather than grow
        }
        verdicts.put(destination, verdict);
        return verdict;
    }

    /** The patterns in their canonical text, e.g. {@code tcp:10.0.0.5:4000}. */
    public List<String> patterns() {
        return entries.stream().map(ForwardPattern::toString).toList();
    }

    public boolean isUnrestricted() {
        return unrestricted;
    }

    /** Whether it denies everything. */
    public boolean isEmpty() {
        return !unrestricted && entries.isEmpty();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ForwardPolicy p && p.unrestricted == unrestricted && p.entries.equals(entries);
    }

    @Override
    public int hashCode() {
        return Objects.hash(unrestricted, entries);
    }

    @Override
    public String toString() {
        return unrestricted ? "forward anything" : entries.isEmpty() ? "forward nothing from links" : "forward from links to "
                + String.join(", ", patterns());
    }
}
