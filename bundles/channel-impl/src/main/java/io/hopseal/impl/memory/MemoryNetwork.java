package io.hopseal.impl.memory;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;


/**
 * A set of in-memory links between named nodes. Every message is encoded to its wire form and decoded on arrival, on
 * the receiving node's own thread, as a real link would. An {@link Interceptor} can drop, duplicate, delay or alter
 * frames to simulate bad links.
 */
public final class MemoryNetwork implements AutoCloseable {

    /** Sees every frame between two nodes and decides what arrives: none, the frame, changed frames, several. */
    @FunctionalInterface
    public interface Interceptor {
        List<byte[]> onFrame(String from, String to, byte[] frame);
    }

    private final Map<String, MemoryTransport> nodes = new ConcurrentHashMap<>();
    private volatile Interceptor interceptor;

    /**
     * Joins a node named {@code name}: returns its transport for {@code /mem/<name>} addresses, for the node's router
     * to bind.
     */
    public MemoryTransport attach(String name) {
        Objects.requireNonNull(name, "name");
        MemoryTransport t = new MemoryTransport(this, name);
        if (nodes.putIfAbsent(name, t) != null) {
            throw new IllegalStateException("node name " + name + " is taken");
        }
        return t;
    }

    public void setInterceptor(Interceptor i) {
        this.interceptor = i;
    }

    void detach(MemoryTransport t) {
        nodes.remove(t.nodeName(), t);
    }

    MemoryTransport node(String name) {
        return nodes.get(name);
    }

    Interceptor interceptor() {
        return interceptor;
    }

    /** Delivers a frame that was held back (by an interceptor) now. Returns false if the node is gone. */
    public boolean inject(String from, String to, byte[] frame) {
        MemoryTransport t = nodes.get(to);
        if (t == null) {
            return false;
        }
        t.receive(from, frame);
        return true;
    }

    @Override
    public void close() {
        for (MemoryTransport t : List.copyOf(nodes.values())) {
            t.close();
        }
    }
}
