package io.hopseal.api.identity;

import java.util.Arrays;
import java.util.HexFormat;
import java.util.Objects;

/**
 * The permanent name of an identity: the first {@value #LENGTH} bytes of a SHA-256 hash over the identity's first
 * public key record (see {@code docs/protocol.md}). Text form {@code I} followed by 40 lowercase hex digits.
 */
public final class Identifier implements Comparable<Identifier> {
    public static final int LENGTH = 20;

    private final byte[] bytes;

    private Identifier(byte[] bytes) {
        this.bytes = bytes;
    }

    public static Identifier of(byte[] bytes) {
        Objects.requireNonNull(bytes, "bytes");
        if (bytes.length != LENGTH) {
            throw new IllegalArgumentException("identifier must be " + LENGTH + " bytes, was " + bytes.length);
        }
        return new Identifier(bytes.clone());
    }

    /**
     * Parses {@code I<40 hex digits>}.
     *
     * @throws IllegalArgumentException with the reason
     */
    public static Identifier parse(String text) {
        Objects.requireNonNull(text, "identifier text");
        String s = text.strip();
        if (s.length() != 1 + 2 * LENGTH || (s.charAt(0) != 'I' && s.charAt(0) != 'i')) {
            throw new IllegalArgumentException("identifier must be 'I' followed by " + 2 * LENGTH + " hex digits: '" + text + "'");
        }
        try {
            return new Identifier(HexFormat.of().parseHex(s, 1, s.length()));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("identifier has a non-hex digit: '" + text + "'");
        }
    }

    public byte[] bytes() {
        return bytes.clone();
    }

    /** Copies the bytes into {@code dst} at {@code offset}. */
    public void copyTo(byte[] dst, int offset) {
        System.arraycopy(bytes, 0, dst, offset, LENGTH);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Identifier i && Arrays.equals(i.bytes, bytes);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(bytes);
    }

    @Override
    public int compareTo(Identifier o) {
        return Arrays.compareUnsigned(bytes, o.bytes);
    }

    @Override
    public String toString() {
        return "I" + HexFormat.of().formatHex(bytes);
    }
}
