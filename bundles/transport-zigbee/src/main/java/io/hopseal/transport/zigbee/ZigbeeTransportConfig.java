package io.hopseal.transport.zigbee;

import java.time.Duration;

import io.hopseal.support.InvalidFieldException;

/**
 * Settings shared by every XBee module of a {@link ZigbeeTransport}. Immutable and validated (an
 * {@link InvalidFieldException} names the field).
 *
 * @param sendQueueCapacity       messages waiting per destination, besides the one being sent (default 16;
 *                                1..10,000)
 * @param maxDestinations         destinations with messages queued at once, per module (default 256; 1..4096)
 * @param maxAttempts             transmissions of one radio frame before its message is dropped, on transient
 *                                failures (default 5; 1..50)
 * @param retryBackoffInitial     wait before the first retry (default 100 ms; 1 ms..1 min); doubles per retry
 * @param retryBackoffMax         longest wait between retries (default 2 s; initial..10 min)
 * @param statusTimeout           a frame without a Transmit Status after this long counts as a transient failure
 *                                (default 15 s; 10 ms..10 min; sleeping end devices may need up to 30 s)
 * @param reassemblyTimeout       a fragmented message without a new fragment for this long is dropped (default 30 s;
 *                                10 ms..1 h)
 * @param reconnectBackoffInitial first wait after a port could not be opened or was lost (default 100 ms; 1 ms..1 h)
 * @param reconnectBackoffMax     longest such wait; also the longest wait before asking a silent module again
 *                                (default 5 s; initial..1 h)
 * @param atTimeout               how long to wait for the module's answer to one AT command at start-up (default 1 s;
 *                                10 ms..1 min); three attempts, then the module is reported missing
 */
public record ZigbeeTransportConfig(int sendQueueCapacity, int maxDestinations, int maxAttempts,
        Duration retryBackoffInitial, Duration retryBackoffMax, Duration statusTimeout, Duration reassemblyTimeout,
        Duration reconnectBackoffInitial, Duration reconnectBackoffMax, Duration atTimeout) {

    public static final int DEFAULT_SEND_QUEUE_CAPACITY = 16;
    public static final int DEFAULT_MAX_DESTINATIONS = 256;
    public static final int DEFAULT_MAX_ATTEMPTS = 5;
    /** AT command attempts per query at start-up. */
    public static final int AT_ATTEMPTS = 3;
    public static final ZigbeeTransportConfig DEFAULTS = new ZigbeeTransportConfig(DEFAULT_SEND_QUEUE_CAPACITY,
            DEFAULT_MAX_DESTINATIONS, DEFAULT_MAX_ATTEMPTS, Duration.ofMillis(100), Duration.ofSeconds(2),
            Duration.ofSeconds(15), Duration.ofSeconds(30), Duration.ofMillis(100), Duration.ofSeconds(5),
            Duration.ofSeconds(1));

    public ZigbeeTransportConfig {
        range("sendQueueCapacity", sendQueueCapacity, 1, 10_000, "messages");
        range("maxDestinations", maxDestinations, 1, TransmitScheduler.MAX_PEERS, "destinations");
        range("maxAttempts", maxAttempts, 1, 50, "transmissions");
        duration("retryBackoffInitial", retryBackoffInitial, Duration.ofMillis(1), Duration.ofMinutes(1));
        duration("retryBackoffMax", retryBackoffMax, retryBackoffInitial, Duration.ofMinutes(10));
        duration("statusTimeout", statusTimeout, Duration.ofMillis(10), Duration.ofMinutes(10));
        duration("reassemblyTimeout", reassemblyTimeout, Duration.ofMillis(10), Duration.ofHours(1));
        duration("reconnectBackoffInitial", reconnectBackoffInitial, Duration.ofMillis(1), Duration.ofHours(1));
        duration("reconnectBackoffMax", reconnectBackoffMax, reconnectBackoffInitial, Duration.ofHours(1));
        duration("atTimeout", atTimeout, Duration.ofMillis(10), Duration.ofMinutes(1));
    }

    private static void range(String field, int v, int min, int max, String unit) {
        if (v < min || v > max) {
            throw new InvalidFieldException(field, "must be " + min + ".." + max + " " + unit + ", was " + v);
        }
    }

    private static void duration(String field, Duration d, Duration min, Duration max) {
        if (d == null) {
            throw new InvalidFieldException(field, "must not be null");
        }
        if (d.compareTo(min) < 0 || d.compareTo(max) > 0) {
            throw new InvalidFieldException(field, "must be " + min.toMillis() + ".." + max.toMillis() + " ms, was "
                    + d.toMillis() + " ms");
        }
    }

    public ZigbeeTransportConfig withSendQueueCapacity(int v) {
        return new ZigbeeTransportConfig(v, maxDestinations, maxAttempts, retryBackoffInitial, retryBackoffMax,
                statusTimeout, reassemblyTimeout, reconnectBackoffInitial, reconnectBackoffMax, atTimeout);
    }

    public ZigbeeTransportConfig withMaxAttempts(int v) {
        return new ZigbeeTransportConfig(sendQueueCapacity, maxDestinations, v, retryBackoffInitial, retryBackoffMax,
                statusTimeout, reassemblyTimeout, reconnectBackoffInitial, reconnectBackoffMax, atTimeout);
    }

    public ZigbeeTransportConfig withRetryBackoff(Duration initial, Duration max) {
        return new ZigbeeTransportConfig(sendQueueCapacity, maxDestinations, maxAttempts, initial, max, statusTimeout,
                reassemblyTimeout, reconnectBackoffInitial, reconnectBackoffMax, atTimeout);
    }

    public ZigbeeTransportConfig withStatusTimeout(Duration v) {
        return new ZigbeeTransportConfig(sendQueueCapacity, maxDestinations, maxAttempts, retryBackoffInitial,
                retryBackoffMax, v, reassemblyTimeout, reconnectBackoffInitial, reconnectBackoffMax, atTimeout);
    }

    public ZigbeeTransportConfig withReassemblyTimeout(Duration v) {
        return new ZigbeeTransportConfig(sendQueueCapacity, maxDestinations, maxAttempts, retryBackoffInitial,
                retryBackoffMax, statusTimeout, v, reconnectBackoffInitial, reconnectBackoffMax, atTimeout);
    }

    public ZigbeeTransportConfig withReconnectBackoff(Duration initial, Duration max) {
        return new ZigbeeTransportConfig(sendQueueCapacity, maxDestinations, maxAttempts, retryBackoffInitial,
                retryBackoffMax, statusTimeout, reassemblyTimeout, initial, max, atTimeout);
    }

    public ZigbeeTransportConfig withAtTimeout(Duration v) {
        return new ZigbeeTransportConfig(sendQueueCapacity, maxDestinations, maxAttempts, retryBackoffInitial,
                retryBackoffMax, statusTimeout, reassemblyTimeout, reconnectBackoffInitial, reconnectBackoffMax, v);
    }
}
