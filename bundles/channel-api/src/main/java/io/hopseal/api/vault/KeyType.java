package io.hopseal.api.vault;

/** The key algorithms a vault holds. */
public enum KeyType {
    /** Diffie-Hellman key for Noise static keys (RFC 7748). Public key 32 bytes. */
    X25519,
    /** Signing key for identities (RFC 8032). Public key 32 bytes, signature 64 bytes. */
    ED25519
}
