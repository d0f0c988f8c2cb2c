package io.hopseal.api.transport;

import io.hopseal.api.routing.Message;
import io.hopseal.api.routing.SendResult;

/**
 * A transport's side of {@link Transport#attach}/{@link Transport#detach}: holds the attached {@link InboundSink} and
 * delivers to it. While none is attached (no router yet, or the router's bundle is being updated) a delivery is
 * dropped and counted as {@code drop.no_router}; a sink that throws is counted as {@code drop.router_exception} and
 * never reaches the transport's reader. Thread-safe; one per transport, shared by its links and kept across
 * reconfigurations so an attached router stays attached.
 */
public final class InboundPort {
    /** Counted when a message arrives while no sink is attached. */
    public static final String DROP_NO_ROUTER = "drop.no_router";
    /** Counted when the attached sink threw. */
    public static final String DROP_ROUTER_EXCEPTION = "drop.router_exception";

    private final Counters counters;
    private volatile InboundSink sink;
    /** Where messages delivered without an ingress of their own came in (null: not named). */
    private volatile Ingress ingress;

    /** @param counters where drops are counted (the transport's own) */
    public InboundPort(Counters counters) {
        this.counters = java.util.Objects.requireNonNull(counters, "counters");
        counters.add(DROP_NO_ROUTER, 0);
    }

    public synchronized void attach(InboundSink s) {
        this.sink = java.util.Objects.requireNonNull(s, "sink");
    }

    public synchronized void detach(InboundSink s) {
        if (sink == s) {
            sink = null;
        }
    }

    public boolean attached() {
        return sink != null;
    }

    /**
     * Names where the messages this port delivers came in, for those delivered without an ingress of their own: a
     * transport with one "listener" (a radio, a set of serial ports) sets its configuration's here. Applies to the next
     * message; null: not named (the router's defaults).
     *
     * @since 2.2
     */
    public void ingress(Ingress in) {
        this.ingress = in;
    }

    /** See {@link #ingress(Ingress)}. @since 2.2 */
    public Ingress ingress() {
        return ingress;
    }

    /** Delivers to the attached sink (with this port's {@link #ingress() ingress}, if named); never throws. */
    public SendResult deliver(Message message) {
        return deliver(message, null);
    }

    /**
     * Delivers to the attached sink a message that came in through {@code ingress} (see
     * {@link InboundSink#deliver(Message, Ingress)}; null: this port's {@link #ingress() ingress}); never throws.
     *
     * @since 2.2
     */
    public SendResult deliver(Message message, Ingress in) {
        return deliver(message, in, null);
    }

    /**
     * Delivers a message whose array is lent ({@link InboundSink#deliver(Message, Ingress, FrameRelease)}): the sink
     * calls {@code release} once nobody will read the array again, or never. While no sink is attached the message
     * is dropped ({@code DROPPED_STOPPED}) unseen and {@code release} is not called: the array is still the transport's.
     * A sink that throws may have handed the array on: it is not released then, and not the transport's any more.
     * Never throws.
     *
     * @param in      where it came in; null: this port's {@link #ingress() ingress}
     * @param release how to give the array back; null: not lent (as {@link #deliver(Message, Ingress)})
     * @since 2.4
     */
    public SendResult deliver(Message message, Ingress in, FrameRelease release) {
        Ingress ingress = in != null ? in : this.ingress;
        InboundSink s = sink;
        if (s == null) {
            counters.increment(DROP_NO_ROUTER);
            return SendResult.DROPPED_STOPPED;
        }
        try {
            SendResult r = release != null ? s.deliver(message, ingress, release)
                    : ingress == null ? s.deliver(message) : s.deliver(message, ingress);
            return r == null ? SendResult.DROPPED_STOPPED : r;
        } catch (RuntimeException | LinkageError e) { // NOPMD: a router being swapped out must not end a link
            counters.increment(DROP_ROUTER_EXCEPTION);
            return SendResult.DROPPED_WORKER_FAILED;
        }
    }

    /**
     * Tells the attached sink that a message accepted earlier cannot be delivered ({@link InboundSink#undeliverable});
     * nothing happens while none is attached. Never throws.
     *
     * @since 2.1
     */
    public void undeliverable(io.hopseal.api.routing.Address nextHop, Message message,
                              io.hopseal.api.routing.RouteError.Reason reason) {
        InboundSink s = sink;
        if (s == null) {
            return;
        }
        try {
            s.undeliverable(nextHop, message, reason);
        } catch (RuntimeException | LinkageError e) { // NOPMD: as deliver
            counters.increment(DROP_ROUTER_EXCEPTION);
        }
    }
}
