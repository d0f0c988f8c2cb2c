package io.hopseal.impl.noise;

import java.security.GeneralSecurityException;
import java.security.InvalidAlgorithmParameterException;
import java.security.InvalidKeyException;
import java.util.Arrays;
import java.util.Objects;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.SecretKey;

/**
 * A transport key with explicit nonces: {@code ENCRYPT(k, n, ad, plaintext)} / {@code DECRYPT(...)} of Noise
 * §4.2, for datagram channels that carry the counter on the wire and keep their own replay window.
 *
 * <p>The key never changes while in use; {@link #rekeyed()} derives a new key object. A key holds only its 32 key
 * bytes: an idle channel must not keep two JCA {@link Cipher}s with their expanded key schedules and GCM state (about
 * 1.7 KB per channel end). Each operation borrows the calling thread's cached {@code Cipher} for this cipher function
 * and direction, and initialises it with this key and the message's nonce (JCA requires an init per GCM nonce anyway).
 * SunJCE re-expands the AES key schedule only when the key bytes differ from the previous init of that
 * {@code Cipher}, so a thread that serves one busy channel pays nothing for the sharing (encryption and decryption
 * have separate {@code Cipher}s: a channel's send and receive keys differ), and a thread that alternates between
 * channels pays one key expansion per message.
 *
 * <p><b>Not thread-safe:</b> use from one thread at a time; callers sharing a key synchronise themselves.
 * Nonce {@code 2^64-1} ({@code -1L}) is reserved by Noise for rekeying and refused here; all other values are
 * treated as unsigned 64-bit counters. The caller must never reuse a nonce for encryption; the JDK also
 * refuses an encryption with the same key and nonce as the immediately preceding one on the same thread.
 * Decrypting the same nonce again (a forgery followed by the genuine message) always works: replay protection is
 * the caller's job.
 */
public final class AeadKey implements AutoCloseable {
    /** Key length in bytes. */
    public static final int KEY_LENGTH = 32;
    /** Authentication tag length in bytes (the per-message ciphertext expansion). */
    public static final int TAG_LENGTH = 16;
    /** The reserved nonce 2^64-1, used only by {@link #rekeyed()}. */
    public static final long RESERVED_NONCE = -1L;

    private static final byte[] EMPTY = new byte[0];
    private static final NoiseCipher[] FUNCTIONS = NoiseCipher.values();

    /**
     * The one piece of static mutable state in the channel code, justified: per thread, one JCA {@code Cipher} per
     * (cipher function, direction), created on first use. A {@code Cipher} is not thread-safe and costs about 0.9 KB
     * once initialised, so holding two per key made every idle channel end cost 1.7 KB; borrowing the running
     * thread's own instance needs no locking and keeps the key schedule cached for the busy case. The value holds
     * only JDK classes ({@code Object[]} of {@code Cipher}s and a {@code byte[]}), so a thread that outlives this bundle (OSGi update) does not pin its class
     * loader. Index: {@code ordinal * 2 + (decrypt ? 1 : 0)} for the ciphers, then one 12-byte nonce buffer (the
     * parameter specs copy it).
     */
    private static final ThreadLocal<Object[]> CIPHERS = ThreadLocal.withInitial(() -> {
        Object[] slots = new Object[FUNCTIONS.length * 2 + 1];
        slots[FUNCTIONS.length * 2] = new byte[12];
        return slots;
    });

    private final NoiseCipher function;
    /**
     * The 32 key bytes as four big-endian longs: no array and no JCA key object per key (an idle channel end holds
     * two keys; as an array plus a JCA key view they cost 72 B more per key). Zeroed by {@link #close()}.
     */
    private long k0;
    private long k1;
    private long k2;
    private long k3;
    private boolean closed;

    /** Takes the 32 bytes of {@code key} (read, not kept: the caller wipes or keeps its array). */
    private AeadKey(NoiseCipher function, byte[] key) {
        this.function = function;
        this.k0 = longAt(key, 0);
        this.k1 = longAt(key, 8);
        this.k2 = longAt(key, 16);
        this.k3 = longAt(key, 24);
    }

    private AeadKey(AeadKey other) {
        this.function = other.function;
        this.k0 = other.k0;
        this.k1 = other.k1;
        this.k2 = other.k2;
        this.k3 = other.k3;
    }

    private static long longAt(byte[] b, int off) {
        long v = 0;
        for (int i = 0; i < 8; i++) {
            v = v << 8 | (b[off + i] & 0xff);
        }
        return v;
    }

    private static void putLong(byte[] b, int off, long v) {
        for (int i = 7; i >= 0; i--) {
            b[off + i] = (byte) v;
            v >>>= 8;
        }
    }

    /**
     * A JCA key for one {@code Cipher.init}: hands the provider a fresh copy of the key bytes each time it asks (as
     * {@link RawSecretKey} did), so the provider cannot alias anything of ours.
     */
    private SecretKey jcaKey() {
        return new SecretKey() {
            private static final long serialVersionUID = 1L;

            @Override
            public String getAlgorithm() {
                return function.keyAlgorithm();
            }

            @Override
            public String getFormat() {
                return "RAW";
            }

            @Override
            public byte[] getEncoded() {
                return keyBytes();
            }

            @Override
            public String toString() {
                return "AeadKey.jcaKey[" + function.noiseName() + "]";
            }
        };
    }

    /** A key for {@code function} from 32 key bytes (copied; the caller may wipe its array). */
    public static AeadKey of(NoiseCipher function, byte[] key) {
        Objects.requireNonNull(function, "function");
        Objects.requireNonNull(key, "key");
        if (key.length != KEY_LENGTH) {
            throw new IllegalArgumentException("cipher key must be 32 bytes, got " + key.length);
        }
        return new AeadKey(function, key);
    }

    /** The cipher function of this key. */
    public NoiseCipher function() {
        return function;
    }

    /** Encrypts all of {@code plaintext}; returns ciphertext with the 16-byte tag appended. */
    public byte[] encrypt(long nonce, byte[] ad, byte[] plaintext) {
        return encrypt(nonce, ad, plaintext, 0, plaintext.length);
    }

    /** Encrypts {@code in[off, off+len)}; returns ciphertext with the 16-byte tag appended. */
    public byte[] encrypt(long nonce, byte[] ad, byte[] in, int off, int len) {
        Objects.checkFromIndexSize(off, len, in.length);
        byte[] out = new byte[len + TAG_LENGTH];
        encrypt(nonce, ad, in, off, len, out, 0);
        return out;
    }

    /**
     * Encrypts {@code in[off, off+len)} into {@code out} at {@code outOff} (lets a caller put a header in
     * front without a copy). {@code out} needs {@code len + 16} bytes there.
     *
     * @return bytes written ({@code len + 16})
     * @throws IllegalArgumentException for the reserved nonce or a too small output
     * @throws IllegalStateException if closed, or if the JDK detects reuse of the previous nonce
     */
    public int encrypt(long nonce, byte[] ad, byte[] in, int off, int len, byte[] out, int outOff) {
        return encrypt(nonce, ad, 0, ad == null ? 0 : ad.length, in, off, len, out, outOff);
    }

    /**
     * As {@link #encrypt(long, byte[], byte[], int, int, byte[], int)} with the associated data
     * {@code ad[adOff, adOff+adLen)}: a header already written into {@code out} can be authenticated where it is.
     * The plaintext range must not overlap the output range unless it starts at the same offset of the same array.
     */
    public int encrypt(long nonce, byte[] ad, int adOff, int adLen, byte[] in, int off, int len, byte[] out,
                       int outOff) {
        checkUsable(nonce);
        Objects.checkFromIndexSize(off, len, in.length);
        Objects.checkFromIndexSize(outOff, len + TAG_LENGTH, out.length);
        if (adLen > 0) {
            Objects.checkFromIndexSize(adOff, adLen, ad.length);
        }
        Object[] slots = CIPHERS.get();
        Cipher cipher = cipher(slots, false);
        try {
            cipher.init(Cipher.ENCRYPT_MODE, jcaKey(), spec(slots, nonce));
        } catch (InvalidKeyException | InvalidAlgorithmParameterException e) {
            // SunJCE refuses to encrypt twice in a row under the same key and nonce.
            throw new IllegalStateException("refusing to reuse nonce " + Long.toUnsignedString(nonce), e);
        }
        try {
            if (adLen > 0) {
                cipher.updateAAD(ad, adOff, adLen);
            }
            return cipher.doFinal(in, off, len, out, outOff);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AEAD encryption failed", e);
        }
    }

    /** Decrypts and authenticates all of {@code ciphertext} (tag included). */
    public byte[] decrypt(long nonce, byte[] ad, byte[] ciphertext) {
        return decrypt(nonce, ad, ciphertext, 0, ciphertext.length);
    }

    /**
     * Decrypts and authenticates {@code ciphertext[off, off+len)} (tag included).
     *
     * @return the plaintext, only ever after the tag verified
     * @throws NoiseException if authentication fails or the input is shorter than a tag
     */
    public byte[] decrypt(long nonce, byte[] ad, byte[] ciphertext, int off, int len) {
        Objects.checkFromIndexSize(off, len, ciphertext.length);
        if (len < TAG_LENGTH) {
            checkUsable(nonce);
            throw new NoiseException("ciphertext shorter than the authentication tag");
        }
        byte[] out = len == TAG_LENGTH ? EMPTY : new byte[len - TAG_LENGTH];
        decrypt(nonce, ad, ciphertext, off, len, out, 0);
        return out;
    }

    /**
     * Decrypts into {@code out} at {@code outOff} ({@code len - 16} bytes). On failure the output range is
     * zeroed, so unauthenticated plaintext is never left behind.
     *
     * @return bytes written ({@code len - 16})
     * @throws NoiseException if authentication fails or the input is shorter than a tag
     */
    public int decrypt(long nonce, byte[] ad, byte[] in, int off, int len, byte[] out, int outOff) {
        return decrypt(nonce, ad, 0, ad == null ? 0 : ad.length, in, off, len, out, outOff);
    }

    /**
     * Decrypts {@code in[off, off+len)} (tag included) with associated data {@code ad[adOff, adOff+adLen)} into
     * {@code out} at {@code outOff}. In place ({@code out == in && outOff == off}) is allowed: the JDK's AEAD
     * ciphers verify the tag over the whole ciphertext before they write any plaintext, so a forgery leaves the
     * input untouched (in place it is not zeroed either: it is still the ciphertext). Other overlaps are refused.
     * When not in place, the output range is zeroed on failure, so unauthenticated plaintext is never left behind.
     *
     * @return bytes written ({@code len - 16})
     * @throws NoiseException if authentication fails or the input is shorter than a tag
     */
    public int decrypt(long nonce, byte[] ad, int adOff, int adLen, byte[] in, int off, int len, byte[] out,
                       int outOff) {
        checkUsable(nonce);
        Objects.checkFromIndexSize(off, len, in.length);
        if (len < TAG_LENGTH) {
            throw new NoiseException("ciphertext shorter than the authentication tag");
        }
        int plainLen = len - TAG_LENGTH;
        Objects.checkFromIndexSize(outOff, plainLen, out.length);
        if (adLen > 0) {
            Objects.checkFromIndexSize(adOff, adLen, ad.length);
        }
        boolean inPlace = out == in && outOff == off;
        if (out == in && !inPlace && outOff < off + len && off < outOff + plainLen) {
            throw new IllegalArgumentException("output overlaps the ciphertext (only exact in-place is allowed)");
        }
        Object[] slots = CIPHERS.get();
        Cipher cipher = cipher(slots, true);
        try {
            initForDecryption(cipher, slots, nonce);
            if (adLen > 0) {
                cipher.updateAAD(ad, adOff, adLen);
            }
            return cipher.doFinal(in, off, len, out, outOff);
        } catch (AEADBadTagException e) {
            if (!inPlace) {
                Arrays.fill(out, outOff, outOff + plainLen, (byte) 0);
            }
            throw new NoiseException("authentication failed");
        } catch (GeneralSecurityException e) {
            if (!inPlace) {
                Arrays.fill(out, outOff, outOff + plainLen, (byte) 0);
            }
            throw new IllegalStateException("AEAD decryption failed", e);
        }
    }

    /**
     * Noise REKEY: a new key {@code k' = ENCRYPT(k, 2^64-1, empty, 32 zero bytes)[0..32)}. This key is left
     * unchanged, so a receiver can keep both while messages under the old key may still arrive.
     */
    public AeadKey rekeyed() {
        if (closed) {
            throw new IllegalStateException("key is closed");
        }
        // A separate Cipher: the JDK refuses a second encryption under (k, 2^64-1) on the same instance, and
        // rekeying the same key twice must give the same result. Rekeys are rare (one per rekey interval).
        Cipher c = function.newCipher();
        byte[] out = new byte[KEY_LENGTH + TAG_LENGTH];
        try {
            c.init(Cipher.ENCRYPT_MODE, jcaKey(),
                    spec(CIPHERS.get(), RESERVED_NONCE));
            c.doFinal(new byte[KEY_LENGTH], 0, KEY_LENGTH, out, 0);
            return new AeadKey(function, out); // reads the first 32 bytes; out is wiped below
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("rekey failed", e);
        } finally {
            Arrays.fill(out, (byte) 0);
        }
    }

    /** An independent copy (the handshake's transactional reads use it). */
    AeadKey copy() {
        if (closed) {
            throw new IllegalStateException("key is closed");
        }
        return new AeadKey(this);
    }

    /**
     * The 32 key bytes, for sealing a channel session at rest under a vault key (channel resumption) and nothing
     * else; the caller wipes the array.
     */
    public byte[] exportKey() {
        if (closed) {
            throw new IllegalStateException("key is closed");
        }
        return keyBytes();
    }

    /** A fresh array with the 32 key bytes. */
    private byte[] keyBytes() {
        byte[] b = new byte[KEY_LENGTH];
        putLong(b, 0, k0);
        putLong(b, 8, k1);
        putLong(b, 16, k2);
        putLong(b, 24, k3);
        return b;
    }

    /** True once {@link #close()} was called. */
    public boolean isClosed() {
        return closed;
    }

    /**
     * Wipes the key (zeroes the four longs that hold it). Idempotent. The key schedule that a thread's cached {@code Cipher} derived from this key
     * stays inside the JDK provider until that thread next uses the {@code Cipher} with another key (JCA offers no
     * way to wipe it short of a full re-initialisation with another key, which this method used to do for every
     * discarded key at the cost of a key expansion each).
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        k0 = 0;
        k1 = 0;
        k2 = 0;
        k3 = 0;
    }

    private void checkUsable(long nonce) {
        if (closed) {
            throw new IllegalStateException("key is closed");
        }
        if (nonce == RESERVED_NONCE) {
            throw new IllegalArgumentException("nonce 2^64-1 is reserved by Noise");
        }
    }

    private Cipher cipher(Object[] slots, boolean decrypt) {
        int i = function.ordinal() * 2 + (decrypt ? 1 : 0);
        Cipher c = (Cipher) slots[i];
        if (c == null) {
            c = function.newCipher();
            slots[i] = c;
        }
        return c;
    }

    private java.security.spec.AlgorithmParameterSpec spec(Object[] slots, long nonce) {
        byte[] iv = (byte[]) slots[FUNCTIONS.length * 2];
        function.encodeNonce(iv, nonce);
        return function.parameterSpec(iv); // copies the nonce
    }

    private void initForDecryption(Cipher cipher, Object[] slots, long nonce) throws GeneralSecurityException {
        SecretKey k = jcaKey();
        try {
            cipher.init(Cipher.DECRYPT_MODE, k, spec(slots, nonce));
        } catch (InvalidKeyException | InvalidAlgorithmParameterException e) {
            // JDK 17's ChaCha20-Poly1305 refuses any re-init with the previous key and nonce, even to decrypt. A
            // forged datagram must not block the genuine one carrying the same nonce, so step through the reserved
            // nonce first (only on such retries, never on the normal path).
            cipher.init(Cipher.DECRYPT_MODE, k, spec(slots, RESERVED_NONCE));
            cipher.init(Cipher.DECRYPT_MODE, k, spec(slots, nonce));
        }
    }

    @Override
    public String toString() {
        return "AeadKey[" + function.noiseName() + (closed ? ", closed" : "") + "]";
    }
}
