package io.hopseal.impl.credential;

import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

import io.hopseal.api.credential.Credential;
import io.hopseal.api.identity.Identifier;

/**
 * Attributes of peers from their verified credentials. Reads merge the credentials that are still valid (not
 * expired, not revoked) at the time of the read, so expiry and revocation take effect without any sweep.
 */
public final class AttributeStore {
    /** Subjects held at most (bounded memory under a flood of self-issued identities). */
    public static final int MAX_SUBJECTS = 10_000;
    private static final int MAX_PER_SUBJECT = 8;

    private final Clock clock;
    private final Map<Identifier, List<Credential>> bySubject = new ConcurrentHashMap<>();
    private volatile CredentialVerifier verifier;

    public AttributeStore(Clock clock) {
        this.clock = clock;
    }

    public void setVerifier(CredentialVerifier v) {
        this.verifier = v;
    }

    /** Adds a credential that has been verified for its subject. Returns false if the store is full. */
    public boolean add(Credential c) {
        if (bySubject.size() >= MAX_SUBJECTS && !bySubject.containsKey(c.subject())) {
            return false;
        }
        List<Credential> l = bySubject.computeIfAbsent(c.subject(), k -> new CopyOnWriteArrayList<>());
        l.removeIf(old -> old.issuer().equals(c.issuer()) && old.attributes().keySet().equals(c.attributes().keySet())
                && !old.expiresAt().isAfter(c.expiresAt()));
        if (l.size() >= MAX_PER_SUBJECT) {
            l.remove(0);
        }
        l.add(c);
        return true;
    }

    /** The merged attributes of a subject's currently valid credentials (later credentials win on conflicts). */
    public Map<String, String> attributes(Identifier subject) {
        if (subject == null) {
            return Map.of();
        }
        List<Credential> l = bySubject.get(subject);
        if (l == null) {
            return Map.of();
        }
        long now = clock.instant().getEpochSecond();
        CredentialVerifier v = verifier;
        Map<String, String> out = new TreeMap<>();
        for (Credential c : l) {
            if (c.expiresAt().getEpochSecond() >= now && c.issuedAt().getEpochSecond() <= now + 60
                    && (v == null || !v.isRevoked(c))) {
                out.putAll(c.attributes());
            }
        }
        return java.util.Collections.unmodifiableMap(out);
    }

    public void forget(Identifier subject) {
        bySubject.remove(subject);
    }
}
