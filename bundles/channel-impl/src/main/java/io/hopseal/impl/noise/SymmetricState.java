package io.hopseal.impl.noise;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/** Noise SymmetricState (§5.2): chaining key, handshake hash and a CipherState. Not thread-safe. */
final class SymmetricState {
    private static final byte[] EMPTY = new byte[0];
    private static final byte[] ONE = {1};
    private static final byte[] TWO = {2};
    private static final byte[] THREE = {3};

    private final HashFunction hash;
    private final NoiseCipher cipher;
    private final int hashLen;
    private byte[] ck;
    private byte[] h;
    private CipherState cs;

    private SymmetricState(HashFunction hash, NoiseCipher cipher, int hashLen) {
        this.hash = hash;
        this.cipher = cipher;
        this.hashLen = hashLen;
    }

    /** InitializeSymmetric(protocol_name). */
    static SymmetricState initialize(NoiseProtocol protocol, HashFunction hash) {
        SymmetricState s = new SymmetricState(hash, protocol.cipher(), protocol.hash().hashLen());
        byte[] name = protocol.name().getBytes(StandardCharsets.US_ASCII);
        s.h = name.length <= s.hashLen ? Arrays.copyOf(name, s.hashLen) : hash.hash(name, EMPTY, 0, 0);
        s.ck = s.h.clone();
        s.cs = new CipherState(protocol.cipher());
        return s;
    }

    /** An independent deep copy (own ck, h, key object): work on it, then commit or destroy. */
    SymmetricState copy() {
        SymmetricState s = new SymmetricState(hash, cipher, hashLen);
        s.ck = ck.clone();
        s.h = h.clone();
        s.cs = cs.copy();
        return s;
    }

    void mixKey(byte[] ikm) {
        byte[][] out = hkdf(ikm, 2);
        replaceCk(out[0]);
        setKey(out[1]);
    }

    void mixHash(byte[] data) {
        mixHash(data, 0, data.length);
    }

    void mixHash(byte[] data, int off, int len) {
        h = hash.hash(h, data, off, len);
    }

    void mixKeyAndHash(byte[] ikm) {
        byte[][] out = hkdf(ikm, 3);
        replaceCk(out[0]);
        mixHash(out[1]);
        setKey(out[2]);
    }

    boolean hasKey() {
        return cs.hasKey();
    }

    byte[] handshakeHash() {
        return h.clone();
    }

    /** EncryptAndHash into {@code out}; returns bytes written. */
    int encryptAndHash(byte[] in, int off, int len, byte[] out, int outOff) {
        int written = cs.encryptWithAd(h, in, off, len, out, outOff);
        mixHash(out, outOff, written);
        return written;
    }

    /** DecryptAndHash of a slice; throws {@link NoiseException} on a bad tag. */
    byte[] decryptAndHash(byte[] in, int off, int len) {
        byte[] plaintext = cs.decryptWithAd(h, in, off, len);
        mixHash(in, off, len);
        return plaintext;
    }

    /** Split(): the two raw transport keys; the caller wipes them. */
    byte[][] split() {
        byte[][] out = hkdf(EMPTY, 2);
        return new byte[][] {truncate(out[0]), truncate(out[1])};
    }

    /** Wipes ck and the cipher key; h is kept (it is not secret and stays available as the handshake hash). */
    void destroy() {
        Arrays.fill(ck, (byte) 0);
        cs.close();
    }

    private void setKey(byte[] hkdfOutput) {
        byte[] k = truncate(hkdfOutput);
        cs.initializeKey(k);
        Arrays.fill(k, (byte) 0);
    }

    private void replaceCk(byte[] next) {
        Arrays.fill(ck, (byte) 0);
        ck = next;
    }

    /** HKDF(ck, ikm, n) of §4.3 with HMAC-HASH; intermediate values are wiped. */
    private byte[][] hkdf(byte[] ikm, int outputs) {
        byte[] tempKey = hash.hmac(ck, ikm, null);
        try {
            byte[] o1 = hash.hmac(tempKey, ONE, null);
            byte[] o2 = hash.hmac(tempKey, o1, TWO);
            if (outputs == 2) {
                return new byte[][] {o1, o2};
            }
            byte[] o3 = hash.hmac(tempKey, o2, THREE);
            return new byte[][] {o1, o2, o3};
        } finally {
            Arrays.fill(tempKey, (byte) 0);
        }
    }

    /** Cipher keys are 32 bytes; with a 64-byte hash the HKDF output is truncated (§5.2). */
    private static byte[] truncate(byte[] k) {
        if (k.length == AeadKey.KEY_LENGTH) {
            return k;
        }
        byte[] t = Arrays.copyOf(k, AeadKey.KEY_LENGTH);
        Arrays.fill(k, (byte) 0);
        return t;
    }
}
