package io.hopseal.impl.noise;

/** Noise DH functions supported by this implementation. */
public enum NoiseDh {
    /** Curve25519 (RFC 7748), computed with BouncyCastle's lightweight X25519 (fastest measured on the JVM). */
    X25519("25519", 32);

    private final String noiseName;
    private final int dhLen;

    NoiseDh(String noiseName, int dhLen) {
        this.noiseName = noiseName;
        this.dhLen = dhLen;
    }

    /** The name used in Noise protocol names, e.g. {@code 25519}. */
    public String noiseName() {
        return noiseName;
    }

    /** DHLEN: length of public keys and DH outputs in bytes. */
    public int dhLen() {
        return dhLen;
    }

    /** Looks a DH function up by its Noise name; throws {@link IllegalArgumentException} when unsupported. */
    public static NoiseDh fromNoiseName(String name) {
        for (NoiseDh d : values()) {
            if (d.noiseName.equals(name)) {
                return d;
            }
        }
        throw new IllegalArgumentException("unsupported Noise DH function '" + name + "' (supported: 25519)");
    }
}
