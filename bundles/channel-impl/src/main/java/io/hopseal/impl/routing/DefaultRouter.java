package io.hopseal.impl.routing;

import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.hopseal.api.routing.Address;
import io.hopseal.api.routing.BorrowingWorker;
import io.hopseal.api.routing.Message;
import io.hopseal.api.routing.Registration;
import io.hopseal.api.routing.Router;
import io.hopseal.api.routing.SendResult;
import io.hopseal.api.routing.Route;
import io.hopseal.api.routing.Worker;
import io.hopseal.api.routing.WorkerContext;
import io.hopseal.api.transport.Counters;
import io.hopseal.api.transport.Envelope;
import io.hopseal.api.transport.FrameRelease;
import io.hopseal.api.transport.InboundSink;
import io.hopseal.api.transport.Ingress;
import io.hopseal.api.transport.Transport;

/**
 * The router: local delivery to workers, hand-off to transports. Synchronous: a worker runs on the sender's thread, so
 * workers must be quick and must not hold locks while sending (see the channel endpoints).
 *
 * <p>Transports are bound with {@link #attach(Transport)}: the router becomes the transport's inbound sink. The sink
 * is one object for the router's life, so a transport detached and attached again (a bundle refresh) is handed the
 * same sink.
 *
 * <h2>Forwarding policy</h2>
 * A message that came in from a link (delivered through the inbound sink, or sent with a return route that starts with
 * a non-local address: the neighbour a transport prepended) and whose next hop is on a link again would be
 * <em>forwarded</em>. It is forwarded only if the
 * {@link ForwardPolicy} allows its next hop, or if it travels back along a flow an allowed message opened
 * ({@link ForwardFlows}: a backend's replies to the device that wrote to it). Everything else is dropped before any
 * transport sees it (no connection is dialed), as {@link SendResult#DROPPED_FORWARD_DENIED}, counted
 * ({@code drop.forward_denied}) and logged at most once a minute with a count, never with a payload.
 *
 * <p>Where a message came in ({@link Ingress}, handed by the transport with it) counts too: a listener with its own
 * {@code forward.allow} is checked against that list instead of the router's, and a service that takes only secure
 * channels ({@link SecureChannelOnly}) takes plain messages that came in through an ingress listing it in
 * {@code plain.services}. What comes out of a secure channel ending here (a message with a
 * {@link Message#securePeer()}) and goes on to a link is forwarded when the router's list allows the destination, when
 * an access-control forwarding rule allows that peer the destination
 * ({@link io.hopseal.impl.access.AccessControl#checkForward}), or when it goes back to the neighbour whose message a
 * local worker (a relay's forwarder) passed into that channel (a flow, as above). Messages of local workers (return
 * route empty or starting at a local address, no secure peer: the node's own services, the ciphertext of its
 * channels) are not restricted. A router built with {@code new DefaultRouter()} forwards everything ({@link ForwardPolicy#UNRESTRICTED}, for
 * plain-Java embedding and tests) until {@link #setForwardPolicy} is called; the gateway's router component always
 * sets a policy, deny-all by default.
 */
public final class DefaultRouter implements Router {
    private static final Logger LOG = LoggerFactory.getLogger(DefaultRouter.class);
    /** Local hops one send may chain through before we call it a loop. */
    static final int MAX_LOCAL_DEPTH = 64;
    private static final char[] ALPHABET = "abcdefghijklmnopqrstuvwxyz234567".toCharArray();
    /** Refusals a sender can cause at will are logged at most this often. */
    static final long REFUSAL_LOG_INTERVAL_NANOS = 60_000_000_000L;

    private final ConcurrentHashMap<Address, LocalTarget> workers = new ConcurrentHashMap<>();
    /** Bound transports by address type (0..255): one array read per forwarded message, no boxing, no hashing. */
    private final java.util.concurrent.atomic.AtomicReferenceArray<Transport> transports =
            new java.util.concurrent.atomic.AtomicReferenceArray<>(256);
    private final Counters counters = new Counters();
    /**
     * One adder per outcome, indexed by {@link SendResult#ordinal()} (an index inside this process only, never stored
     * or sent): counting a send neither builds nor hashes a name. Reported under {@link SendResult#counterName()}.
     */
    private final java.util.concurrent.atomic.LongAdder[] outcomes = newOutcomeCounters();
    private final ThreadLocal<int[]> depth = ThreadLocal.withInitial(() -> new int[1]);
    private final SecureRandom random = new SecureRandom();
    /**
     * What every bound transport delivers to: received messages are routed like any other, but always count as
     * coming in from a link for the forwarding policy (whatever their return route says).
     */
    private final InboundSink sink = new InboundSink() {
        @Override
        public SendResult deliver(Message m) {
            return send(m, true, null);
        }

        @Override
        public SendResult deliver(Message m, Ingress ingress) {
            return send(m, true, ingress);
        }

        /**
         * A lent frame goes back only from a local worker that does not keep it (a channel end whose bound service
         * borrows, a {@link BorrowingWorker}). Forwarded on, it is not lent to the next transport: a transport that
         * refuses releases at once, and the route error report for the refusal still reads the message.
         */
        @Override
        public SendResult deliver(Message m, Ingress ingress, FrameRelease release) {
            return counted(route(m, true, ingress, Objects.requireNonNull(release, "release")), m, true);
        }

        @Override
        public void undeliverable(Address nextHop, Message m, io.hopseal.api.routing.RouteError.Reason reason) {
            reportUndeliverable(nextHop, m, reason);
        }
    };
    private final java.util.List<java.util.function.BiConsumer<Address, Message>> taps =
            new java.util.concurrent.CopyOnWriteArrayList<>();
    private volatile io.hopseal.impl.access.AccessControl accessControl;
    private volatile java.util.function.Function<io.hopseal.api.identity.Identifier, Map<String, String>> attributes =
            id -> Map.of();
    private final LongSupplier nanoTime;
    private volatile ForwardPolicy forwardPolicy = ForwardPolicy.UNRESTRICTED;
    /** Told of a message from a link for a local address nobody holds (the channel service's unknown-channel hint). */
    private volatile java.util.function.Consumer<Message> unknownLocal;
    private final ForwardFlows flows = new ForwardFlows();
    /** The policies of ingresses with an allow list of their own, by that list (few: one per listener or port). */
    private final ConcurrentHashMap<List<io.hopseal.api.routing.ForwardPattern>, ForwardPolicy> ingressPolicies =
            new ConcurrentHashMap<>();
    static final int MAX_INGRESS_POLICIES = 256;
    private final LogThrottle forwardRefusals;
    private final LogThrottle accessRefusals;
    /** Route error reports (protocol §2.2): sent for what cannot be delivered, handed to watchers when they come back. */
    private final RouteReports reports;

    /** A router that forwards everything until given a {@link #setForwardPolicy policy}. */
    public DefaultRouter() {
        this(System::nanoTime);
    }

    DefaultRouter(LongSupplier nanoTime) {
        this.nanoTime = Objects.requireNonNull(nanoTime, "nanoTime");
        long now = nanoTime.getAsLong();
        this.forwardRefusals = new LogThrottle(REFUSAL_LOG_INTERVAL_NANOS, now);
        this.accessRefusals = new LogThrottle(REFUSAL_LOG_INTERVAL_NANOS, now);
        this.reports = new RouteReports(counters, nanoTime);
    }

    /**
     * Who hears of a message that came from a link for a local address nobody holds (the whole message, first hop
     * included); called on the delivering thread, so it must be quick and must not throw. Null: nobody.
     */
    public void setUnknownLocalHandler(java.util.function.Consumer<Message> handler) {
        this.unknownLocal = handler;
    }

    /**
     * Where messages that came in from links may be forwarded (see the class doc). Applies to the next message; open
     * flows to destinations the new policy no longer allows are closed.
     */
    public void setForwardPolicy(ForwardPolicy policy) {
        ForwardPolicy p = Objects.requireNonNull(policy, "policy");
        forwardPolicy = p;
        if (!p.isUnrestricted()) {
            // flows into local channel ends (a relay's) and those an ingress's own list allowed stay
            flows.retain(d -> d.isLocal() || p.allows(d)
                    || ingressPolicies.values().stream().anyMatch(ip -> ip.allows(d)));
        }
    }

    public ForwardPolicy forwardPolicy() {
        return forwardPolicy;
    }

    /** Open return flows (see {@link ForwardFlows}). */
    public int forwardFlows() {
        return flows.size();
    }

    /**
     * Enforces per-service access policies on local delivery: a message reaches a service with a policy only if
     * it came out of a secure channel whose peer satisfies the policy ({@code attributes} gives the peer's verified
     * attributes). Denials are dropped with {@link SendResult#DROPPED_ACCESS_DENIED}, counted and logged.
     */
    public void setAccessControl(io.hopseal.impl.access.AccessControl ac,
                                 java.util.function.Function<io.hopseal.api.identity.Identifier, Map<String, String>> attrs) {
        this.attributes = Objects.requireNonNull(attrs, "attributes");
        this.accessControl = ac;
    }

    public io.hopseal.impl.access.AccessControl accessControl() {
        return accessControl;
    }

    @Override
    public Registration register(Address address, Worker worker) {
        Objects.requireNonNull(address, "address");
        Objects.requireNonNull(worker, "worker");
        if (!address.isLocal()) {
            throw new IllegalArgumentException("workers live at local addresses, not " + address);
        }
        LocalTarget reg = new LocalTarget(address, worker);
        if (workers.putIfAbsent(address, reg) != null) {
            throw new IllegalStateException("local address " + address + " is already taken");
        }
        return reg;
    }

    @Override
    public Registration registerRandom(String prefix, Worker worker) {
        // 5 base32 characters = 25 bits: short on radio links; such addresses are not secrets (channels authenticate)
        return registerRandom(prefix, worker, 5);
    }

    /** As {@link #registerRandom(String, Worker)} with {@code chars} random base32 characters (5 bits each). */
    public Registration registerRandom(String prefix, Worker worker, int chars) {
        for (int attempt = 0; attempt < 16; attempt++) {
            StringBuilder sb = new StringBuilder(prefix);
            for (int i = 0; i < chars; i++) {
                sb.append(ALPHABET[random.nextInt(ALPHABET.length)]);
            }
            LocalTarget reg = new LocalTarget(Address.local(sb.toString()), worker);
            if (workers.putIfAbsent(reg.address, reg) == null) {
                return reg;
            }
        }
        throw new IllegalStateException("no free local address with prefix " + prefix);
    }

    @Override
    public SendResult send(Message message) {
        return send(message, false, null);
    }

    /**
     * As {@link #send(Message)} for a frame whose array was lent from a pool: {@code release} goes to the transport
     * that takes the message ({@link Transport#send(Address, Message, FrameRelease)}), or to a local worker that takes
     * lent frames (a channel end, a {@link BorrowingWorker}). A message delivered to any other local worker, which may
     * keep it, or dropped before anyone took it, is never released: its array is left to the garbage collector, which
     * is always correct.
     */
    public SendResult send(Message message, FrameRelease release) {
        return counted(route(message, false, null, Objects.requireNonNull(release, "release")), message, false);
    }

    private SendResult send(Message message, boolean fromTransport, Ingress ingress) {
        return counted(route(message, fromTransport, ingress, null), message, fromTransport);
    }

    private SendResult counted(SendResult r, Message message, boolean fromTransport) {
        outcomes[r.ordinal()].increment();
        if (r.isDropped()) {
            if (LOG.isDebugEnabled()) {
                LOG.debug("dropped {}: {}", message, r);
            }
            reportDropped(message, r, fromTransport);
        }
        return r;
    }

    /**
     * A message from a link that this router could not deliver gets a route error report back (protocol §2.2). A local
     * sender has the {@link SendResult} already, and what came out of a secure channel is reported inside it.
     */
    private void reportDropped(Message failed, SendResult r, boolean fromTransport) {
        io.hopseal.api.routing.RouteError.Reason reason = RouteReports.reasonOf(r);
        Route back = failed.returnRoute();
        if (reason == null || back.isEmpty() || (!fromTransport && back.first().isLocal())) {
            return;
        }
        Message report = reports.reportFor(failed, reason);
        if (report != null) {
            send(report, false, null);
        }
    }

    /**
     * A transport could not deliver a message it had accepted (e.g. its connection was refused): the sender, local or
     * behind a link, gets a route error report.
     */
    private void reportUndeliverable(Address nextHop, Message rest, io.hopseal.api.routing.RouteError.Reason reason) {
        if (nextHop == null || rest == null || reason == null) {
            return;
        }
        Message report = reports.reportFor(rest.withOnwardRoute(rest.onwardRoute().prepend(nextHop)), reason);
        if (report != null) {
            send(report, false, null);
        }
    }

    @Override
    public Registration watchRouteErrors(Address local, java.util.function.Consumer<io.hopseal.api.routing.RouteError> watcher) {
        return reports.watch(local, watcher);
    }

    private SendResult route(Message message, boolean fromTransport, Ingress ingress, FrameRelease release) {
        if (message.onwardRoute().isEmpty()) {
            return SendResult.DROPPED_EMPTY_ROUTE;
        }
        Address next = message.onwardRoute().first();
        Message rest = message.withOnwardRoute(message.onwardRoute().rest());
        if (next.isLocal()) {
            if (RouteReportCodec.isReportTail(rest.onwardRoute())) {
                return reports.received(next, rest); // a report for what this worker sent: never to the worker
            }
            LocalTarget target = workers.get(next);
            if (target == null) {
                java.util.function.Consumer<Message> u = unknownLocal;
                if (u != null && fromTransport) {
                    u.accept(message);
                }
                return SendResult.DROPPED_NO_WORKER;
            }
            if (!fromTransport) {
                openFlowInto(next, rest.returnRoute());
            }
            return deliverLocal(target, rest, ingress, release);
        }
        return forward(next, rest, fromTransport, ingress, fromTransport ? null : release);
    }

    /**
     * A local worker (a relay's forwarder) hands a message from neighbour N on to local address {@code local} (a
     * channel end) keeping N first in the return route: what comes back out of that channel towards N may go there,
     * as a return flow (the relay's replies to the device that wrote to it).
     */
    private void openFlowInto(Address local, Route back) {
        if (!back.isEmpty() && !back.first().isLocal() && !forwardPolicy.isUnrestricted()) {
            flows.forwarded(back.first(), local, nanoTime.getAsLong());
        }
    }

    /**
     * Local delivery to a found worker: access control, secure-only services (open to plain messages only through an
     * ingress that lists them), loop depth, the worker itself.
     */
    private SendResult deliverLocal(LocalTarget target, Message message, Ingress ingress, FrameRelease release) {
        Address next = target.address;
        Worker w = target.worker;
        io.hopseal.impl.access.AccessControl ac = accessControl;
        if (ac != null && ac.hasPolicies()) { // no policy anywhere: no service name built per message
            String service = next.valueText();
            if (ac.policyFor(service).isPresent()) {
                io.hopseal.api.identity.Identifier peer = message.securePeer();
                io.hopseal.impl.access.Subject subject = peer == null ? io.hopseal.impl.access.Subject.anonymous()
                        : io.hopseal.impl.access.Subject.of(peer, attributes.apply(peer));
                io.hopseal.impl.access.AccessControl.Decision d = ac.check(service, subject);
                if (!d.allowed()) {
                    long unlogged = accessRefusals.admit(nanoTime.getAsLong());
                    if (unlogged >= 0) {
                        LOG.info("refused message to service {} from {}: {}{}", service,
                                peer == null ? "an unauthenticated sender" : peer, d.reason(), more(unlogged));
                    }
                    return SendResult.DROPPED_ACCESS_DENIED;
                }
            }
        }
        if (w instanceof SecureChannelOnly gate && message.securePeer() == null && gate.secureChannelOnly()
                && (ingress == null || !ingress.opens(next.valueText()))) {
            long unlogged = accessRefusals.admit(nanoTime.getAsLong());
            if (unlogged >= 0) {
                LOG.info("refused a message to {} from {}{}: it takes only messages from secure channels{}{}", next,
                        message.returnRoute().isEmpty() ? "this node" : message.returnRoute().first(),
                        ingress == null ? "" : " through " + ingress.name(),
                        ingress == null ? "" : " (not in " + Ingress.PLAIN_SERVICES + " there)", more(unlogged));
            }
            return SendResult.DROPPED_ACCESS_DENIED;
        }
        int[] d = depth.get();
        if (d[0] >= MAX_LOCAL_DEPTH) {
            return SendResult.DROPPED_LOOP;
        }
        d[0]++;
        try {
            if (release != null && w instanceof TakesLentFrames lw) {
                lw.handle(message, new Context(next), release);
            } else {
                w.handle(message, new Context(next));
                if (release != null && w instanceof BorrowingWorker) {
                    release.release(); // returned normally: it kept nothing (a throwing worker's array is left alone)
                }
            }
            return SendResult.DELIVERED;
        } catch (RuntimeException e) {
            LOG.warn("worker at {} failed: {}", next, e.toString());
            return SendResult.DROPPED_WORKER_FAILED;
        } finally {
            d[0]--;
        }
    }

    private SendResult forward(Address next, Message rest, boolean fromTransport, Ingress ingress,
                               FrameRelease release) {
        Route back = rest.returnRoute();
        boolean neighbourFirst = !back.isEmpty() && !back.first().isLocal();
        io.hopseal.api.identity.Identifier peer = fromTransport ? null : rest.securePeer();
        if (fromTransport || neighbourFirst || peer != null) {
            ForwardPolicy policy = policyFor(ingress);
            if (!policy.isUnrestricted()) {
                SendResult denied = peer != null && !neighbourFirst ? checkAuthenticated(next, back, peer, policy)
                        : checkFromLink(next, neighbourFirst ? back.first() : null, policy, ingress);
                if (denied != null) {
                    return denied;
                }
            }
        }
        Transport t = transports.get(next.type());
        if (t == null) {
            return SendResult.DROPPED_NO_TRANSPORT;
        }
        for (java.util.function.BiConsumer<Address, Message> tap : taps) {
            try {
                tap.accept(next, rest);
            } catch (RuntimeException e) {
                LOG.debug("forward tap failed: {}", e.toString());
            }
        }
        try {
            SendResult r = release == null ? t.send(next, rest) : t.send(next, rest, release);
            return r == null ? SendResult.DROPPED_LINK_DOWN : r;
        } catch (RuntimeException e) {
            LOG.warn("transport {} failed to send: {}", t.name(), e.toString());
            return SendResult.DROPPED_LINK_DOWN;
        }
    }

    /** The allow list for a message from {@code ingress}: its own when it has one, else the router's. */
    private ForwardPolicy policyFor(Ingress ingress) {
        if (ingress == null || ingress.forwardAllow().isEmpty()) {
            return forwardPolicy;
        }
        ForwardPolicy p = ingressPolicies.get(ingress.forwardAllow());
        if (p == null) {
            if (ingressPolicies.size() >= MAX_INGRESS_POLICIES) {
                ingressPolicies.clear(); // lists of listeners long gone; the ones in use come back at once
            }
            p = ingressPolicies.computeIfAbsent(ingress.forwardAllow(), ForwardPolicy::of);
        }
        return p;
    }

    /**
     * A message from a link ({@code from}: the neighbour the transport prepended; null when a transport broke that
     * rule, and then it gets no flows): allowed by {@code policy} (opening a return flow), or travelling back along
     * an open flow. Null when allowed, else the drop.
     */
    private SendResult checkFromLink(Address next, Address from, ForwardPolicy policy, Ingress ingress) {
        long now = nanoTime.getAsLong();
        if (policy.allows(next)) {
            if (from != null) {
                flows.forwarded(from, next, now);
            }
            return null;
        }
        if (from != null && (flows.isReturn(from, next, now) || flows.isOnwardOnLink(from, next, now))) {
            return null;
        }
        long unlogged = forwardRefusals.admit(now);
        if (unlogged >= 0) {
            LOG.warn("refused to forward a message from {}{} to {}: not an allowed destination ({} of the {}; "
                    + "default deny){}", from, ingress == null ? "" : " (" + ingress.name() + ")", next,
                    ForwardPolicy.FIELD, policy == forwardPolicy ? "router" : ingress.name(), more(unlogged));
        }
        return SendResult.DROPPED_FORWARD_DENIED;
    }

    /**
     * A message that came out of a secure channel ending here (the authenticated {@code peer} sent it; {@code back}
     * starts at the channel end) and goes on to a link: allowed when {@code policy} allows the destination, when the
     * access control's forwarding rules allow that peer the destination, or when it travels back along a flow into
     * that channel (a relay's replies). Null when allowed, else the drop.
     */
    private SendResult checkAuthenticated(Address next, Route back, io.hopseal.api.identity.Identifier peer,
                                          ForwardPolicy policy) {
        if (policy.allows(next)) {
            return null;
        }
        long now = nanoTime.getAsLong();
        if (!back.isEmpty() && flows.isReturn(back.first(), next, now)) {
            return null;
        }
        io.hopseal.impl.access.AccessControl ac = accessControl;
        if (ac != null && ac.hasForwardRules()
                && ac.checkForward(next, io.hopseal.impl.access.Subject.of(peer, attributes.apply(peer))).allowed()) {
            return null;
        }
        long unlogged = forwardRefusals.admit(now);
        if (unlogged >= 0) {
            LOG.warn("refused to forward a message from the secure channel of {} to {}: not an allowed destination "
                    + "({} of the router) and no forwarding rule of the access control allows it (default deny){}",
                    peer, next, ForwardPolicy.FIELD, more(unlogged));
        }
        return SendResult.DROPPED_FORWARD_DENIED;
    }

    private static String more(long unlogged) {
        return unlogged > 0 ? "; " + unlogged + " more refused since the last such message (at most one a minute is "
                + "logged; all are counted)" : "";
    }

    /**
     * Lets an operator watch what this node forwards to other nodes: each message handed to a transport, with its
     * next hop (e.g. the {@code hopseal:tap} shell command). Taps see exactly what goes on the wire: for channel
     * traffic, routing addresses and ciphertext.
     */
    public AutoCloseable addForwardTap(java.util.function.BiConsumer<Address, Message> tap) {
        taps.add(Objects.requireNonNull(tap, "tap"));
        return () -> taps.remove(tap);
    }

    /**
     * Binds a transport: it owns all addresses of its {@link Transport#addressType()} and delivers what it receives to
     * this router. A transport bound later for the same type replaces the earlier one (field upgrades; the earlier one
     * is detached); closing the earlier binding then does nothing. Closing a binding detaches the transport.
     */
    public AutoCloseable attach(Transport transport) {
        Objects.requireNonNull(transport, "transport");
        if (transport.addressType() < 0 || transport.addressType() > 255) {
            throw new IllegalArgumentException("transport " + transport.name() + " has address type "
                    + transport.addressType() + "; address types are 0..255");
        }
        Transport old = transports.getAndSet(transport.addressType(), transport);
        if (old != null && old != transport) {
            LOG.info("transport {} replaces an earlier one for type {}", transport.name(), transport.addressType());
            old.detach(sink);
        }
        transport.attach(sink);
        return () -> {
            if (transports.compareAndSet(transport.addressType(), transport, null)) {
                transport.detach(sink);
            }
        };
    }

    /**
     * For a router being replaced (shutdown, bundle update): detaches its sink from every bound transport, so nothing
     * new comes in, but keeps the transports for sending, so messages it is routing at this moment still reach them.
     */
    public void detachInbound() {
        for (Transport t : boundTransports()) {
            try {
                t.detach(sink);
            } catch (RuntimeException e) {
                LOG.warn("transport {} failed to detach: {}", t.name(), e.toString());
            }
        }
    }

    @Override
    public int headroom(Route onward, Route back) {
        if (onward.isEmpty() || onward.first().isLocal()) {
            return 0;
        }
        Transport t = transports.get(onward.first().type());
        if (t == null) {
            return 0;
        }
        int link;
        try {
            link = t.linkHeadroom();
        } catch (RuntimeException e) {
            return 0;
        }
        // the header after the first hop is taken off (computed without building the rest of the route)
        return link + Envelope.headerLength(onward, back) - 2 - onward.first().valueLength();
    }

    @Override
    public Optional<Transport> transport(int addressType) {
        return addressType < 0 || addressType > 255 ? Optional.empty() : Optional.ofNullable(transports.get(addressType));
    }

    @Override
    public Collection<Transport> transports() {
        return boundTransports();
    }

    private List<Transport> boundTransports() {
        List<Transport> out = new ArrayList<>();
        for (int type = 0; type < transports.length(); type++) {
            Transport t = transports.get(type);
            if (t != null) {
                out.add(t);
            }
        }
        return List.copyOf(out);
    }

    @Override
    public Collection<Address> localAddresses() {
        return new ArrayList<>(workers.keySet());
    }

    @Override
    public Map<String, Long> counters() {
        Map<String, Long> m = counters.snapshot();
        for (SendResult r : SendResult.values()) {
            long n = outcomes[r.ordinal()].sum();
            if (n > 0) {
                m.merge(r.counterName(), n, Long::sum);
            }
        }
        return m;
    }

    private static java.util.concurrent.atomic.LongAdder[] newOutcomeCounters() {
        java.util.concurrent.atomic.LongAdder[] a = new java.util.concurrent.atomic.LongAdder[SendResult.values().length];
        for (int i = 0; i < a.length; i++) {
            a[i] = new java.util.concurrent.atomic.LongAdder();
        }
        return a;
    }

    /** A {@link Router} that routes through a {@link DefaultRouter} (the router component). */
    public interface Fronted {
        DefaultRouter delegate();
    }

    /** The {@link DefaultRouter} that does {@code r}'s routing, or null when it is another kind of router. */
    public static DefaultRouter behind(Router r) {
        return r instanceof DefaultRouter d ? d : r instanceof Fronted f ? f.delegate() : null;
    }

    /**
     * The registration at local address {@code a}, to deliver to it again and again without routing
     * ({@link LocalTarget#deliver}); null when no worker is registered there.
     */
    public LocalTarget target(Address a) {
        return workers.get(a);
    }

    private final class Context implements WorkerContext {
        private final Address self;

        Context(Address self) {
            this.self = self;
        }

        @Override
        public Address address() {
            return self;
        }

        @Override
        public SendResult send(Message message) {
            return DefaultRouter.this.send(message.withReturnRoute(message.returnRoute().prepend(self)));
        }
    }

    /**
     * A worker's registration at a local address. It also lets a caller that resolved it once deliver to it directly
     * (a channel end to its bound service): {@link #deliver} applies exactly the checks and counting of {@link #send}
     * for a message whose onward route is this address alone, without walking a route or copying the message; once
     * the registration is closed it answers {@link #isOpen()} false and delivers nothing, so the caller resolves the
     * address again.
     */
    /**
     * A worker that takes a lent frame itself (a channel end: it opens the frame in place and knows whether the
     * plaintext's receiver keeps it): it calls {@code release} once nobody reads the array again, or never.
     */
    public interface TakesLentFrames extends Worker {
        void handle(Message message, WorkerContext context, FrameRelease release);
    }

    public final class LocalTarget implements Registration {
        private final Address address;
        private final Worker worker;
        private volatile boolean open = true;

        LocalTarget(Address address, Worker worker) {
            this.address = address;
            this.worker = worker;
        }

        @Override
        public Address address() {
            return address;
        }

        /** False once closed (the worker left; another may have registered at the address since). */
        public boolean isOpen() {
            return open;
        }

        /** Delivers {@code message} to this worker (the onward route is what the worker sees, normally empty). */
        public SendResult deliver(Message message) {
            return counted(open ? deliverLocal(this, message, null, null) : SendResult.DROPPED_NO_WORKER, message, false);
        }

        /** The worker reads a body only during {@code handle} ({@link BorrowingWorker}): its array may be reused after. */
        public boolean borrows() {
            return worker instanceof BorrowingWorker;
        }

        @Override
        public void close() {
            open = false;
            workers.remove(address, this);
        }
    }
}
