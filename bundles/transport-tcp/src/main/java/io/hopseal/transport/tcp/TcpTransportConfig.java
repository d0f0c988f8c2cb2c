package io.hopseal.transport.tcp;

import java.time.Duration;
import java.util.Objects;

import io.hopseal.support.InvalidFieldException;

/**
 * Settings of a {@link TcpTransport}. Immutable; every field is validated by the constructor, which throws the
 * project's one {@link InvalidFieldException} (an {@link IllegalArgumentException}) naming the record field.
 *
 * @param maxFrameSize            largest envelope in bytes, sent or received (default 65,536; 64..16 MiB). Larger
 *                                sends return {@code DROPPED_TOO_LARGE}; a peer announcing a larger frame is
 *                                disconnected.
 * @param connectTimeout          how long one outbound connect attempt may take (default 10 s; 1 ms..10 min)
 * @param idleTimeout             a link with no frame in either direction for this long is closed (default 5 min;
 *                                {@link Duration#ZERO} = never; otherwise 10 ms..7 days). Only a complete frame that
 *                                passed the length checks and decoded as an envelope (received), or a frame written
 *                                (sent), resets the timer: single bytes, a preamble or part of a frame never do.
 * @param sendQueueCapacity       messages queued per link before sends return {@code DROPPED_QUEUE_FULL} (default
 *                                1024; 1..1,000,000)
 * @param reconnectBackoffInitial first wait after a failed connect (default 100 ms; 1 ms..1 h)
 * @param reconnectBackoffMax     longest wait between connect attempts; the wait doubles from the initial value up to
 *                                this (default 30 s; initial..1 h)
 * @param tcpNoDelay              disable Nagle's algorithm on every link (default on)
 * @param maxLinks                most links (inbound and outbound, connected or not) at once (default 1024;
 *                                1..100,000). At the limit a new link may take the slot of the oldest inbound link
 *                                that has not yet delivered a valid frame; otherwise it is refused (see
 *                                {@link TcpTransport}, "Limits").
 * @param maxLinksPerSource       most inbound links from one source IP address at once; more are refused (default
 *                                {@value #DEFAULT_MAX_LINKS_PER_SOURCE}; 1..100,000; a value at or above
 *                                {@code maxLinks} leaves only the global limit). 64 lets a site router or a carrier NAT
 *                                put dozens of devices behind one address, yet one address can take at most 1/16 of
 *                                the default 1024 links: filling them takes at least 16 addresses.
 * @param firstFrameTimeout       an inbound connection that has not delivered its preamble and one complete, valid
 *                                frame this long after it was accepted is closed (default
 *                                {@value #DEFAULT_FIRST_FRAME_TIMEOUT_MILLIS} ms; 10 ms..10 min). A Hopseal peer sends
 *                                its first frame right after connecting (it dials because it has a message), so 10 s
 *                                is ample even over a slow cellular link, while a silent or trickling connection
 *                                holds a slot for at most that long.
 */
public record TcpTransportConfig(int maxFrameSize, Duration connectTimeout, Duration idleTimeout, int sendQueueCapacity,
        Duration reconnectBackoffInitial, Duration reconnectBackoffMax, boolean tcpNoDelay, int maxLinks,
        int maxLinksPerSource, Duration firstFrameTimeout) {

    public static final int DEFAULT_MAX_FRAME_SIZE = 65_536;
    public static final int MIN_MAX_FRAME_SIZE = 64;
    public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(10);
    public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofMinutes(5);
    public static final int DEFAULT_SEND_QUEUE_CAPACITY = 1024;
    public static final Duration DEFAULT_BACKOFF_INITIAL = Duration.ofMillis(100);
    public static final Duration DEFAULT_BACKOFF_MAX = Duration.ofSeconds(30);
    public static final int DEFAULT_MAX_LINKS = 1024;
    public static final int MAX_MAX_LINKS = 100_000;
    public static final int DEFAULT_MAX_LINKS_PER_SOURCE = 64;
    public static final int DEFAULT_FIRST_FRAME_TIMEOUT_MILLIS = 10_000;
    public static final Duration DEFAULT_FIRST_FRAME_TIMEOUT = Duration.ofMillis(DEFAULT_FIRST_FRAME_TIMEOUT_MILLIS);
    public static final Duration MIN_FIRST_FRAME_TIMEOUT = Duration.ofMillis(10);
    public static final Duration MAX_FIRST_FRAME_TIMEOUT = Duration.ofMinutes(10);

    /** The defaults. */
    public static final TcpTransportConfig DEFAULTS = new TcpTransportConfig(DEFAULT_MAX_FRAME_SIZE,
            DEFAULT_CONNECT_TIMEOUT, DEFAULT_IDLE_TIMEOUT, DEFAULT_SEND_QUEUE_CAPACITY, DEFAULT_BACKOFF_INITIAL,
            DEFAULT_BACKOFF_MAX, true, DEFAULT_MAX_LINKS, DEFAULT_MAX_LINKS_PER_SOURCE, DEFAULT_FIRST_FRAME_TIMEOUT);

    /**
     * The settings before per-source limits and the first-frame deadline existed, with those two at their defaults
     * (kept so code written against the earlier record still compiles).
     */
    public TcpTransportConfig(int maxFrameSize, Duration connectTimeout, Duration idleTimeout, int sendQueueCapacity,
            Duration reconnectBackoffInitial, Duration reconnectBackoffMax, boolean tcpNoDelay, int maxLinks) {
        this(maxFrameSize, connectTimeout, idleTimeout, sendQueueCapacity, reconnectBackoffInitial, reconnectBackoffMax,
                tcpNoDelay, maxLinks, DEFAULT_MAX_LINKS_PER_SOURCE, DEFAULT_FIRST_FRAME_TIMEOUT);
    }

    public TcpTransportConfig {
        if (maxFrameSize < MIN_MAX_FRAME_SIZE || maxFrameSize > TcpFraming.MAX_FRAME_SIZE_LIMIT) {
            throw new InvalidFieldException("maxFrameSize", "must be " + MIN_MAX_FRAME_SIZE + ".."
                    + TcpFraming.MAX_FRAME_SIZE_LIMIT + " bytes, was " + maxFrameSize);
        }
        checkDuration("connectTimeout", connectTimeout, Duration.ofMillis(1), Duration.ofMinutes(10), false);
        checkDuration("idleTimeout", idleTimeout, Duration.ofMillis(10), Duration.ofDays(7), true);
        if (sendQueueCapacity < 1 || sendQueueCapacity > 1_000_000) {
            throw new InvalidFieldException("sendQueueCapacity", "must be 1..1000000 messages, was " + sendQueueCapacity);
        }
        checkDuration("reconnectBackoffInitial", reconnectBackoffInitial, Duration.ofMillis(1), Duration.ofHours(1), false);
        checkDuration("reconnectBackoffMax", reconnectBackoffMax, Duration.ofMillis(1), Duration.ofHours(1), false);
        if (reconnectBackoffMax.compareTo(reconnectBackoffInitial) < 0) {
            throw new InvalidFieldException("reconnectBackoffMax", "must be >= reconnectBackoffInitial ("
                    + reconnectBackoffInitial.toMillis() + " ms), was " + reconnectBackoffMax.toMillis() + " ms");
        }
        if (maxLinks < 1 || maxLinks > MAX_MAX_LINKS) {
            throw new InvalidFieldException("maxLinks", "must be 1.." + MAX_MAX_LINKS + ", was " + maxLinks);
        }
        if (maxLinksPerSource < 1 || maxLinksPerSource > MAX_MAX_LINKS) {
            throw new InvalidFieldException("maxLinksPerSource", "must be 1.." + MAX_MAX_LINKS + " links from one "
                    + "address, was " + maxLinksPerSource);
        }
        checkDuration("firstFrameTimeout", firstFrameTimeout, MIN_FIRST_FRAME_TIMEOUT, MAX_FIRST_FRAME_TIMEOUT, false);
    }

    private static void checkDuration(String field, Duration d, Duration min, Duration max, boolean zeroAllowed) {
        if (d == null) {
            throw new InvalidFieldException(field, "must not be null");
        }
        if (zeroAllowed && d.isZero()) {
            return;
        }
        if (d.compareTo(min) < 0 || d.compareTo(max) > 0) {
            throw new InvalidFieldException(field, "must be " + (zeroAllowed ? "0 (off) or " : "") + min.toMillis() + ".."
                    + max.toMillis() + " ms, was " + d.toMillis() + " ms");
        }
    }

    /** How often idle links and first-frame deadlines are checked: a quarter of the shorter timeout, 5 ms..1 s. */
    long idleCheckMillis() {
        long shortest = firstFrameTimeout.toMillis();
        if (!idleTimeout.isZero()) {
            shortest = Math.min(shortest, idleTimeout.toMillis());
        }
        return Math.max(5, Math.min(1000, shortest / 4));
    }

    public TcpTransportConfig withMaxFrameSize(int v) {
        return new TcpTransportConfig(v, connectTimeout, idleTimeout, sendQueueCapacity, reconnectBackoffInitial,
                reconnectBackoffMax, tcpNoDelay, maxLinks, maxLinksPerSource, firstFrameTimeout);
    }

    public TcpTransportConfig withConnectTimeout(Duration v) {
        return new TcpTransportConfig(maxFrameSize, v, idleTimeout, sendQueueCapacity, reconnectBackoffInitial,
                reconnectBackoffMax, tcpNoDelay, maxLinks, maxLinksPerSource, firstFrameTimeout);
    }

    public TcpTransportConfig withIdleTimeout(Duration v) {
        return new TcpTransportConfig(maxFrameSize, connectTimeout, v, sendQueueCapacity, reconnectBackoffInitial,
                reconnectBackoffMax, tcpNoDelay, maxLinks, maxLinksPerSource, firstFrameTimeout);
    }

    public TcpTransportConfig withSendQueueCapacity(int v) {
        return new TcpTransportConfig(maxFrameSize, connectTimeout, idleTimeout, v, reconnectBackoffInitial,
                reconnectBackoffMax, tcpNoDelay, maxLinks, maxLinksPerSource, firstFrameTimeout);
    }

    public TcpTransportConfig withReconnectBackoff(Duration initial, Duration max) {
        return new TcpTransportConfig(maxFrameSize, connectTimeout, idleTimeout, sendQueueCapacity,
                Objects.requireNonNull(initial, "initial"), Objects.requireNonNull(max, "max"), tcpNoDelay, maxLinks,
                maxLinksPerSource, firstFrameTimeout);
    }

    public TcpTransportConfig withTcpNoDelay(boolean v) {
        return new TcpTransportConfig(maxFrameSize, connectTimeout, idleTimeout, sendQueueCapacity,
                reconnectBackoffInitial, reconnectBackoffMax, v, maxLinks, maxLinksPerSource, firstFrameTimeout);
    }

    public TcpTransportConfig withMaxLinks(int v) {
        return new TcpTransportConfig(maxFrameSize, connectTimeout, idleTimeout, sendQueueCapacity,
                reconnectBackoffInitial, reconnectBackoffMax, tcpNoDelay, v, maxLinksPerSource, firstFrameTimeout);
    }

    public TcpTransportConfig withMaxLinksPerSource(int v) {
        return new TcpTransportConfig(maxFrameSize, connectTimeout, idleTimeout, sendQueueCapacity,
                reconnectBackoffInitial, reconnectBackoffMax, tcpNoDelay, maxLinks, v, firstFrameTimeout);
    }

    public TcpTransportConfig withFirstFrameTimeout(Duration v) {
        return new TcpTransportConfig(maxFrameSize, connectTimeout, idleTimeout, sendQueueCapacity,
                reconnectBackoffInitial, reconnectBackoffMax, tcpNoDelay, maxLinks, maxLinksPerSource, v);
    }
}
