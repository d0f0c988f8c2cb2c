package io.hopseal.api.identity;

import java.util.Collection;
import java.util.Objects;
import java.util.Set;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * Decides whether a peer that has proven an identity in a handshake may have a channel. Evaluated once the proof is
 * verified and before anything the peer sent is delivered.
 */
@ConsumerType
@FunctionalInterface
public interface TrustPolicy {

    boolean trusts(Identity peer);

    /** Every peer that proves some identity (the channel is still authenticated and encrypted). */
    static TrustPolicy everyone() {
        return new Named("everyone", peer -> true);
    }

    /** Exactly one identifier. */
    static TrustPolicy only(Identifier identifier) {
        Objects.requireNonNull(identifier, "identifier");
        return new Named("only " + identifier, peer -> peer.identifier().equals(identifier));
    }

    /** Any identifier of a set (copied). */
    static TrustPolicy anyOf(Collection<Identifier> identifiers) {
        Set<Identifier> set = Set.copyOf(identifiers);
        return new Named("any of " + set.size() + " identifiers", peer -> set.contains(peer.identifier()));
    }

    /** A policy with a readable description for logs and status pages. */
    record Named(String description, TrustPolicy policy) implements TrustPolicy {
        @Override
        public boolean trusts(Identity peer) {
            return policy.trusts(peer);
        }

        @Override
        public String toString() {
            return description;
        }
    }
}
