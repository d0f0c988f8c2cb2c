package io.hopseal.api.channel;

import java.util.Arrays;
import java.util.Objects;

import io.hopseal.api.identity.Identity;

/**
 * A peer whose identity and channel static key are known in advance (learned from a verified handshake, or pinned by
 * an operator), which allows the shorter KK and IK handshakes.
 *
 * @param identity  the peer's identity
 * @param staticKey the peer's X25519 channel static public key (32 bytes), attested by that identity
 */
public record KnownPeer(Identity identity, byte[] staticKey) {
    public KnownPeer {
        Objects.requireNonNull(identity, "identity");
        Objects.requireNonNull(staticKey, "staticKey");
        if (staticKey.length != 32) {
            throw new IllegalArgumentException("static key must be 32 bytes, was " + staticKey.length);
        }
        staticKey = staticKey.clone();
    }

    @Override
    public byte[] staticKey() {
        return staticKey.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof KnownPeer k && k.identity.equals(identity) && Arrays.equals(k.staticKey, staticKey);
    }

    @Override
    public int hashCode() {
        return identity.hashCode();
    }

    @Override
    public String toString() {
        return "KnownPeer[" + identity.identifier() + "]";
    }
}
