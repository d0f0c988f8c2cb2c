package io.hopseal.impl.noise;

import java.util.Arrays;
import java.util.Objects;

/**
 * Noise CipherState (§5.1): a key (possibly empty) and an implicit 64-bit counter. Used inside the handshake
 * and for in-order transports; datagram channels use {@link AeadKey} with explicit nonces instead.
 *
 * <p>Not thread-safe. Owns its key: {@link #close()} and {@link #rekey()} close the previous one.
 */
public final class CipherState implements AutoCloseable {
    private final NoiseCipher function;
    private AeadKey key;
    private long n;

    /** An empty CipherState (no key: encryption is the identity, as during the first handshake tokens). */
    public CipherState(NoiseCipher function) {
        this.function = Objects.requireNonNull(function, "function");
    }

    /** A CipherState that takes ownership of {@code key}, counter 0. */
    public CipherState(AeadKey key) {
        this.key = Objects.requireNonNull(key, "key");
        this.function = key.function();
    }

    /** InitializeKey(k): replaces the key (closing the old one) and resets the counter. */
    public void initializeKey(byte[] newKey) {
        AeadKey next = newKey == null ? null : AeadKey.of(function, newKey);
        if (key != null) {
            key.close();
        }
        key = next;
        n = 0;
    }

    /** HasKey(). */
    public boolean hasKey() {
        return key != null;
    }

    /** The next nonce to be used (unsigned 64-bit). */
    public long nonce() {
        return n;
    }

    /** SetNonce(n). */
    public void setNonce(long nonce) {
        this.n = nonce;
    }

    /** EncryptWithAd(ad, plaintext): ciphertext (plaintext copy when there is no key); advances the counter. */
    public byte[] encryptWithAd(byte[] ad, byte[] plaintext) {
        byte[] out = new byte[plaintext.length + (key == null ? 0 : AeadKey.TAG_LENGTH)];
        encryptWithAd(ad, plaintext, 0, plaintext.length, out, 0);
        return out;
    }

    /** EncryptWithAd into {@code out}; returns bytes written. */
    int encryptWithAd(byte[] ad, byte[] in, int off, int len, byte[] out, int outOff) {
        if (key == null) {
            System.arraycopy(in, off, out, outOff, len);
            return len;
        }
        checkNotExhausted();
        int written = key.encrypt(n, ad, in, off, len, out, outOff);
        n++;
        return written;
    }

    /**
     * DecryptWithAd(ad, ciphertext): the plaintext; advances the counter only on success.
     *
     * @throws NoiseException if authentication fails
     */
    public byte[] decryptWithAd(byte[] ad, byte[] ciphertext) {
        return decryptWithAd(ad, ciphertext, 0, ciphertext.length);
    }

    /** DecryptWithAd over a slice. */
    public byte[] decryptWithAd(byte[] ad, byte[] in, int off, int len) {
        if (key == null) {
            return Arrays.copyOfRange(in, off, off + len);
        }
        checkNotExhausted();
        byte[] plaintext = key.decrypt(n, ad, in, off, len);
        n++;
        return plaintext;
    }

    /** Rekey(): replaces the key with REKEY(k), keeping the counter (§11.3). */
    public void rekey() {
        if (key == null) {
            throw new IllegalStateException("no key to rekey");
        }
        AeadKey next = key.rekeyed();
        key.close();
        key = next;
    }

    /** An independent copy (own key object and cipher), for transactional handshake processing. */
    CipherState copy() {
        CipherState c = new CipherState(function);
        c.key = key == null ? null : key.copy();
        c.n = n;
        return c;
    }

    /** Wipes the key. */
    @Override
    public void close() {
        if (key != null) {
            key.close();
            key = null;
        }
    }

    private void checkNotExhausted() {
        if (n == AeadKey.RESERVED_NONCE) {
            throw new IllegalStateException("nonce space exhausted");
        }
    }

    @Override
    public String toString() {
        return "CipherState[" + function.noiseName() + (key == null ? ", empty" : "") + ", n="
                + Long.toUnsignedString(n) + "]";
    }
}
