package io.hopseal.impl.access;

import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The access-control policies of a node's services, by service name, and the decisions made with them. Thread-safe:
 * {@link #check} runs per message on any thread and neither locks nor allocates; changes ({@link #set},
 * {@link #remove}, {@link #replaceAll}) are rare and publish a new immutable table atomically.
 *
 * <p>Decisions:
 * <ul>
 * <li>a service without a policy: allowed, reason {@code no policy} (not counted);</li>
 * <li>a service with a policy and the anonymous subject (a message that did not come through a secure channel):
 * <strong>denied</strong>, reason {@code denied: no authenticated subject} (default deny);</li>
 * <li>otherwise the policy decides: {@code allowed by policy} or
 * {@code denied: subject does not satisfy <policy text>}.</li>
 * </ul>
 *
 * <p>Each service that has (or had) a policy has two counters, {@code <service>.allowed} and
 * {@code <service>.denied}; they survive policy changes and removal. Services without a policy are not counted, so
 * message senders cannot grow the counter table. A denial is logged at DEBUG with the service, the subject's
 * identifier and the reason; attribute values are never logged.
 */
public final class AccessControl {
    private static final Logger LOG = LoggerFactory.getLogger(AccessControl.class);

    /** The outcome of {@link #check}: whether to deliver, and why (for logs and status pages). */
    public record Decision(boolean allowed, String reason) {
        public Decision {
            Objects.requireNonNull(reason, "reason");
        }
    }

    public static final Decision NO_POLICY = new Decision(true, "no policy");
    public static final Decision ALLOWED_BY_POLICY = new Decision(true, "allowed by policy");
    public static final Decision NO_AUTHENTICATED_SUBJECT = new Decision(false, "denied: no authenticated subject");

    private static final class ServiceCounters {
        final LongAdder allowed = new LongAdder();
        final LongAdder denied = new LongAdder();
    }

    /** A policy with its pre-built denial and its service's counters, so that a check allocates nothing. */
    private static final class Entry {
        final Policy policy;
        final Decision denied;
        final ServiceCounters counters;

        Entry(Policy policy, ServiceCounters counters) {
            this.policy = policy;
            this.denied = new Decision(false, "denied: subject does not satisfy " + policy.text());
            this.counters = counters;
        }
    }

    /**
     * A forwarding rule: authenticated peers that satisfy {@code policy} may have this node forward what they send
     * through a secure channel ending here to destinations matching {@code destination}.
     */
    public record ForwardRule(io.hopseal.api.routing.ForwardPattern destination, Policy policy) {
        public ForwardRule {
            Objects.requireNonNull(destination, "destination");
            Objects.requireNonNull(policy, "policy");
        }

        @Override
        public String toString() {
            return destination + "=" + policy.text();
        }
    }

    public static final Decision NO_FORWARD_RULE = new Decision(false, "denied: no forwarding rule for the destination");
    public static final Decision FORWARD_NOT_SATISFIED = new Decision(false,
            "denied: subject satisfies no forwarding rule for the destination");

    private volatile java.util.List<ForwardRule> forwardRules = java.util.List.of();
    private final Object writeLock = new Object();
    private volatile Map<String, Entry> entries = Map.of();
    private final ConcurrentHashMap<String, ServiceCounters> counters = new ConcurrentHashMap<>();

    /** Sets (or replaces) the policy of a service. */
    public void set(String serviceName, Policy policy) {
        checkName(serviceName);
        Objects.requireNonNull(policy, "policy");
        synchronized (writeLock) {
            Map<String, Entry> next = new HashMap<>(entries);
            next.put(serviceName, entry(serviceName, policy));
            entries = Map.copyOf(next);
        }
    }

    /** Removes a service's policy (the service is then open to every subject); returns the removed policy. */
    public Optional<Policy> remove(String serviceName) {
        Objects.requireNonNull(serviceName, "serviceName");
        synchronized (writeLock) {
            Entry old = entries.get(serviceName);
            if (old == null) {
                return Optional.empty();
            }
            Map<String, Entry> next = new HashMap<>(entries);
            next.remove(serviceName);
            entries = Map.copyOf(next);
            return Optional.of(old.policy);
        }
    }

    /**
     * Replaces every policy at once (e.g. from a new configuration): services not in {@code policies} lose theirs.
     * Checks never see a mix of the old and the new set.
     */
    public void replaceAll(Map<String, Policy> policies) {
        Objects.requireNonNull(policies, "policies");
        Map<String, Policy> copy = new HashMap<>(policies);
        copy.forEach((name, policy) -> {
            checkName(name);
            Objects.requireNonNull(policy, () -> "policy for service '" + name + "'");
        });
        synchronized (writeLock) {
            Map<String, Entry> next = new HashMap<>();
            copy.forEach((name, policy) -> next.put(name, entry(name, policy)));
            entries = Map.copyOf(next);
        }
    }

    /** Replaces every forwarding rule at once (an empty list: none, authenticated senders get no exemption). */
    public void replaceForwardRules(java.util.List<ForwardRule> rules) {
        forwardRules = java.util.List.copyOf(rules);
    }

    /** The forwarding rules in force. */
    public java.util.List<ForwardRule> forwardRules() {
        return forwardRules;
    }

    /** Whether any forwarding rule exists (when none does, the router builds no subject). */
    public boolean hasForwardRules() {
        return !forwardRules.isEmpty();
    }

    /**
     * Whether this node may forward a message {@code subject} sent through a secure channel ending here to
     * {@code destination}: some rule whose pattern matches the destination has a policy the subject satisfies.
     * The anonymous subject is never allowed (default deny).
     */
    public Decision checkForward(io.hopseal.api.routing.Address destination, Subject subject) {
        Objects.requireNonNull(destination, "destination");
        if (subject == null || subject.isAnonymous()) {
            return NO_AUTHENTICATED_SUBJECT;
        }
        boolean matched = false;
        for (ForwardRule r : forwardRules) {
            if (r.destination().matches(destination)) {
                matched = true;
                if (r.policy().allows(subject)) {
                    return ALLOWED_BY_POLICY;
                }
            }
        }
        return matched ? FORWARD_NOT_SATISFIED : NO_FORWARD_RULE;
    }

    /** Whether any service has a policy (when none has, no check needs a service name). */
    public boolean hasPolicies() {
        return !entries.isEmpty();
    }

    /** The policy of a service, if it has one. */
    public Optional<Policy> policyFor(String serviceName) {
        Objects.requireNonNull(serviceName, "serviceName");
        Entry e = entries.get(serviceName);
        return e == null ? Optional.empty() : Optional.of(e.policy);
    }

    /** A sorted snapshot of every service's policy. */
    public Map<String, Policy> policies() {
        Map<String, Policy> m = new TreeMap<>();
        entries.forEach((name, e) -> m.put(name, e.policy));
        return java.util.Collections.unmodifiableMap(m);
    }

    /**
     * Decides whether a message from {@code subject} may be delivered to {@code serviceName}, and counts the
     * decision. A {@code null} subject is treated as anonymous.
     */
    public Decision check(String serviceName, Subject subject) {
        Objects.requireNonNull(serviceName, "serviceName");
        Entry e = entries.get(serviceName);
        if (e == null) {
            return NO_POLICY;
        }
        if (subject == null || subject.isAnonymous()) {
            return deny(serviceName, e, null, NO_AUTHENTICATED_SUBJECT);
        }
        if (e.policy.allows(subject)) {
            e.counters.allowed.increment();
            return ALLOWED_BY_POLICY;
        }
        return deny(serviceName, e, subject.identifier(), e.denied);
    }

    private static Decision deny(String serviceName, Entry e, String identifier, Decision d) {
        e.counters.denied.increment();
        if (LOG.isDebugEnabled()) {
            LOG.debug("access to service '{}' by {}: {}", serviceName,
                    identifier == null ? "anonymous subject" : identifier, d.reason());
        }
        return d;
    }

    /** A sorted snapshot: {@code <service>.allowed} and {@code <service>.denied} per service that has had a policy. */
    public Map<String, Long> counters() {
        Map<String, Long> m = new TreeMap<>();
        counters.forEach((name, c) -> {
            m.put(name + ".allowed", c.allowed.sum());
            m.put(name + ".denied", c.denied.sum());
        });
        return java.util.Collections.unmodifiableMap(m);
    }

    private Entry entry(String serviceName, Policy policy) {
        return new Entry(policy, counters.computeIfAbsent(serviceName, k -> new ServiceCounters()));
    }

    private static void checkName(String serviceName) {
        Objects.requireNonNull(serviceName, "serviceName");
        if (serviceName.isBlank()) {
            throw new IllegalArgumentException("service name is blank");
        }
    }
}
