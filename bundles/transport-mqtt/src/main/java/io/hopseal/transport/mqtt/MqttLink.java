package io.hopseal.transport.mqtt;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

import org.eclipse.paho.mqttv5.client.IMqttToken;
import org.eclipse.paho.mqttv5.client.MqttActionListener;
import org.eclipse.paho.mqttv5.client.MqttAsyncClient;
import org.eclipse.paho.mqttv5.client.MqttCallback;
import org.eclipse.paho.mqttv5.client.MqttClientException;
import org.eclipse.paho.mqttv5.client.MqttConnectionOptions;
import org.eclipse.paho.mqttv5.client.MqttDisconnectResponse;
import org.eclipse.paho.mqttv5.client.persist.MemoryPersistence;
import org.eclipse.paho.mqttv5.common.MqttException;
import org.eclipse.paho.mqttv5.common.MqttMessage;
import org.eclipse.paho.mqttv5.common.MqttSubscription;
import org.eclipse.paho.mqttv5.common.packet.MqttProperties;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.hopseal.api.routing.SendResult;
import io.hopseal.api.transport.Counters;

/**
 * One broker connection of the MQTT transport (Eclipse Paho, MQTT 5). Connects with exponential back-off and jitter
 * (and again whenever the connection is lost), subscribes to this node's own topic and its shared listener topics on
 * each connection (clean start: no broker session to go stale), publishes each frame as one message (never
 * retained), and queues frames while the broker is unreachable or the in-flight window is full, up to the configured
 * capacity; beyond it frames are dropped and counted ({@code drop.queue_full}).
 *
 * <p>Inbound messages go through {@link LinkContext#receive} (hostile bytes: dropped and counted, never thrown).
 */
final class MqttLink implements BrokerLink, MqttCallback {
    private static final Logger LOG = LoggerFactory.getLogger(MqttLink.class);
    /** Bytes of a PUBLISH packet besides topic and payload: fixed header (5), topic length (2), packet id (2), properties length (1). */
    static final int PUBLISH_OVERHEAD = 10;

    private record Pending(String topic, byte[] payload) {
    }

    private final LinkContext context;
    private final Counters counters;
    private final ScheduledExecutorService timer;
    private final MqttTopics topics;
    private final LinkFragments fragments;
    private final ArrayDeque<Pending> queue = new ArrayDeque<>();
    private volatile MqttLinkConfig config;
    private MqttAsyncClient client;
    private boolean connected;
    private boolean closed;
    private boolean drainScheduled;
    private long backoffMillis;
    private long attempts;
    /** The broker's Maximum Packet Size from CONNACK (0: not announced). */
    private volatile long brokerMaxPacket;

    MqttLink(MqttLinkConfig config, LinkContext context) {
        this.config = config;
        this.context = context;
        this.counters = context.counters();
        this.timer = context.timer();
        this.topics = new MqttTopics(config.topicPrefix());
        this.fragments = new LinkFragments(config.maxMessageSize());
        this.backoffMillis = config.backoffInitial().toMillis();
    }

    @Override
    public MqttLinkConfig config() {
        return config;
    }

    /** Applies new limits (QoS, sizes, queue, back-off) to the running connection. */
    @Override
    public void reconfigure(MqttLinkConfig c) {
        config = c;
    }

    @Override
    public void start() {
        timer.execute(this::connect);
    }

    @Override
    public synchronized boolean connected() {
        return connected;
    }

    @Override
    public synchronized int queued() {
        return queue.size();
    }

    // ------------------------------------------------------------------------------------------------ connecting

    private void connect() {
        MqttLinkConfig c = config;
        MqttAsyncClient cl;
        synchronized (this) {
            if (closed || connected) {
                return;
            }
            attempts++;
            try {
                if (client == null) {
                    client = new MqttAsyncClient(c.brokerUri(), c.clientId(), new MemoryPersistence());
                    client.setCallback(this);
                }
            } catch (MqttException | IllegalArgumentException e) {
                LOG.error("MQTT link {}: cannot make a client for {}: {}", c.name(), c.brokerUri(), e.toString());
                retryLater();
                return;
            }
            cl = client;
        }
        try {
            cl.connect(options(c), null, new MqttActionListener() {
                @Override
                public void onSuccess(IMqttToken token) {
                    MqttProperties p = token.getResponseProperties();
                    Long max = p == null ? null : p.getMaximumPacketSize();
                    brokerMaxPacket = max == null ? 0 : max;
                    subscribe(cl, c);
                }

                @Override
                public void onFailure(IMqttToken token, Throwable e) {
                    counters.increment("link.connect_failures");
                    LOG.warn("MQTT link {}: cannot connect to {}: {}", c.name(), c.brokerUri(), String.valueOf(e));
                    retryLater();
                }
            });
        } catch (MqttException | RuntimeException | IOException | GeneralSecurityException e) {
            counters.increment("link.connect_failures");
            LOG.warn("MQTT link {}: cannot connect to {}: {}", c.name(), c.brokerUri(), e.toString());
            retryLater();
        }
    }

    private MqttConnectionOptions options(MqttLinkConfig c) throws IOException, GeneralSecurityException {
        MqttConnectionOptions o = new MqttConnectionOptions();
        // a kept session: the broker holds this link's subscriptions and its QoS 1 frames while it is away (a bundle
        // update, a restart) and hands them over when the same client id comes back
        o.setCleanStart(!c.persistentSession());
        if (c.persistentSession()) {
            o.setSessionExpiryInterval(c.sessionExpiry().toSeconds());
        }
        o.setAutomaticReconnect(false); // ours: back-off with jitter, re-subscribe, flush the queue
        o.setKeepAliveInterval((int) c.keepAlive().toSeconds());
        o.setConnectionTimeout(10);
        if (!c.username().isEmpty()) {
            o.setUserName(c.username());
        }
        char[] pw = c.password();
        if (pw.length > 0) {
            java.nio.ByteBuffer bb = StandardCharsets.UTF_8.encode(java.nio.CharBuffer.wrap(pw));
            byte[] b = bb.array();
            o.setPassword(Arrays.copyOf(b, bb.remaining())); // Paho keeps this array
            Arrays.fill(b, (byte) 0);
            Arrays.fill(pw, '\0');
        }
        if (c.brokerUri().startsWith("ssl:")) {
            o.setHttpsHostnameVerificationEnabled(true);
            o.setSocketFactory(NoDelaySockets.tls(c.trustFile().isEmpty()
                    ? (javax.net.ssl.SSLSocketFactory) javax.net.ssl.SSLSocketFactory.getDefault()
                    : trusting(Path.of(c.trustFile())).getSocketFactory()));
        } else {
            o.setSocketFactory(NoDelaySockets.plain());
        }
        return o;
    }

    /** A TLS context trusting exactly the CA certificates in a PEM file. */
    static SSLContext trusting(Path pem) throws IOException, GeneralSecurityException {
        KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
        ks.load(null, null);
        try (InputStream in = Files.newInputStream(pem)) {
            int i = 0;
            for (Certificate cert : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                ks.setCertificateEntry("ca" + i++, cert);
            }
            if (i == 0) {
                throw new GeneralSecurityException("no certificate in " + pem);
            }
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(ks);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, tmf.getTrustManagers(), null);
        return ctx;
    }

    private void subscribe(MqttAsyncClient cl, MqttLinkConfig c) {
        List<MqttSubscription> subs = new ArrayList<>();
        subs.add(new MqttSubscription(topics.filter(c.topicId()), c.qos()));
        for (String l : c.listeners()) {
            subs.add(new MqttSubscription(topics.sharedFilter(c.shareGroup(), l), c.qos()));
        }
        try {
            cl.subscribe(subs.toArray(MqttSubscription[]::new), null, new MqttActionListener() {
                @Override
                public void onSuccess(IMqttToken token) {
                    int[] codes = token.getReasonCodes();
                    for (int i = 0; codes != null && i < codes.length; i++) {
                        if (codes[i] >= 0x80) {
                            LOG.error("MQTT link {}: the broker refused subscription {} (reason {})", c.name(),
                                    subs.get(Math.min(i, subs.size() - 1)).getTopic(), codes[i]);
                        }
                    }
                    connectedNow(c);
                }

                @Override
                public void onFailure(IMqttToken token, Throwable e) {
                    LOG.warn("MQTT link {}: subscribing failed: {}", c.name(), String.valueOf(e));
                    dropConnection(cl);
                }
            }, new MqttProperties());
        } catch (MqttException | RuntimeException e) {
            LOG.warn("MQTT link {}: subscribing failed: {}", c.name(), e.toString());
            dropConnection(cl);
        }
    }

    private void connectedNow(MqttLinkConfig c) {
        synchronized (this) {
            if (closed) {
                return;
            }
            connected = true;
            backoffMillis = c.backoffInitial().toMillis();
        }
        counters.increment("link.connects");
        LOG.info("MQTT link {}: connected to {} as {}", c.name(), c.brokerUri(), c.topicId());
        drain();
    }

    private void dropConnection(MqttAsyncClient cl) {
        try {
            cl.disconnectForcibly(0, 1000, false);
        } catch (MqttException | RuntimeException e) {
            LOG.debug("forced disconnect", e);
        }
        retryLater();
    }

    private synchronized void retryLater() {
        if (closed) {
            return;
        }
        connected = false;
        long max = config.backoffMax().toMillis();
        long wait = backoffMillis / 2 + ThreadLocalRandom.current().nextLong(backoffMillis / 2 + 1);
        backoffMillis = Math.min(max, backoffMillis * 2);
        timer.schedule(this::connect, wait, TimeUnit.MILLISECONDS);
    }

    // ------------------------------------------------------------------------------------------------ sending

    /**
     * Publishes one envelope to the peer {@code dst}, in fragments when it is larger than the configured maximum or
     * the broker's Maximum Packet Size; queues what cannot go now.
     */
    @Override
    public SendResult send(String dst, byte[] envelope) {
        MqttLinkConfig c = config;
        String topic = topics.topic(dst, c.topicId());
        long limit = c.maxMessageSize();
        long broker = brokerMaxPacket;
        if (broker > 0) {
            limit = Math.min(limit, broker - PUBLISH_OVERHEAD - topic.length());
        }
        byte[][] parts = fragments.split(envelope, (int) Math.max(0, limit));
        if (parts == null) {
            counters.increment("drop.too_large");
            return SendResult.DROPPED_TOO_LARGE;
        }
        if (parts.length > 1) {
            counters.add("fragments.out", parts.length);
        }
        synchronized (this) {
            if (closed) {
                counters.increment("drop.stopped");
                return SendResult.DROPPED_STOPPED;
            }
            int first = 0;
            while (connected && queue.isEmpty() && first < parts.length && publish(topic, parts[first], c)) {
                first++;
            }
            if (first == parts.length) {
                return SendResult.FORWARDED;
            }
            if (queue.size() + parts.length - first > c.queueCapacity()) {
                counters.increment("drop.queue_full");
                return SendResult.DROPPED_QUEUE_FULL;
            }
            for (int i = first; i < parts.length; i++) {
                queue.add(new Pending(topic, parts[i]));
            }
            scheduleDrain();
            return SendResult.FORWARDED;
        }
    }

    /** Under the lock: hands one message to Paho; false when it must wait (window full, connection gone). */
    private boolean publish(String topic, byte[] payload, MqttLinkConfig c) {
        try {
            client.publish(topic, payload, c.qos(), false, null, null);
            counters.increment("messages.out");
            counters.add("bytes.out", payload.length);
            return true;
        } catch (MqttException e) {
            if (e.getReasonCode() != MqttClientException.REASON_CODE_MAX_INFLIGHT) {
                connected = connected && client.isConnected();
            }
            return false;
        } catch (RuntimeException e) {
            LOG.debug("publish", e);
            return false;
        }
    }

    private synchronized void scheduleDrain() {
        if (connected && !drainScheduled && !queue.isEmpty()) {
            drainScheduled = true;
            timer.schedule(this::drain, 5, TimeUnit.MILLISECONDS);
        }
    }

    private void drain() {
        synchronized (this) {
            drainScheduled = false;
            MqttLinkConfig c = config;
            while (connected && !queue.isEmpty()) {
                Pending p = queue.peek();
                if (!publish(p.topic(), p.payload(), c)) {
                    break;
                }
                queue.poll();
            }
        }
        scheduleDrain();
    }

    // ------------------------------------------------------------------------------------------------ Paho callbacks

    @Override
    public void disconnected(MqttDisconnectResponse response) {
        counters.increment("link.disconnects");
        LOG.warn("MQTT link {}: connection lost ({}); reconnecting", config.name(), response);
        retryLater();
    }

    @Override
    public void mqttErrorOccurred(MqttException e) {
        LOG.warn("MQTT link {}: {}", config.name(), e.toString());
    }

    @Override
    public void messageArrived(String topic, MqttMessage message) {
        context.receive(config.name(), topics, fragments, topic, message.getPayload(), message.isRetained());
    }

    @Override
    public void deliveryComplete(IMqttToken token) {
        scheduleDrain();
    }

    @Override
    public void connectComplete(boolean reconnect, String serverURI) {
        // connectedNow runs once the subscriptions are in place
    }

    @Override
    public void authPacketArrived(int reasonCode, MqttProperties properties) {
        // no enhanced authentication
    }

    /** Disconnects and drops what is queued (counted as {@code drop.stopped}). */
    @Override
    public void close() {
        MqttAsyncClient cl;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            connected = false;
            counters.add("drop.stopped", queue.size());
            queue.clear();
            cl = client;
            client = null;
        }
        if (cl != null) {
            try {
                if (cl.isConnected()) {
                    cl.disconnect(2000).waitForCompletion(2000);
                }
            } catch (MqttException | RuntimeException e) {
                LOG.debug("disconnect", e);
            }
            try {
                cl.disconnectForcibly(0, 500, false);
            } catch (MqttException | RuntimeException e) {
                LOG.debug("disconnect", e);
            }
            try {
                cl.close(true);
            } catch (MqttException | RuntimeException e) {
                LOG.debug("close", e);
            }
        }
    }

    @Override
    public java.util.Map<String, Long> counters() {
        return fragments.counters();
    }

    @Override
    public String status() {
        MqttLinkConfig c = config;
        synchronized (this) {
            return c.name() + " " + c.brokerUri() + " as " + c.topicId()
                    + (c.listeners().isEmpty() ? "" : " listening " + c.listeners())
                    + (c.persistentSession() ? " session kept " + c.sessionExpiry().toSeconds() + "s" : "") + " "
                    + (closed ? "closed" : connected ? "connected" : "connecting (attempt " + attempts + ")")
                    + (queue.isEmpty() ? "" : ", " + queue.size() + " queued");
        }
    }
}
