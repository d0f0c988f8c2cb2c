package io.hopseal.api.channel;

import java.time.Duration;
import java.util.Objects;

/**
 * Channel resumption for one channel ({@link ChannelOptions#withResumption}) or for the channels of one listener
 * ({@link ListenerOptions#withResumption}): the channel end keeps its session (keys, counters, peer, routes) sealed
 * under a vault key in the service's session folder, so that after a restart of this process it goes on without a
 * handshake (docs/protocol.md §5.2). Counters are reserved ahead of use, so a crash or an old file never makes a sender
 * repeat a nonce. Off by default: turn it off for peers that must not have session keys written to disk.
 *
 * @param name        names the session files: a channel's own name, or a listener's prefix (1-48 of
 *                    {@code [A-Za-z0-9._-]})
 * @param maxAge      a session is not resumed once this long after its handshake (a new handshake renews the keys)
 * @param maxMessages nor once either direction's counter reached this
 * @param reservation counters a sender reserves at once: after a crash it skips at most that many (1..65536; 0 only
 *                    in {@link #off()})
 * @since 1.6
 */
public record Resumption(String name, Duration maxAge, long maxMessages, int reservation) {
    public static final Duration DEFAULT_MAX_AGE = Duration.ofDays(7);
    public static final long DEFAULT_MAX_MESSAGES = 1L << 32;
    public static final int DEFAULT_RESERVATION = 1024;

    public Resumption {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(maxAge, "maxAge");
        boolean off = reservation == 0 && "off".equals(name); // off(): never resumed, not even on a constrained link
        if (!name.matches("[A-Za-z0-9._-]{1,48}")) {
            throw new IllegalArgumentException("resumption name must be 1-48 of [A-Za-z0-9._-], was '" + name + "'");
        }
        if (maxAge.compareTo(Duration.ofMinutes(1)) < 0 || maxAge.compareTo(Duration.ofDays(366)) > 0) {
            throw new IllegalArgumentException("resumption maxAge must be 1 min to 366 days, was " + maxAge);
        }
        if (maxMessages < 1 || maxMessages > 1L << 56) {
            throw new IllegalArgumentException("resumption maxMessages must be 1..2^56, was " + maxMessages);
        }
        if (!off && (reservation < 1 || reservation > 65_536)) {
            throw new IllegalArgumentException("resumption reservation must be 1..65536, was " + reservation);
        }
    }

    /** Resumption under this name with the defaults: 7 days, 2^32 messages, 1,024 counters reserved at a time. */
    public static Resumption named(String name) {
        return new Resumption(name, DEFAULT_MAX_AGE, DEFAULT_MAX_MESSAGES, DEFAULT_RESERVATION);
    }

    /**
     * Never persisted, not even where resumption is on by default (routes over serial, LoRaWAN or ZigBee links, when
     * the service has a session folder): for peers whose session keys must never be written to disk.
     */
    public static Resumption off() {
        return new Resumption("off", DEFAULT_MAX_AGE, 1, 0);
    }

    /** False for {@link #off()}. */
    public boolean enabled() {
        return reservation > 0;
    }

    public Resumption withMaxAge(Duration d) {
        return new Resumption(name, d, maxMessages, reservation);
    }

    public Resumption withMaxMessages(long n) {
        return new Resumption(name, maxAge, n, reservation);
    }

    public Resumption withReservation(int n) {
        return new Resumption(name, maxAge, maxMessages, n);
    }
}
