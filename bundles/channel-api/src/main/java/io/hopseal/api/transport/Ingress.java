package io.hopseal.api.transport;

import java.util.List;
import java.util.Objects;
import java.util.Set;

import io.hopseal.api.routing.ForwardPattern;

/**
 * Where a received message came in (a TCP listener, a serial port, a radio) and what the operator opened there: the
 * local services answered without a secure channel through it, and where messages from it may be forwarded. A
 * transport hands it to {@link InboundSink#deliver(Message, Ingress)} with every message that came in through it;
 * the router applies it to that message only. Immutable; a transport keeps one per listener and hands the same
 * instance with every message (a new one after a configuration change).
 *
 * @param name          what the operator calls it, for logs: e.g. {@code tcp listener 0.0.0.0:4000},
 *                      {@code serial /dev/ttyUSB0}, {@code lora}
 * @param plainServices local service names (as in {@code /service/<name>}) answered without a secure channel through
 *                      this ingress even when the service takes only secure channels elsewhere; empty: none
 * @param forwardAllow  where messages from this ingress may be forwarded, used instead of the router's list; empty:
 *                      the router's list applies
 * @since 2.2
 */
public record Ingress(String name, Set<String> plainServices, List<ForwardPattern> forwardAllow) {
    /** The configuration field of {@link #plainServices()} on every transport. */
    public static final String PLAIN_SERVICES = "plain.services";
    /** The configuration field of {@link #forwardAllow()} on every transport. */
    public static final String FORWARD_ALLOW = "forward.allow";
    private static final java.util.regex.Pattern SERVICE_NAME = java.util.regex.Pattern.compile("[A-Za-z0-9._-]{1,64}");

    public Ingress {
        Objects.requireNonNull(name, "name");
        plainServices = Set.copyOf(plainServices);
        forwardAllow = List.copyOf(forwardAllow);
    }

    /** An ingress that opens nothing: plain messages reach only services open everywhere; the router's list applies. */
    public static Ingress named(String name) {
        return new Ingress(name, Set.of(), List.of());
    }

    /**
     * Checks the two fields as a transport's configuration holds them and makes the ingress.
     *
     * @param plainServices entries of {@value #PLAIN_SERVICES} (service names; commas or white space also separate)
     * @param forwardAllow  entries of {@value #FORWARD_ALLOW} ({@link ForwardPattern} syntax)
     * @throws IllegalArgumentException naming the field and its first bad entry
     */
    public static Ingress parse(String name, Iterable<String> plainServices, Iterable<String> forwardAllow) {
        Set<String> services = new java.util.TreeSet<>();
        if (plainServices != null) {
            for (String e : plainServices) {
                if (e == null) {
                    continue;
                }
                for (String one : e.split("[,\\s]+")) {
                    if (one.isEmpty()) {
                        continue;
                    }
                    if (!SERVICE_NAME.matcher(one).matches()) {
                        throw new IllegalArgumentException(PLAIN_SERVICES + ": '"
                                + (one.length() > 64 ? one.substring(0, 64) + "..." : one) + "' is no service name (1 "
                                + "to 64 letters, digits, '.', '_' or '-', as in /service/<name>, e.g. echo)");
                    }
                    services.add(one);
                }
            }
        }
        List<String> allow = new java.util.ArrayList<>();
        if (forwardAllow != null) {
            forwardAllow.forEach(allow::add);
        }
        return new Ingress(name, services, ForwardPattern.parseList(FORWARD_ALLOW, allow));
    }

    /** Whether plain messages to the local service {@code service} are answered through this ingress. */
    public boolean opens(String service) {
        return plainServices.contains(service);
    }

    @Override
    public String toString() {
        return name + (plainServices.isEmpty() ? "" : ", plain " + plainServices)
                + (forwardAllow.isEmpty() ? "" : ", forward to " + forwardAllow);
    }
}
