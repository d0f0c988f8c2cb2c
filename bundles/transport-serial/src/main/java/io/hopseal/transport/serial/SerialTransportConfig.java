package io.hopseal.transport.serial;

import java.time.Duration;

import io.hopseal.link.serial.SerialLink;
import io.hopseal.support.InvalidFieldException;

/**
 * Settings shared by every port of a {@link SerialTransport}. Immutable and validated (an
 * {@link InvalidFieldException} names the field).
 *
 * @param reconnectBackoffInitial first wait after a failed open or a lost port (default 100 ms; 1 ms..1 h)
 * @param reconnectBackoffMax     longest wait between attempts; the wait doubles up to it (default 5 s;
 *                                initial..1 h)
 */
public record SerialTransportConfig(Duration reconnectBackoffInitial, Duration reconnectBackoffMax) {

    public static final Duration DEFAULT_BACKOFF_INITIAL = Duration.ofMillis(100);
    public static final Duration DEFAULT_BACKOFF_MAX = Duration.ofSeconds(5);
    public static final SerialTransportConfig DEFAULTS = new SerialTransportConfig(DEFAULT_BACKOFF_INITIAL,
            DEFAULT_BACKOFF_MAX);

    public SerialTransportConfig {
        SerialLink.Options.checkBackoff("reconnectBackoffInitial", reconnectBackoffInitial);
        SerialLink.Options.checkBackoff("reconnectBackoffMax", reconnectBackoffMax);
        if (reconnectBackoffMax.compareTo(reconnectBackoffInitial) < 0) {
            throw new InvalidFieldException("reconnectBackoffMax", "must be >= reconnectBackoffInitial ("
                    + reconnectBackoffInitial.toMillis() + " ms), was " + reconnectBackoffMax.toMillis() + " ms");
        }
    }
}
