package io.hopseal.impl.noise;

/** Noise hash functions supported by this implementation. */
public enum NoiseHash {
    /** SHA-256 through the JDK (intrinsics make it about 5x faster than BouncyCastle's). */
    SHA256("SHA256", 32, 64),
    /** BLAKE2s-256 through BouncyCastle (the JDK has none), HMAC built over it with BC's {@code HMac}. */
    BLAKE2S("BLAKE2s", 32, 64);

    private final String noiseName;
    private final int hashLen;
    private final int blockLen;

    NoiseHash(String noiseName, int hashLen, int blockLen) {
        this.noiseName = noiseName;
        this.hashLen = hashLen;
        this.blockLen = blockLen;
    }

    /** The name used in Noise protocol names, e.g. {@code SHA256}. */
    public String noiseName() {
        return noiseName;
    }

    /** HASHLEN in bytes. */
    public int hashLen() {
        return hashLen;
    }

    /** BLOCKLEN in bytes. */
    public int blockLen() {
        return blockLen;
    }

    /** Looks a hash up by its Noise name; throws {@link IllegalArgumentException} when unsupported. */
    public static NoiseHash fromNoiseName(String name) {
        for (NoiseHash h : values()) {
            if (h.noiseName.equals(name)) {
                return h;
            }
        }
        throw new IllegalArgumentException(
                "unsupported Noise hash function '" + name + "' (supported: SHA256, BLAKE2s)");
    }

    HashFunction newInstance() {
        return this == SHA256 ? new HashFunction.JdkSha256() : new HashFunction.Blake2s();
    }
}
