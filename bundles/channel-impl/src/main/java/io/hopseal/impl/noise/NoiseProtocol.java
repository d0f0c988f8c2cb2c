package io.hopseal.impl.noise;

import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * A concrete Noise protocol: {@code Noise_<pattern+modifiers>_<DH>_<cipher>_<hash>}, e.g.
 * {@code Noise_XX_25519_AESGCM_SHA256}. Immutable.
 *
 * @param name    the full protocol name, used verbatim to initialise the handshake hash
 * @param pattern the handshake pattern (with modifiers applied)
 * @param dh      the DH function
 * @param cipher  the AEAD cipher function
 * @param hash    the hash function
 */
public record NoiseProtocol(String name, HandshakePattern pattern, NoiseDh dh, NoiseCipher cipher, NoiseHash hash) {

    /** Noise limits every handshake and transport message to this many bytes (§3). */
    public static final int MAX_MESSAGE_LENGTH = 65535;

    public NoiseProtocol {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(pattern, "pattern");
        Objects.requireNonNull(dh, "dh");
        Objects.requireNonNull(cipher, "cipher");
        Objects.requireNonNull(hash, "hash");
        String expected = "Noise_" + pattern.name() + "_" + dh.noiseName() + "_" + cipher.noiseName() + "_"
                + hash.noiseName();
        if (!expected.equals(name)) {
            throw new IllegalArgumentException("protocol name '" + name + "' does not match its parts: " + expected);
        }
        if (name.getBytes(StandardCharsets.US_ASCII).length > 255) {
            throw new IllegalArgumentException("Noise protocol names are limited to 255 bytes");
        }
    }

    /**
     * Parses a protocol name.
     *
     * @throws IllegalArgumentException naming the unsupported or malformed part
     */
    public static NoiseProtocol parse(String name) {
        Objects.requireNonNull(name, "name");
        String[] parts = name.split("_", -1);
        if (parts.length != 5 || !parts[0].equals("Noise")) {
            throw new IllegalArgumentException(
                    "malformed Noise protocol name '" + name + "' (expected Noise_<pattern>_<DH>_<cipher>_<hash>)");
        }
        HandshakePattern pattern = HandshakePattern.forName(parts[1]);
        NoiseDh dh = NoiseDh.fromNoiseName(parts[2]);
        NoiseCipher cipher = NoiseCipher.fromNoiseName(parts[3]);
        NoiseHash hash = NoiseHash.fromNoiseName(parts[4]);
        return new NoiseProtocol(name, pattern, dh, cipher, hash);
    }

    /**
     * Bytes the handshake adds to the payload of handshake message {@code index} (0-based): the message is
     * exactly {@code messageOverhead(index) + payload.length} bytes long.
     */
    public int messageOverhead(int index) {
        return pattern.messageOverhead(index, dh.dhLen(), AeadKey.TAG_LENGTH);
    }

    @Override
    public String toString() {
        return name;
    }
}
