package io.hopseal.impl.routing;

import java.util.Map;

import io.hopseal.api.routing.Address;
import io.hopseal.api.routing.Message;
import io.hopseal.api.routing.SendResult;
import io.hopseal.api.transport.Transport;

/**
 * The {@link Transport} service of a component whose running transport comes and goes (not bound yet, rebinding,
 * stopped): the service stays registered with the router while the transport behind it is replaced, and a message
 * sent while none runs is refused as {@link SendResult#DROPPED_STOPPED}.
 *
 * @param <T> the running transport's type
 */
public abstract class TransportService<T extends Transport> implements Transport {
    private volatile T running;

    /** The running transport, or null. */
    protected final T running() {
        return running;
    }

    /** Sets (or with null, clears) the running transport. */
    protected final void running(T transport) {
        this.running = transport;
    }

    @Override
    public SendResult send(Address nextHop, Message message) {
        T t = running;
        return t == null ? SendResult.DROPPED_STOPPED : t.send(nextHop, message);
    }

    @Override
    public Map<String, Long> counters() {
        T t = running;
        return t == null ? Map.of() : t.counters();
    }

    @Override
    public String status() {
        T t = running;
        return t == null ? notRunningStatus() : t.status();
    }

    /** The status line while no transport runs. */
    protected String notRunningStatus() {
        return name() + ": not active";
    }
}
