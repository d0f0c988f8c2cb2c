package io.hopseal.impl.noise;

/**
 * A local X25519 static key pair as the handshake sees it: the public key and the ability to agree. The
 * private key may live in a vault or HSM; the handshake never asks for it.
 */
public interface StaticKeyPair {

    /** The 32-byte X25519 public key (a copy the caller may keep). */
    byte[] publicKey();

    /**
     * X25519(private key, peerPublicKey): the 32-byte shared secret, owned by the caller (who wipes it).
     * Implementations may throw {@link NoiseException} for an all-zero result (low-order peer key); the
     * handshake checks for that itself as well.
     */
    byte[] agree(byte[] peerPublicKey);
}
