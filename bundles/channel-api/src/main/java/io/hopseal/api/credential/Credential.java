package io.hopseal.api.credential;

import java.time.Instant;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

import io.hopseal.api.identity.Identifier;

/**
 * Attributes (e.g. {@code role=sensor}, {@code site=plant-3}) that an authority binds to a subject identifier for a
 * validity window. Immutable. The encoded form carries the authority's signature and the attestation of its signing
 * key (docs/protocol.md, "Credentials"); holding a Credential object does not mean it was verified.
 */
public final class Credential {
    private final byte[] id;
    private final Identifier issuer;
    private final Identifier subject;
    private final Instant issuedAt;
    private final Instant expiresAt;
    private final Map<String, String> attributes;
    private final byte[] encoded;

    public Credential(byte[] id, Identifier issuer, Identifier subject, Instant issuedAt, Instant expiresAt,
                      Map<String, String> attributes, byte[] encoded) {
        if (id == null || id.length != 8) {
            throw new IllegalArgumentException("credential id must be 8 bytes");
        }
        this.id = id.clone();
        this.issuer = Objects.requireNonNull(issuer, "issuer");
        this.subject = Objects.requireNonNull(subject, "subject");
        this.issuedAt = Objects.requireNonNull(issuedAt, "issuedAt");
        this.expiresAt = Objects.requireNonNull(expiresAt, "expiresAt");
        this.attributes = java.util.Collections.unmodifiableMap(new TreeMap<>(attributes));
        this.encoded = Objects.requireNonNull(encoded, "encoded").clone();
    }

    /** The credential id as 16 hex digits (used in revocation lists). */
    public String id() {
        return HexFormat.of().formatHex(id);
    }

    public byte[] idBytes() {
        return id.clone();
    }

    public Identifier issuer() {
        return issuer;
    }

    public Identifier subject() {
        return subject;
    }

    public Instant issuedAt() {
        return issuedAt;
    }

    public Instant expiresAt() {
        return expiresAt;
    }

    /** Sorted, unmodifiable. */
    public Map<String, String> attributes() {
        return attributes;
    }

    /** The signed encoding (a copy). */
    public byte[] encoded() {
        return encoded.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Credential c && Arrays.equals(c.encoded, encoded);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(encoded);
    }

    @Override
    public String toString() {
        return "Credential[" + id() + ", subject " + subject + ", issuer " + issuer + ", " + attributes + ", "
                + issuedAt + " .. " + expiresAt + "]";
    }
}
