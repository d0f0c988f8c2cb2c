package io.hopseal.impl.noise;

import java.security.NoSuchAlgorithmException;
import java.security.NoSuchProviderException;
import java.security.spec.AlgorithmParameterSpec;
import javax.crypto.Cipher;
import javax.crypto.NoSuchPaddingException;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.IvParameterSpec;

/**
 * Noise cipher functions supported by this implementation. Both use the JDK's SunJCE provider: AES-GCM is
 * several times faster there than in BouncyCastle (AES-NI intrinsics) and ChaCha20-Poly1305 measured equal,
 * so one JCA code path serves both.
 */
public enum NoiseCipher {
    /** AES-256-GCM; nonce = 4 zero bytes followed by the 64-bit counter big-endian. */
    AESGCM("AESGCM", "AES/GCM/NoPadding", "AES", true),
    /** ChaCha20-Poly1305 (RFC 8439); nonce = 4 zero bytes followed by the 64-bit counter little-endian. */
    CHACHAPOLY("ChaChaPoly", "ChaCha20-Poly1305", "ChaCha20", false);

    private final String noiseName;
    private final String transformation;
    private final String keyAlgorithm;
    private final boolean bigEndianNonce;

    NoiseCipher(String noiseName, String transformation, String keyAlgorithm, boolean bigEndianNonce) {
        this.noiseName = noiseName;
        this.transformation = transformation;
        this.keyAlgorithm = keyAlgorithm;
        this.bigEndianNonce = bigEndianNonce;
    }

    /** The name used in Noise protocol names, e.g. {@code AESGCM}. */
    public String noiseName() {
        return noiseName;
    }

    /** Looks a cipher up by its Noise name; throws {@link IllegalArgumentException} when unsupported. */
    public static NoiseCipher fromNoiseName(String name) {
        for (NoiseCipher c : values()) {
            if (c.noiseName.equals(name)) {
                return c;
            }
        }
        throw new IllegalArgumentException(
                "unsupported Noise cipher function '" + name + "' (supported: AESGCM, ChaChaPoly)");
    }

    String keyAlgorithm() {
        return keyAlgorithm;
    }

    /**
     * A new JCA cipher, preferring SunJCE explicitly: if BouncyCastle is registered as a JCA provider ahead
     * of it (common in OSGi containers), the default lookup would pick BC's much slower pure-Java GCM.
     */
    Cipher newCipher() {
        try {
            try {
                return Cipher.getInstance(transformation, "SunJCE");
            } catch (NoSuchProviderException | NoSuchAlgorithmException e) {
                return Cipher.getInstance(transformation);
            }
        } catch (NoSuchAlgorithmException | NoSuchPaddingException e) {
            throw new IllegalStateException(transformation + " is not available in this JVM", e);
        }
    }

    /** Writes the 12-byte AEAD nonce for counter {@code n} into {@code iv}. */
    void encodeNonce(byte[] iv, long n) {
        iv[0] = 0;
        iv[1] = 0;
        iv[2] = 0;
        iv[3] = 0;
        if (bigEndianNonce) {
            for (int i = 0; i < 8; i++) {
                iv[11 - i] = (byte) (n >>> (8 * i));
            }
        } else {
            for (int i = 0; i < 8; i++) {
                iv[4 + i] = (byte) (n >>> (8 * i));
            }
        }
    }

    AlgorithmParameterSpec parameterSpec(byte[] iv) {
        return bigEndianNonce ? new GCMParameterSpec(AeadKey.TAG_LENGTH * 8, iv) : new IvParameterSpec(iv);
    }
}
