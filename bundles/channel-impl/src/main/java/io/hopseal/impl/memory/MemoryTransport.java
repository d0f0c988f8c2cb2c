package io.hopseal.impl.memory;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

import io.hopseal.api.routing.Address;
import io.hopseal.api.routing.Message;
import io.hopseal.api.routing.SendResult;
import io.hopseal.api.transport.Counters;
import io.hopseal.api.transport.Envelope;
import io.hopseal.api.transport.InboundPort;
import io.hopseal.api.transport.InboundSink;
import io.hopseal.api.transport.MalformedMessageException;
import io.hopseal.support.transport.CopiesFrames;

/** One node's end of a {@link MemoryNetwork}: owns {@code /mem/<node>} addresses. */
public final class MemoryTransport implements CopiesFrames, AutoCloseable {
    /** Frames waiting for a node's thread at most (back-pressure like a real link). */
    static final int QUEUE_CAPACITY = 100_000;

    private final MemoryNetwork network;
    private final String name;
    private final ExecutorService inbound;
    private final Counters counters = new Counters();
    private final InboundPort port = new InboundPort(counters);
    private volatile boolean closed;

    MemoryTransport(MemoryNetwork network, String name) {
        this.network = network;
        this.name = name;
        this.inbound = new ThreadPoolExecutor(1, 1, 0, TimeUnit.SECONDS, new LinkedBlockingQueue<>(QUEUE_CAPACITY), r -> {
            Thread t = new Thread(r, "hopseal-mem-" + name);
            t.setDaemon(true);
            return t;
        });
    }

    public String nodeName() {
        return name;
    }

    @Override
    public int addressType() {
        return Address.MEMORY;
    }

    @Override
    public String name() {
        return "mem";
    }

    @Override
    public void attach(InboundSink sink) {
        port.attach(sink);
    }

    @Override
    public void detach(InboundSink sink) {
        port.detach(sink);
    }

    @Override
    public SendResult send(Address nextHop, Message message) {
        if (closed) {
            return SendResult.DROPPED_STOPPED;
        }
        String to = nextHop.valueText();
        MemoryTransport target = network.node(to);
        if (target == null) {
            counters.increment("drop.link_down");
            return SendResult.DROPPED_LINK_DOWN;
        }
        // framed in place when the sender left headroom (a sealed channel frame does), as a zero-copy link would;
        // the copy that follows is this simulated wire's
        int start = Envelope.encodeHeaderInPlace(message, 0);
        byte[] frame;
        if (start >= 0) {
            frame = java.util.Arrays.copyOfRange(message.body().array(), start,
                    message.body().offset() + message.body().length());
            counters.increment("frames.in_place");
        } else {
            frame = Envelope.encode(message);
        }
        counters.increment("messages.out");
        counters.add("bytes.out", frame.length);
        MemoryNetwork.Interceptor i = network.interceptor();
        List<byte[]> frames = i == null ? List.of(frame) : i.onFrame(name, to, frame);
        for (byte[] f : frames) {
            target.receive(name, f);
        }
        return SendResult.FORWARDED;
    }

    void receive(String from, byte[] frame) {
        if (closed) {
            return;
        }
        // a wire delivers bytes, not objects: each arrival gets its own buffer (an interceptor may hand the same
        // array over twice, and the receiver owns and may decrypt in place what it is given)
        byte[] own = frame.clone();
        try {
            inbound.execute(() -> deliver(from, own));
        } catch (RejectedExecutionException e) {
            counters.increment("drop.queue_full");
        }
    }

    private void deliver(String from, byte[] frame) {
        counters.increment("messages.in");
        counters.add("bytes.in", frame.length);
        Message m;
        try {
            m = Envelope.decode(frame);
        } catch (MalformedMessageException | IllegalArgumentException e) {
            counters.increment("drop.malformed");
            return;
        }
        port.deliver(m.withReturnRoute(m.returnRoute().prepend(Address.of(Address.MEMORY, from))));
    }

    @Override
    public Map<String, Long> counters() {
        return counters.snapshot();
    }

    @Override
    public String status() {
        return "mem node " + name + (closed ? " (closed)" : "");
    }

    @Override
    public void close() {
        closed = true;
        network.detach(this);
        inbound.shutdownNow();
        try {
            inbound.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
