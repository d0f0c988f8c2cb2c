package io.hopseal.impl.access;

import java.util.Map;
import java.util.Objects;

import io.hopseal.api.identity.Identifier;

/**
 * Who sent a message, as far as access control is concerned: the identifier the peer proved in the secure channel
 * handshake and the attributes of its verified credentials. Immutable.
 *
 * <p>{@code identifier} is {@code null} only for the {@linkplain #anonymous() anonymous subject} (a message that did
 * not come through a secure channel); otherwise it is the canonical text form of an {@link Identifier}: {@code I}
 * followed by 40 lowercase hex digits ({@code i} and upper-case hex digits are accepted and normalized).
 *
 * <p>{@code attributes} is an unmodifiable copy; keys and values must not be {@code null}. The anonymous subject
 * has no attributes: attributes come from credentials bound to an identifier, so a subject with attributes but no
 * identifier is refused.
 *
 * @param identifier canonical identifier text, or {@code null} for the anonymous subject
 * @param attributes verified credential attributes (copied; never {@code null} after construction)
 */
public record Subject(String identifier, Map<String, String> attributes) {

    private static final Subject ANONYMOUS = new Subject(null, Map.of());

    /**
     * @throws IllegalArgumentException if the identifier is not {@code I} + 40 hex digits, or if attributes are given
     *                                  without an identifier
     * @throws NullPointerException     if an attribute key or value is {@code null}
     */
    public Subject {
        if (identifier != null) {
            if (!identifier.equals(identifier.strip())) {
                throw new IllegalArgumentException("identifier has surrounding whitespace: '" + identifier + "'");
            }
            identifier = Identifier.parse(identifier).toString();
        }
        attributes = attributes == null ? Map.of() : Map.copyOf(attributes);
        if (identifier == null && !attributes.isEmpty()) {
            throw new IllegalArgumentException("a subject with attributes must have an identifier");
        }
    }

    /** The subject of a message that did not come through a secure channel: no identifier, no attributes. */
    public static Subject anonymous() {
        return ANONYMOUS;
    }

    /** An authenticated subject. */
    public static Subject of(Identifier identifier, Map<String, String> attributes) {
        Objects.requireNonNull(identifier, "identifier");
        return new Subject(identifier.toString(), attributes);
    }

    /** An authenticated subject from identifier text ({@code I} + 40 hex digits). */
    public static Subject of(String identifier, Map<String, String> attributes) {
        Objects.requireNonNull(identifier, "identifier");
        return new Subject(identifier, attributes);
    }

    /** {@code true} when there is no proven identifier. */
    public boolean isAnonymous() {
        return identifier == null;
    }
}
