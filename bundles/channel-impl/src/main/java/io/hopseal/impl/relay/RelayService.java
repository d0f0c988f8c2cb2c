package io.hopseal.impl.relay;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;
import java.util.regex.Pattern;

import io.hopseal.api.identity.Identifier;
import io.hopseal.api.routing.Address;
import io.hopseal.api.routing.Message;
import io.hopseal.api.routing.Registration;
import io.hopseal.api.routing.Router;
import io.hopseal.api.routing.SendResult;
import io.hopseal.api.routing.WorkerContext;
import io.hopseal.api.transport.Counters;

/**
 * The relay side of named relays (Ockam's relays). A node that cannot be reached opens a secure channel to this
 * node and registers a name at {@code /service/relays} through it; this node then keeps a forwarding address
 * {@code /service/forward_to_<name>}. A message routed there continues, with the rest of its onward route, down
 * that channel, and comes out at the registrant's router: {@code /tcp/relay:4000/service/forward_to_g1/secure/api}
 * reaches listener {@code api} of the node that registered {@code g1}. The forwarder does not add itself to the
 * return route, so replies go back through the same channel and then along the sender's own route.
 *
 * <p>Zero trust: a name can only be registered through a secure channel, and belongs to the identity that registered
 * it until the registration lapses ({@code ttl} after the last refresh); another identity is refused. The
 * forwarded traffic of an end-to-end channel is ciphertext to this node, as to any gateway. Registration payloads
 * are the name in UTF-8; the answer is {@code registered /service/forward_to_<name>} or {@code refused: <why>}.
 */
public final class RelayService implements AutoCloseable {
    /** The local service name where names are registered. */
    public static final String SERVICE = "relays";
    /** Forwarding addresses are {@code /service/<PREFIX><name>}. */
    public static final String PREFIX = "forward_to_";
    static final Pattern NAME = Pattern.compile("[A-Za-z0-9._-]{1,64}");
    /** Names held at once, at most (registrations are authenticated, but identities are cheap to make). */
    static final int MAX_NAMES = 10_000;

    private record Entry(Identifier owner, Address channelEnd, long expiresNanos, Registration forwarder) {
    }

    private final Router router;
    private final long ttlNanos;
    private final LongSupplier nanoTime;
    private final Map<String, Entry> entries = new ConcurrentHashMap<>();
    private final Counters counters = new Counters("registered", "refused", "forwarded", "drop.lapsed");
    private final Registration service;

    /** Registers {@code /service/relays} on {@code router}; names lapse {@code ttl} after their last refresh. */
    public RelayService(Router router, Duration ttl) {
        this(router, ttl, System::nanoTime);
    }

    RelayService(Router router, Duration ttl, LongSupplier nanoTime) {
        this.router = Objects.requireNonNull(router, "router");
        if (ttl.isNegative() || ttl.isZero()) {
            throw new IllegalArgumentException("ttl must be positive, was " + ttl);
        }
        this.ttlNanos = ttl.toNanos();
        this.nanoTime = nanoTime;
        this.service = router.register(Address.local(SERVICE), this::onRegister);
    }

    private synchronized void onRegister(Message m, WorkerContext ctx) {
        String answer = register(m);
        ctx.reply(m, answer.getBytes(StandardCharsets.UTF_8));
    }

    /** Under the lock: the answer to one registration. */
    private String register(Message m) {
        Identifier owner = m.securePeer();
        if (owner == null || m.returnRoute().isEmpty()) {
            counters.increment("refused");
            return "refused: register through a secure channel to this node";
        }
        String name = new String(m.payload(), StandardCharsets.UTF_8);
        if (!NAME.matcher(name).matches()) {
            counters.increment("refused");
            return "refused: a name is 1 to 64 letters, digits, '.', '_' or '-'";
        }
        long now = nanoTime.getAsLong();
        Entry old = entries.get(name);
        if (old != null && !old.owner().equals(owner) && now - old.expiresNanos() < 0) {
            counters.increment("refused");
            return "refused: " + name + " is registered by another identity";
        }
        if (old == null && entries.size() >= MAX_NAMES) {
            counters.increment("refused");
            return "refused: this relay holds " + MAX_NAMES + " names";
        }
        Registration forwarder = old != null ? old.forwarder() : null;
        if (forwarder == null) {
            try {
                forwarder = router.register(Address.local(PREFIX + name), (msg, c) -> forward(name, msg));
            } catch (IllegalStateException taken) {
                counters.increment("refused");
                return "refused: /service/" + PREFIX + name + " is in use on this node";
            }
        }
        // the first hop back is this node's end of the registrant's channel: everything after it is inside
        entries.put(name, new Entry(owner, m.returnRoute().first(), now + ttlNanos, forwarder));
        counters.increment("registered");
        return "registered /service/" + PREFIX + name;
    }

    private void forward(String name, Message m) {
        Entry e = entries.get(name);
        if (e == null || nanoTime.getAsLong() - e.expiresNanos() >= 0) {
            counters.increment("drop.lapsed");
            if (e != null) {
                forget(name, e);
            }
            return;
        }
        // not through the worker context: the forwarder stays out of the return route
        SendResult r = router.send(m.withOnwardRoute(m.onwardRoute().prepend(e.channelEnd())));
        counters.increment(r.isDropped() ? "drop." + r.counterName() : "forwarded");
    }

    /** Drops a lapsed name and its forwarding address, unless it was registered again meanwhile. */
    private synchronized void forget(String name, Entry lapsed) {
        if (entries.remove(name, lapsed)) {
            lapsed.forwarder().close();
        }
    }

    /** The registered names and who holds them (a lapsed one stays listed until it is used or taken over). */
    public Map<String, Identifier> names() {
        Map<String, Identifier> m = new java.util.TreeMap<>();
        entries.forEach((k, v) -> m.put(k, v.owner()));
        return m;
    }

    public Map<String, Long> counters() {
        return counters.snapshot();
    }

    @Override
    public synchronized void close() {
        service.close();
        entries.values().forEach(e -> e.forwarder().close());
        entries.clear();
    }
}
