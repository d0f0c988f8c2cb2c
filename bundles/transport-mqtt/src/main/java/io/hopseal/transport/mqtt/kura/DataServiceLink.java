package io.hopseal.transport.mqtt.kura;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.eclipse.kura.KuraException;
import org.eclipse.kura.data.DataService;
import org.eclipse.kura.data.listener.DataServiceListener;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.hopseal.api.routing.SendResult;
import io.hopseal.api.transport.Counters;
import io.hopseal.transport.mqtt.BrokerLink;
import io.hopseal.transport.mqtt.LinkContext;
import io.hopseal.transport.mqtt.LinkFragments;
import io.hopseal.transport.mqtt.MqttLinkConfig;
import io.hopseal.transport.mqtt.MqttTopics;

/**
 * A broker link over Kura's own MQTT connection ({@link DataService}): the broker, credentials and TLS settings the
 * operator configured in Kura's cloud connection, no second connection. Frames are published verbatim on the same
 * topic layout as a standalone link ({@link MqttTopics}), never retained, at priority {@value #PRIORITY} (Kura keeps
 * 0 and 1 for itself); while the connection is down Kura's store and forward keeps them, up to its store capacity
 * (beyond it Kura refuses them: counted {@code drop.queue_full}). Subscriptions are made on Kura's connection, again
 * after every reconnection, on this transport's timer thread (Kura's subscribe is synchronous and its listeners must
 * return quickly). Loaded only when Kura's DataService is bound.
 */
public final class DataServiceLink implements BrokerLink, DataServiceListener {
    private static final Logger LOG = LoggerFactory.getLogger(DataServiceLink.class);
    /** Kura's priority for our frames: above its bulk data (higher numbers), below its own life-cycle messages. */
    static final int PRIORITY = 4;

    private final DataService kura;
    private final Runnable release;
    private final LinkContext context;
    private final Counters counters;
    private final MqttTopics topics;
    private final LinkFragments fragments;
    private volatile MqttLinkConfig config;
    private boolean subscribed;
    private boolean closed;
    private long backoffMillis;

    DataServiceLink(DataService kura, Runnable release, MqttLinkConfig config, LinkContext context) {
        this.kura = kura;
        this.release = release;
        this.config = config;
        this.context = context;
        this.counters = context.counters();
        this.topics = new MqttTopics(config.topicPrefix());
        this.fragments = new LinkFragments(config.maxMessageSize());
        this.backoffMillis = config.backoffInitial().toMillis();
    }

    /**
     * Links over the DataService behind {@code reference}; each link holds the service until it is closed.
     *
     * @throws IllegalStateException if the service has gone away
     */
    public static BrokerLink.Factory factory(BundleContext bundle, ServiceReference<?> reference) {
        return (c, ctx) -> {
            Object s = bundle.getService(reference);
            if (!(s instanceof DataService ds)) {
                if (s != null) {
                    bundle.ungetService(reference);
                }
                throw new IllegalStateException("Kura's DataService is not available");
            }
            return new DataServiceLink(ds, () -> bundle.ungetService(reference), c, ctx);
        };
    }

    /** A link over {@code kura} (tests and embedding). */
    public static BrokerLink.Factory factory(DataService kura) {
        return (c, ctx) -> new DataServiceLink(kura, () -> { }, c, ctx);
    }

    @Override
    public MqttLinkConfig config() {
        return config;
    }

    @Override
    public void reconfigure(MqttLinkConfig c) {
        config = c;
    }

    @Override
    public void start() {
        kura.addDataServiceListener(this);
        context.timer().execute(this::subscribe);
    }

    private void subscribe() {
        MqttLinkConfig c = config;
        synchronized (this) {
            if (closed || subscribed || !kura.isConnected()) {
                return;
            }
        }
        try {
            for (String filter : filters(c)) {
                kura.subscribe(filter, c.qos());
            }
        } catch (KuraException | RuntimeException e) {
            counters.increment("link.connect_failures");
            LOG.warn("MQTT link {} (Kura's connection): subscribing failed: {}", c.name(), e.toString());
            synchronized (this) {
                long wait = backoffMillis;
                backoffMillis = Math.min(c.backoffMax().toMillis(), backoffMillis * 2);
                if (!closed) {
                    context.timer().schedule(this::subscribe, wait, TimeUnit.MILLISECONDS);
                }
            }
            return;
        }
        synchronized (this) {
            subscribed = !closed;
            backoffMillis = c.backoffInitial().toMillis();
        }
        counters.increment("link.connects");
        LOG.info("MQTT link {}: subscribed on Kura's cloud connection as {}", c.name(), c.topicId());
    }

    private List<String> filters(MqttLinkConfig c) {
        List<String> f = new ArrayList<>();
        f.add(topics.filter(c.topicId()));
        for (String l : c.listeners()) {
            f.add(topics.sharedFilter(c.shareGroup(), l));
        }
        return f;
    }

    @Override
    public SendResult send(String dst, byte[] envelope) {
        MqttLinkConfig c = config;
        byte[][] parts = fragments.split(envelope, c.maxMessageSize());
        if (parts == null) {
            counters.increment("drop.too_large");
            return SendResult.DROPPED_TOO_LARGE;
        }
        synchronized (this) {
            if (closed) {
                counters.increment("drop.stopped");
                return SendResult.DROPPED_STOPPED;
            }
        }
        try {
            for (byte[] p : parts) {
                kura.publish(topics.topic(dst, c.topicId()), p, c.qos(), false, PRIORITY);
            }
        } catch (KuraException | RuntimeException e) {
            counters.increment("drop.queue_full");
            return SendResult.DROPPED_QUEUE_FULL;
        }
        counters.increment("messages.out");
        counters.add("bytes.out", envelope.length);
        return SendResult.FORWARDED;
    }

    @Override
    public synchronized boolean connected() {
        return subscribed && kura.isConnected();
    }

    @Override
    public int queued() {
        return 0; // Kura's store holds what waits
    }

    @Override
    public String status() {
        MqttLinkConfig c = config;
        return c.name() + " on Kura's cloud connection as " + c.topicId()
                + (c.listeners().isEmpty() ? "" : " listening " + c.listeners()) + " "
                + (connected() ? "connected" : "waiting for Kura's connection");
    }

    @Override
    public java.util.Map<String, Long> counters() {
        return fragments.counters();
    }

    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        kura.removeDataServiceListener(this);
        if (kura.isConnected()) {
            for (String filter : filters(config)) {
                try {
                    kura.unsubscribe(filter);
                } catch (KuraException | RuntimeException e) {
                    LOG.debug("unsubscribe", e);
                }
            }
        }
        release.run();
    }

    // ------------------------------------------------------------------------------------------------ Kura's events

    @Override
    public void onConnectionEstablished() {
        context.timer().execute(this::subscribe);
    }

    @Override
    public void onDisconnecting() {
        // nothing to say goodbye with
    }

    @Override
    public void onDisconnected() {
        lost();
    }

    @Override
    public void onConnectionLost(Throwable cause) {
        lost();
    }

    private void lost() {
        synchronized (this) {
            if (!subscribed) {
                return;
            }
            subscribed = false;
        }
        counters.increment("link.disconnects");
    }

    @Override
    public void onMessageArrived(String topic, byte[] payload, int qos, boolean retained) {
        MqttLinkConfig c = config;
        // Kura's connection carries every application's messages: only ours are looked at
        if (topic != null && topic.startsWith(topics.prefix() + "/")) {
            context.receive(c.name(), topics, fragments, topic, payload, retained);
        }
    }

    @Override
    public void onMessagePublished(int messageId, String topic) {
        // confirmations are the channel's business (its own acknowledgements), not the link's
    }

    @Override
    public void onMessageConfirmed(int messageId, String topic) {
        // as above
    }
}
