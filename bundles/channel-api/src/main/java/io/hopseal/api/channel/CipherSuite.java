package io.hopseal.api.channel;

/** Noise cipher and hash choices (DH is always 25519). */
public enum CipherSuite {
    /** AES-256-GCM with SHA-256 (the default, as in Ockam; fastest on CPUs with AES instructions). */
    AESGCM_SHA256("AESGCM", "SHA256"),
    /** ChaCha20-Poly1305 with BLAKE2s (for devices without AES hardware). */
    CHACHAPOLY_BLAKE2S("ChaChaPoly", "BLAKE2s");

    private final String cipher;
    private final String hash;

    CipherSuite(String cipher, String hash) {
        this.cipher = cipher;
        this.hash = hash;
    }

    /** The Noise protocol name for a pattern, e.g. {@code Noise_XX_25519_AESGCM_SHA256}. */
    public String noiseName(HandshakePattern pattern) {
        return "Noise_" + pattern.name() + "_25519_" + cipher + "_" + hash;
    }
}
