package io.hopseal.transport.tcp;

import java.security.SecureRandom;
import java.util.Collection;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

import io.hopseal.api.routing.Address;
import io.hopseal.api.routing.Message;
import io.hopseal.api.routing.Registration;
import io.hopseal.api.routing.Route;
import io.hopseal.api.routing.Router;
import io.hopseal.api.routing.SendResult;
import io.hopseal.api.routing.Worker;
import io.hopseal.api.routing.WorkerContext;
import io.hopseal.api.transport.Envelope;
import io.hopseal.api.transport.InboundSink;
import io.hopseal.api.transport.Transport;

/**
 * A tiny router for tests: local workers and transports in maps; routes by the first address of the onward route.
 * Transports are bound as channel-impl's router binds them: {@link #attach(Transport)} makes this router the
 * transport's inbound sink. Worker exceptions propagate to the transport (which must survive them).
 */
public final class TestRouter implements Router {
    private final Map<Address, Worker> workers = new ConcurrentHashMap<>();
    private final Map<Integer, Transport> transports = new ConcurrentHashMap<>();
    private final Map<String, AtomicLong> counters = new ConcurrentHashMap<>();
    /** What every bound transport delivers to (one object, as in DefaultRouter). */
    private final InboundSink sink = this::send;

    @Override
    public Registration register(Address address, Worker worker) {
        if (!address.isLocal()) {
            throw new IllegalArgumentException("not local: " + address);
        }
        if (workers.putIfAbsent(address, worker) != null) {
            throw new IllegalStateException("taken: " + address);
        }
        return Registration.of(address, () -> workers.remove(address, worker));
    }

    @Override
    public Registration registerRandom(String prefix, Worker worker) {
        byte[] b = new byte[8];
        new SecureRandom().nextBytes(b);
        return register(Address.local(prefix + HexFormat.of().formatHex(b)), worker);
    }

    @Override
    public SendResult send(Message message) {
        SendResult r = route(message);
        count(r.counterName());
        return r;
    }

    private SendResult route(Message message) {
        if (message.onwardRoute().isEmpty()) {
            return SendResult.DROPPED_EMPTY_ROUTE;
        }
        Address first = message.onwardRoute().first();
        Message rest = message.withOnwardRoute(message.onwardRoute().rest());
        if (first.isLocal()) {
            Worker w = workers.get(first);
            if (w == null) {
                return SendResult.DROPPED_NO_WORKER;
            }
            w.handle(rest, new WorkerContext() {
                @Override
                public Address address() {
                    return first;
                }

                @Override
                public SendResult send(Message m) {
                    return TestRouter.this.send(m.withReturnRoute(m.returnRoute().prepend(first)));
                }
            }); // exceptions propagate: the transport must survive them
            return SendResult.DELIVERED;
        }
        Transport t = transports.get(first.type());
        if (t == null) {
            return SendResult.DROPPED_NO_TRANSPORT;
        }
        return t.send(first, rest);
    }

    private void count(String name) {
        counters.computeIfAbsent(name, k -> new AtomicLong()).incrementAndGet();
    }

    /** The sink this router attaches to transports. */
    public InboundSink sink() {
        return sink;
    }

    /** Binds a transport (replacing and detaching an earlier one of its type); closing the binding detaches it. */
    public AutoCloseable attach(Transport transport) {
        Transport old = transports.put(transport.addressType(), transport);
        if (old != null && old != transport) {
            old.detach(sink);
        }
        transport.attach(sink);
        return () -> {
            if (transports.remove(transport.addressType(), transport)) {
                transport.detach(sink);
            }
        };
    }

    @Override
    public int headroom(Route onward, Route back) {
        if (onward.isEmpty() || onward.first().isLocal()) {
            return 0;
        }
        Transport t = transports.get(onward.first().type());
        return t == null ? 0 : t.linkHeadroom() + Envelope.headerLength(onward.rest(), back);
    }

    @Override
    public Optional<Transport> transport(int addressType) {
        return Optional.ofNullable(transports.get(addressType));
    }

    @Override
    public Collection<Transport> transports() {
        return List.copyOf(transports.values());
    }

    @Override
    public Collection<Address> localAddresses() {
        return List.copyOf(workers.keySet());
    }

    @Override
    public Map<String, Long> counters() {
        Map<String, Long> m = new TreeMap<>();
        counters.forEach((k, v) -> m.put(k, v.get()));
        return m;
    }
}
