package io.hopseal.transport.mqtt;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.stream.Collectors;

import io.hopseal.api.routing.Address;
import io.hopseal.api.routing.Message;
import io.hopseal.api.routing.SendResult;
import io.hopseal.api.transport.Counters;
import io.hopseal.api.transport.Envelope;
import io.hopseal.api.transport.InboundPort;
import io.hopseal.api.transport.InboundSink;
import io.hopseal.support.transport.CopiesFrames;

/**
 * MQTT links (address type {@link Address#MQTT}): channel frames through MQTT brokers, one frame per MQTT message, the
 * routing envelope as the payload verbatim. Each broker link is named ({@link MqttLinkConfig#name()}); a hop
 * {@code /mqtt/<link>:<peer id>} publishes on {@code <prefix>/<peer id>/<own id>} through that link, and a message
 * received on it carries {@code /mqtt/<link>:<sender id>} at the front of its return route (see {@link MqttTopics}).
 *
 * <p>Links are added, reconfigured and removed while the transport runs ({@link #putLink}, {@link #removeLink}); a
 * change of the limits (QoS, sizes, queue, back-off) is applied to the running connection, any other change replaces
 * the connection. Thread-safe.
 */
public final class MqttTransport implements CopiesFrames, AutoCloseable {
    private final Counters counters = new Counters("messages.in", "messages.out", "bytes.in", "bytes.out",
            "link.connects", "link.disconnects", "link.connect_failures", "drop.queue_full", "drop.too_large",
            "drop.no_link", "drop.malformed", "drop.bad_topic", "drop.retained", "drop.stopped");
    /** Where received messages go: the attached sink, or nowhere (counted) while none is attached. */
    private final InboundPort port;
    private final ScheduledThreadPoolExecutor timer;
    private final LinkContext context;
    private final Map<String, BrokerLink> links = new TreeMap<>();
    /** The factory of each link: a change of factory (Kura's connection came or went) replaces the link. */
    private final Map<String, BrokerLink.Factory> factories = new java.util.HashMap<>();
    private boolean closed;

    /** A transport with an inbound port of its own (counting into this transport): attach a router to it. */
    public MqttTransport() {
        this(null);
    }

    /**
     * @param inbound the port received messages go through (a DS component hands the one it keeps for its whole life,
     *                so a router stays attached across transports); null: a port of its own
     */
    public MqttTransport(InboundPort inbound) {
        port = inbound != null ? inbound : new InboundPort(counters);
        timer = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "hopseal-mqtt");
            t.setDaemon(true);
            return t;
        });
        timer.setRemoveOnCancelPolicy(true);
        context = new LinkContext(counters, port, timer);
    }

    /** Adds the link {@code c.name()} on its own Paho connection, or reconfigures it when it exists. */
    public void putLink(MqttLinkConfig c) {
        putLink(c, MqttLink::new);
    }

    /**
     * Adds the link {@code c.name()} made by {@code factory} (on Kura: over Kura's cloud connection), or reconfigures
     * it when one made by the same factory exists.
     */
    public synchronized void putLink(MqttLinkConfig c, BrokerLink.Factory factory) {
        Objects.requireNonNull(c, "config");
        if (closed) {
            throw new IllegalStateException("the MQTT transport is closed");
        }
        BrokerLink old = links.get(c.name());
        if (old != null && old.config().sameConnection(c) && factories.get(c.name()) == factory) {
            old.reconfigure(c);
            return;
        }
        if (old != null) {
            old.close();
        }
        BrokerLink l = factory.create(c, context);
        links.put(c.name(), l);
        factories.put(c.name(), factory);
        l.start();
    }

    /** Closes and removes the link {@code name}; false when there is none. */
    /**
     * Names where the messages of link {@code name} came in (its plain services and forwarding list); null: not
     * named. Applies to the next message.
     */
    public void ingress(String name, io.hopseal.api.transport.Ingress in) {
        context.ingress(name, in);
    }

    public boolean removeLink(String name) {
        BrokerLink l;
        synchronized (this) {
            l = links.remove(name);
            factories.remove(name);
        }
        if (l == null) {
            return false;
        }
        l.close();
        return true;
    }

    /** Whether the link {@code name} is connected and subscribed. */
    public boolean connected(String name) {
        BrokerLink l = link(name);
        return l != null && l.connected();
    }

    private synchronized BrokerLink link(String name) {
        return links.get(name);
    }

    @Override
    public int addressType() {
        return Address.MQTT;
    }

    @Override
    public String name() {
        return "mqtt";
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
        if (nextHop.type() != Address.MQTT) {
            counters.increment("drop.malformed");
            return SendResult.DROPPED_MALFORMED;
        }
        String[] parts = MqttTopics.splitAddress(new String(nextHop.value(), StandardCharsets.UTF_8));
        if (parts == null) {
            counters.increment("drop.malformed");
            return SendResult.DROPPED_MALFORMED;
        }
        BrokerLink l = link(parts[0]);
        if (l == null) {
            counters.increment("drop.no_link");
            return SendResult.DROPPED_LINK_DOWN;
        }
        byte[] frame;
        try {
            frame = Envelope.encode(message);
        } catch (RuntimeException e) {
            counters.increment("drop.malformed");
            return SendResult.DROPPED_MALFORMED;
        }
        return l.send(parts[1], frame);
    }

    @Override
    public Map<String, Long> counters() {
        Map<String, Long> m = counters.snapshot();
        long queued = 0;
        long up = 0;
        synchronized (this) {
            for (BrokerLink l : links.values()) {
                l.counters().forEach((k, v) -> m.merge(k, v, Long::sum));
                queued += l.queued();
                up += l.connected() ? 1 : 0;
                m.put("links", (long) links.size());
            }
        }
        m.put("links.connected", up);
        m.put("queued", queued);
        return m;
    }

    @Override
    public synchronized String status() {
        if (links.isEmpty()) {
            return "mqtt: no broker link";
        }
        return "mqtt: " + links.values().stream().map(BrokerLink::status).collect(Collectors.joining("; "));
    }

    @Override
    public void close() {
        BrokerLink[] all;
        synchronized (this) {
            closed = true;
            all = links.values().toArray(BrokerLink[]::new);
            links.clear();
            factories.clear();
        }
        for (BrokerLink l : all) {
            l.close();
        }
        timer.shutdownNow();
    }
}
