package io.hopseal.transport.mqtt;

import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

import io.hopseal.support.InvalidFieldException;

/**
 * One broker link, checked: every constructor argument is validated and a bad one is refused with an
 * {@link InvalidFieldException} naming the field. The password never appears in {@link #toString()}.
 *
 * @param name           the link name, the first part of {@code /mqtt/<name>:<peer>}
 * @param brokerUri      {@code tcp://host:port} or {@code ssl://host:port}
 * @param clientId       the MQTT client id (unique per broker)
 * @param topicId        this node's own topic id: peers answer on {@code <prefix>/<topicId>/...}
 * @param username       empty for none
 * @param password       empty for none (a copy is kept)
 * @param trustFile      a PEM file of CA certificates trusted for {@code ssl://}; empty for the JVM's default trust
 * @param topicPrefix    the first topic levels of every Hopseal topic on this broker
 * @param listeners      listener names this node answers for through the shared subscription {@code shareGroup}
 * @param shareGroup     the MQTT 5 shared subscription group of the listeners
 * @param qos            0 or 1
 * @param keepAlive      MQTT keep-alive
 * @param maxMessageSize largest MQTT payload sent; larger frames are fragmented
 * @param queueCapacity  frames kept while the broker is unreachable (or the in-flight window is full)
 * @param backoffInitial first wait before reconnecting
 * @param backoffMax     longest wait between attempts
 * @param sessionExpiry  how long the broker keeps this link's session (its subscriptions and the QoS 1 frames for
 *                       it) while the link is away: zero (the default) starts clean at every connect; more keeps what
 *                       arrives during a restart or a bundle update (MQTT 5 clean start off, session expiry)
 */
public record MqttLinkConfig(String name, String brokerUri, String clientId, String topicId, String username,
        char[] password, String trustFile, String topicPrefix, List<String> listeners, String shareGroup, int qos,
        Duration keepAlive, int maxMessageSize, int queueCapacity, Duration backoffInitial, Duration backoffMax,
        Duration sessionExpiry) {

    public static final String DEFAULT_PREFIX = "hopseal";
    public static final String DEFAULT_SHARE_GROUP = "hopseal";
    public static final int DEFAULT_MAX_MESSAGE_SIZE = 131_072;
    public static final int DEFAULT_QUEUE_CAPACITY = 1_000;
    /** Longest session expiry accepted: a week (the broker keeps frames for a link that long). */
    public static final long MAX_SESSION_EXPIRY_S = 7 * 24 * 3600;
    /** Smallest message size: a fragment header plus room for a useful part. */
    public static final int MIN_MESSAGE_SIZE = 64;

    public MqttLinkConfig {
        if (!MqttTopics.isId(name)) {
            throw new InvalidFieldException("name", "must be 1 to 64 characters of A-Z a-z 0-9 . _ -, was '" + name
                    + "'");
        }
        brokerUri = Objects.requireNonNullElse(brokerUri, "").strip();
        try {
            URI u = new URI(brokerUri);
            if (!"tcp".equals(u.getScheme()) && !"ssl".equals(u.getScheme()) || u.getHost() == null
                    || u.getPort() < 1) {
                throw new InvalidFieldException("brokerUri", "must be tcp://host:port or ssl://host:port, was '"
                        + brokerUri + "'");
            }
        } catch (URISyntaxException e) {
            throw new InvalidFieldException("brokerUri", "is not a URI: '" + brokerUri + "'");
        }
        if (!MqttTopics.isId(clientId)) {
            throw new InvalidFieldException("clientId", "must be 1 to 64 characters of A-Z a-z 0-9 . _ -, was '"
                    + clientId + "'");
        }
        topicId = topicId == null || topicId.isBlank() ? clientId : topicId.strip();
        if (!MqttTopics.isId(topicId)) {
            throw new InvalidFieldException("topicId", "must be 1 to 64 characters of A-Z a-z 0-9 . _ -, was '"
                    + topicId + "'");
        }
        username = Objects.requireNonNullElse(username, "");
        password = password == null ? new char[0] : password.clone();
        trustFile = Objects.requireNonNullElse(trustFile, "").strip();
        try {
            new MqttTopics(Objects.requireNonNullElse(topicPrefix, ""));
        } catch (IllegalArgumentException e) {
            throw new InvalidFieldException("topicPrefix", e.getMessage());
        }
        topicPrefix = topicPrefix.strip();
        listeners = List.copyOf(listeners);
        for (String l : listeners) {
            if (!MqttTopics.isId(l)) {
                throw new InvalidFieldException("listeners", "names must be 1 to 64 characters of A-Z a-z 0-9 . _ -, "
                        + "was '" + l + "'");
            }
        }
        if (!MqttTopics.isId(shareGroup)) {
            throw new InvalidFieldException("shareGroup", "must be 1 to 64 characters of A-Z a-z 0-9 . _ -, was '"
                    + shareGroup + "'");
        }
        if (qos != 0 && qos != 1) {
            throw new InvalidFieldException("qos", "must be 0 or 1, was " + qos);
        }
        if (keepAlive.isNegative() || keepAlive.toSeconds() > 65_535) {
            throw new InvalidFieldException("keepAlive", "must be 0 to 65535 s, was " + keepAlive.toSeconds() + " s");
        }
        if (maxMessageSize < MIN_MESSAGE_SIZE || maxMessageSize > 268_435_455) {
            throw new InvalidFieldException("maxMessageSize", "must be " + MIN_MESSAGE_SIZE
                    + " to 268435455 bytes, was " + maxMessageSize);
        }
        if (queueCapacity < 1 || queueCapacity > 1_000_000) {
            throw new InvalidFieldException("queueCapacity", "must be 1 to 1000000, was " + queueCapacity);
        }
        if (backoffInitial.toMillis() < 1 || backoffInitial.toMillis() > 3_600_000) {
            throw new InvalidFieldException("backoffInitial", "must be 1 to 3600000 ms, was "
                    + backoffInitial.toMillis() + " ms");
        }
        if (backoffMax.compareTo(backoffInitial) < 0 || backoffMax.toMillis() > 3_600_000) {
            throw new InvalidFieldException("backoffMax", "must be at least the first wait and at most 3600000 ms, "
                    + "was " + backoffMax.toMillis() + " ms");
        }
        sessionExpiry = Objects.requireNonNullElse(sessionExpiry, Duration.ZERO);
        if (sessionExpiry.isNegative() || sessionExpiry.toSeconds() > MAX_SESSION_EXPIRY_S) {
            throw new InvalidFieldException("sessionExpiry", "must be 0 to " + MAX_SESSION_EXPIRY_S + " s, was "
                    + sessionExpiry.toSeconds() + " s");
        }
    }

    /** A link with the defaults for everything but its name, broker and ids. */
    public static MqttLinkConfig of(String name, String brokerUri, String clientId) {
        return new MqttLinkConfig(name, brokerUri, clientId, clientId, "", null, "", DEFAULT_PREFIX, List.of(),
                DEFAULT_SHARE_GROUP, 1, Duration.ofSeconds(30), DEFAULT_MAX_MESSAGE_SIZE, DEFAULT_QUEUE_CAPACITY,
                Duration.ofMillis(100), Duration.ofSeconds(30), Duration.ZERO);
    }

    public MqttLinkConfig withCredentials(String user, char[] pass) {
        return new MqttLinkConfig(name, brokerUri, clientId, topicId, user, pass, trustFile, topicPrefix, listeners,
                shareGroup, qos, keepAlive, maxMessageSize, queueCapacity, backoffInitial, backoffMax, sessionExpiry);
    }

    public MqttLinkConfig withTrustFile(String file) {
        return new MqttLinkConfig(name, brokerUri, clientId, topicId, username, password, file, topicPrefix, listeners,
                shareGroup, qos, keepAlive, maxMessageSize, queueCapacity, backoffInitial, backoffMax, sessionExpiry);
    }

    public MqttLinkConfig withListeners(List<String> names) {
        return new MqttLinkConfig(name, brokerUri, clientId, topicId, username, password, trustFile, topicPrefix,
                names, shareGroup, qos, keepAlive, maxMessageSize, queueCapacity, backoffInitial, backoffMax, sessionExpiry);
    }

    public MqttLinkConfig withQos(int q) {
        return new MqttLinkConfig(name, brokerUri, clientId, topicId, username, password, trustFile, topicPrefix,
                listeners, shareGroup, q, keepAlive, maxMessageSize, queueCapacity, backoffInitial, backoffMax, sessionExpiry);
    }

    public MqttLinkConfig withMaxMessageSize(int size) {
        return new MqttLinkConfig(name, brokerUri, clientId, topicId, username, password, trustFile, topicPrefix,
                listeners, shareGroup, qos, keepAlive, size, queueCapacity, backoffInitial, backoffMax, sessionExpiry);
    }

    /** This link with the broker keeping its session for {@code expiry} while it is away (zero: start clean). */
    public MqttLinkConfig withSessionExpiry(Duration expiry) {
        return new MqttLinkConfig(name, brokerUri, clientId, topicId, username, password, trustFile, topicPrefix,
                listeners, shareGroup, qos, keepAlive, maxMessageSize, queueCapacity, backoffInitial, backoffMax,
                expiry);
    }

    /** Whether the broker keeps this link's session while it is away. */
    public boolean persistentSession() {
        return !sessionExpiry.isZero();
    }

    /** The password (a copy; the caller wipes it). */
    @Override
    public char[] password() {
        return password.clone();
    }

    /** Whether reaching the broker with {@code other} needs a new connection (everything but the limits). */
    public boolean sameConnection(MqttLinkConfig other) {
        return brokerUri.equals(other.brokerUri) && clientId.equals(other.clientId) && topicId.equals(other.topicId)
                && username.equals(other.username) && Arrays.equals(password, other.password)
                && trustFile.equals(other.trustFile) && topicPrefix.equals(other.topicPrefix)
                && listeners.equals(other.listeners) && shareGroup.equals(other.shareGroup)
                && keepAlive.equals(other.keepAlive) && sessionExpiry.equals(other.sessionExpiry);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof MqttLinkConfig c && c.name.equals(name) && sameConnection(c) && c.qos == qos
                && c.maxMessageSize == maxMessageSize && c.queueCapacity == queueCapacity
                && c.backoffInitial.equals(backoffInitial) && c.backoffMax.equals(backoffMax);
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, brokerUri, clientId, topicId);
    }

    @Override
    public String toString() {
        return name + " " + brokerUri + " client " + clientId + " topic " + topicPrefix + "/" + topicId
                + (listeners.isEmpty() ? "" : " listeners " + listeners + " group " + shareGroup)
                + (username.isEmpty() ? "" : " user " + username + (password.length > 0 ? " (password set)" : ""))
                + (trustFile.isEmpty() ? "" : " trust " + trustFile) + " qos " + qos + " keep-alive "
                + keepAlive.toSeconds() + "s max " + maxMessageSize + "B queue " + queueCapacity
                + (sessionExpiry.isZero() ? "" : " session kept " + sessionExpiry.toSeconds() + "s");
    }
}
