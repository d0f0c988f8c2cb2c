package io.hopseal.impl.noise;

import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Objects;
import org.bouncycastle.math.ec.rfc7748.X25519;

/**
 * An X25519 key pair held in memory (BouncyCastle's lightweight X25519, ~5x faster key generation than the
 * JDK's). Used for ephemerals and for static keys that are not in a vault. {@link #close()} wipes the private
 * key. Safe for concurrent {@link #agree} calls; do not close while another thread uses it.
 */
public final class LocalKeyPair implements StaticKeyPair, AutoCloseable {
    /** Length of X25519 private and public keys. */
    public static final int KEY_LENGTH = 32;

    private final byte[] privateKey;
    private final byte[] publicKey;
    private volatile boolean closed;

    private LocalKeyPair(byte[] privateKey) {
        this.privateKey = privateKey;
        this.publicKey = new byte[KEY_LENGTH];
        X25519.generatePublicKey(privateKey, 0, publicKey, 0);
    }

    /** A fresh key pair from {@code random}. */
    public static LocalKeyPair generate(SecureRandom random) {
        Objects.requireNonNull(random, "random");
        byte[] k = new byte[KEY_LENGTH];
        X25519.generatePrivateKey(random, k);
        return new LocalKeyPair(k);
    }

    /** A key pair from a 32-byte private key (copied; clamping happens inside X25519). */
    public static LocalKeyPair fromPrivate(byte[] privateKey) {
        Objects.requireNonNull(privateKey, "privateKey");
        if (privateKey.length != KEY_LENGTH) {
            throw new IllegalArgumentException("X25519 private key must be 32 bytes, got " + privateKey.length);
        }
        return new LocalKeyPair(privateKey.clone());
    }

    @Override
    public byte[] publicKey() {
        return publicKey.clone();
    }

    /**
     * X25519 with the peer's public key.
     *
     * @throws NoiseException if the peer key has the wrong length or the result is all zero (low-order key)
     * @throws IllegalStateException if this key pair was closed
     */
    @Override
    public byte[] agree(byte[] peerPublicKey) {
        if (closed) {
            throw new IllegalStateException("key pair is closed");
        }
        if (peerPublicKey == null || peerPublicKey.length != KEY_LENGTH) {
            throw new NoiseException("X25519 public key must be 32 bytes");
        }
        byte[] shared = new byte[KEY_LENGTH];
        // BC checks for the all-zero output in constant time and reports it as false.
        if (!X25519.calculateAgreement(privateKey, 0, peerPublicKey, 0, shared, 0)) {
            Arrays.fill(shared, (byte) 0);
            throw new NoiseException("X25519 produced an all-zero shared secret (low-order public key)");
        }
        return shared;
    }

    /** True once {@link #close()} was called. */
    public boolean isClosed() {
        return closed;
    }

    /** Wipes the private key; idempotent. */
    @Override
    public void close() {
        closed = true;
        Arrays.fill(privateKey, (byte) 0);
    }

    @Override
    public String toString() {
        return "LocalKeyPair[X25519" + (closed ? ", closed" : "") + "]";
    }
}
