package io.hopseal.transport.mqtt;

import io.hopseal.api.routing.SendResult;

/**
 * One named broker link of the {@link MqttTransport}: its own Paho connection ({@link MqttLink}) or, on Kura, Kura's
 * cloud connection ({@code io.hopseal.transport.mqtt.kura.DataServiceLink}). Thread-safe.
 */
public interface BrokerLink {

    /** Makes a link for a configuration; called by the transport, which starts and closes it. */
    @FunctionalInterface
    interface Factory {
        BrokerLink create(MqttLinkConfig config, LinkContext context);
    }

    MqttLinkConfig config();

    /** Applies new limits (QoS, sizes, queue, back-off) to the running connection. */
    void reconfigure(MqttLinkConfig config);

    /** Starts connecting (asynchronously). */
    void start();

    /** Publishes one routing envelope to the peer topic id {@code dst}. Never blocks for long, never throws. */
    SendResult send(String dst, byte[] envelope);

    /** Connected and subscribed. */
    boolean connected();

    /** Frames waiting to be published. */
    int queued();

    String status();

    /** Counters of the link's own (reassembly), added to the transport's. */
    default java.util.Map<String, Long> counters() {
        return java.util.Map.of();
    }

    /** Disconnects (or unsubscribes) and drops what is queued. */
    void close();
}
