package io.hopseal.support.transport;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicReference;

import io.hopseal.api.routing.Address;
import io.hopseal.api.routing.Message;
import io.hopseal.api.routing.SendResult;
import io.hopseal.api.transport.Counters;
import io.hopseal.api.transport.FrameRelease;
import io.hopseal.api.transport.InboundPort;
import io.hopseal.api.transport.Ingress;
import io.hopseal.api.transport.InboundSink;
import io.hopseal.api.transport.Transport;

/**
 * The {@link Transport} service side of a transport's DS component: the component registers itself (a subclass) as the
 * service, and everything a router calls is delegated here to the transport the component runs at the moment.
 *
 * <p>The component keeps one {@link InboundPort} for its whole life ({@link #inbound()}); it hands that port to every
 * transport it starts, so a router attached to the service stays attached whatever transport runs behind it, and with
 * none attached the links stay up while what arrives is counted ({@code drop.no_router}) and dropped. While no
 * transport runs (before activation, after deactivation, or while a port cannot be bound) a send is refused as
 * {@link SendResult#DROPPED_STOPPED} and counted as {@value #DROP_STOPPED}.
 *
 * <p>A subclass gives {@link #addressType()} and {@link #name()}, starts its transport with {@link #inbound()},
 * publishes it with {@link #run(Transport)} and takes it back with {@link #run(Transport) run(null)}, closing what
 * either returns. It may override {@link #linkHeadroom()} (a constant of its framing) and {@link #notRunningStatus()}.
 *
 * @param <T> the transport the component runs
 */
public abstract class TransportComponentBase<T extends Transport> implements Transport {
    /** Counted when a send finds no transport running. */
    public static final String DROP_STOPPED = "drop.stopped";

    /** Label of a transport's {@value Ingress#PLAIN_SERVICES} field (metatype). */
    public static final String PLAIN_SERVICES_NAME = "Services without a channel";
    /** Description of a transport's {@value Ingress#PLAIN_SERVICES} field (metatype). */
    public static final String PLAIN_SERVICES_DESCRIPTION = "Local services (names as in /service/<name>, e.g. echo, "
            + "revocations) that answer plain messages, without a secure channel, that come in through this transport. "
            + "Empty (the default): none; a service whose own 'Secure channels only' switch is off answers through "
            + "every transport anyway. Anyone who reaches this transport can use the services listed here "
            + "unauthenticated.";
    /** Label of a transport's {@value Ingress#FORWARD_ALLOW} field (metatype). */
    public static final String FORWARD_ALLOW_NAME = "Allowed forwarding destinations";
    /** Description of a transport's {@value Ingress#FORWARD_ALLOW} field (metatype). */
    public static final String FORWARD_ALLOW_DESCRIPTION = "Where messages that come in through this transport may be "
            + "forwarded, used instead of the router's list (Hopseal router > Allowed forwarding destinations) for "
            + "them: patterns such as tcp:10.0.0.5:4000, tcp:*.backend.example:5000, serial:*. Empty (the default): "
            + "the router's list applies. Syntax: docs/security.md.";

    /** What this component counts itself: {@value #DROP_STOPPED} and the inbound port's drops. */
    private final Counters counters = new Counters(DROP_STOPPED);
    /** The one inbound port of the component's life: every transport it runs delivers through it. */
    private final InboundPort inbound = new InboundPort(counters);
    private final AtomicReference<T> running = new AtomicReference<>();

    /** The port to hand to every transport this component starts. */
    protected final InboundPort inbound() {
        return inbound;
    }

    /**
     * The ingress a transport's configuration names (its {@value Ingress#PLAIN_SERVICES} and
     * {@value Ingress#FORWARD_ALLOW} fields): what its messages may reach without a channel and where they may be
     * forwarded.
     *
     * @throws io.hopseal.support.InvalidFieldException naming the field and its first bad entry
     */
    public static Ingress ingressOf(String name, String[] plainServices, String[] forwardAllow) {
        try {
            return Ingress.parse(name, plainServices == null ? java.util.List.of() : java.util.Arrays.asList(plainServices),
                    forwardAllow == null ? java.util.List.of() : java.util.Arrays.asList(forwardAllow));
        } catch (IllegalArgumentException e) {
            String m = String.valueOf(e.getMessage());
            for (String field : new String[] {Ingress.PLAIN_SERVICES, Ingress.FORWARD_ALLOW}) {
                if (m.startsWith(field + ": ")) {
                    throw new io.hopseal.support.InvalidFieldException(field, m.substring(field.length() + 2));
                }
            }
            throw e;
        }
    }

    /**
     * Makes {@code in} the ingress of every message the running transport (and any later one) delivers; applies to the
     * next message.
     */
    protected final void ingress(Ingress in) {
        inbound.ingress(in);
    }

    /** The ingress in force (null: none named). */
    public final Ingress ingress() {
        return inbound.ingress();
    }

    /** The running transport, or null while none runs. */
    protected final T running() {
        return running.get();
    }

    /**
     * Makes {@code t} the running transport (null: none) and returns the one it replaces, for the caller to close.
     */
    protected final T run(T t) {
        return running.getAndSet(t);
    }

    /** The status shown while no transport runs. */
    protected String notRunningStatus() {
        return name() + ": not active";
    }

    @Override
    public final void attach(InboundSink sink) {
        inbound.attach(sink);
    }

    @Override
    public final void detach(InboundSink sink) {
        inbound.detach(sink);
    }

    /** Whether a sink (a router) is attached. */
    public final boolean attached() {
        return inbound.attached();
    }

    @Override
    public final SendResult send(Address nextHop, Message message) {
        T t = running.get();
        if (t == null) {
            counters.increment(DROP_STOPPED);
            return SendResult.DROPPED_STOPPED;
        }
        return t.send(nextHop, message);
    }

    /**
     * A lent frame goes to the running transport with its release (a transport that writes it in place gives the array
     * back to the sender's pool once written); with none running the frame is refused and released at once, as a
     * refusing transport must.
     */
    @Override
    public final SendResult send(Address nextHop, Message message, FrameRelease release) {
        T t = running.get();
        if (t == null) {
            counters.increment(DROP_STOPPED);
            release.release();
            return SendResult.DROPPED_STOPPED;
        }
        return t.send(nextHop, message, release);
    }

    /** The running transport's counters, plus what this component counted itself. */
    @Override
    public final Map<String, Long> counters() {
        T t = running.get();
        Map<String, Long> all = t == null ? new TreeMap<>() : new TreeMap<>(t.counters());
        counters.addTo(all);
        return all;
    }

    @Override
    public final String status() {
        T t = running.get();
        return t == null ? notRunningStatus() : t.status();
    }
}
