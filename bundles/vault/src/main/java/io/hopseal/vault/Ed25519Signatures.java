package io.hopseal.vault;

import org.bouncycastle.math.ec.rfc8032.Ed25519;

/**
 * Verification of Ed25519 signatures made by others (a public operation: no vault needed).
 */
public final class Ed25519Signatures {

    /** Size of an Ed25519 public key, in bytes. */
    public static final int PUBLIC_KEY_SIZE = 32;
    /** Size of an Ed25519 signature, in bytes. */
    public static final int SIGNATURE_SIZE = 64;

    private Ed25519Signatures() {
    }

    /**
     * Verifies a pure Ed25519 (RFC 8032) signature. Never throws: {@code null}s, wrong lengths, public keys that are
     * not valid points (or are of small order) and non-canonical signatures all give {@code false}.
     *
     * @param publicKey the signer's 32-byte public key
     * @param data      the signed bytes
     * @param signature the 64-byte signature
     * @return whether the signature is valid for this key and data
     */
    public static boolean verifyEd25519(byte[] publicKey, byte[] data, byte[] signature) {
        if (publicKey == null || data == null || signature == null
                || publicKey.length != PUBLIC_KEY_SIZE || signature.length != SIGNATURE_SIZE) {
            return false;
        }
        try {
            return Ed25519.verify(signature, 0, publicKey, 0, data, 0, data.length);
        } catch (RuntimeException e) {
            return false;
        }
    }
}
