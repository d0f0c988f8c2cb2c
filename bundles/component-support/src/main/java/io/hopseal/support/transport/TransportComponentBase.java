package io.hopseal.support.transport;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicReference;

import io.hopseal.api.routing.Address;
import io.hopseal.api.routing.Message;
import io.hopseal.api.routing.SendResult;
import io.hopseal.api.transport.Counters;
import io.hopseal.api.transport.InboundPort;
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

    /** What this component counts itself: {@value #DROP_STOPPED} and the inbound port's drops. */
    private final Counters counters = new Counters(DROP_STOPPED);
    /** The one inbound port of the component's life: every transport it runs delivers through it. */
    private final InboundPort inbound = new InboundPort(counters);
    private final AtomicReference<T> running = new AtomicReference<>();

    /** The port to hand to every transport this component starts. */
    protected final InboundPort inbound() {
        return inbound;
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
