package io.hopseal.impl.noise;

import java.util.Arrays;
import javax.crypto.SecretKey;

/**
 * A JCA key over a byte array we own, so the bytes can be wiped ({@link javax.crypto.spec.SecretKeySpec}
 * keeps a private copy that cannot be). The array is shared, not copied: wiping it wipes this key.
 */
final class RawSecretKey implements SecretKey {
    private static final long serialVersionUID = 1L;

    private final transient byte[] key;
    private final String algorithm;

    RawSecretKey(byte[] key, String algorithm) {
        this.key = key;
        this.algorithm = algorithm;
    }

    @Override
    public String getAlgorithm() {
        return algorithm;
    }

    @Override
    public String getFormat() {
        return "RAW";
    }

    @Override
    public byte[] getEncoded() {
        // Providers copy (and usually wipe) what they get; hand out a copy so they cannot alias our array.
        return key.clone();
    }

    @Override
    public void destroy() {
        Arrays.fill(key, (byte) 0);
    }

    @Override
    public String toString() {
        return "RawSecretKey[" + algorithm + "]";
    }
}
