package io.hopseal.transport.lora.lorawan;

import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HexFormat;

import javax.crypto.Cipher;
import javax.crypto.spec.SecretKeySpec;

/**
 * An AES-128 key (NwkSKey, AppSKey, AppKey) with the single-block operations LoRaWAN needs. Thread-safe. Never
 * prints the key.
 */
public final class AesKey {
    private final byte[] key;
    private final Cipher enc;
    private final Cipher dec;

    public AesKey(byte[] key) {
        if (key == null || key.length != 16) {
            throw new IllegalArgumentException("an AES-128 key is 16 bytes" + (key == null ? "" : ", was " + key.length));
        }
        this.key = key.clone();
        try {
            SecretKeySpec spec = new SecretKeySpec(this.key, "AES");
            enc = Cipher.getInstance("AES/ECB/NoPadding");
            enc.init(Cipher.ENCRYPT_MODE, spec);
            dec = Cipher.getInstance("AES/ECB/NoPadding");
            dec.init(Cipher.DECRYPT_MODE, spec);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES/ECB/NoPadding is not available", e);
        }
    }

    /** From 32 hex digits. */
    public static AesKey ofHex(String hex) {
        String h = hex == null ? "" : hex.strip();
        if (h.length() != 32) {
            throw new IllegalArgumentException("a key is 32 hex digits, was " + h.length() + " characters");
        }
        try {
            return new AesKey(HexFormat.of().parseHex(h));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("a key is 32 hex digits: not hex");
        }
    }

    /** AES-128 encryption of blocks (length a multiple of 16). */
    public byte[] encrypt(byte[] blocks) {
        synchronized (enc) {
            try {
                return enc.doFinal(blocks);
            } catch (GeneralSecurityException e) {
                throw new IllegalArgumentException("AES input must be a multiple of 16 bytes", e);
            }
        }
    }

    /** AES-128 decryption of blocks (length a multiple of 16). */
    public byte[] decrypt(byte[] blocks) {
        synchronized (dec) {
            try {
                return dec.doFinal(blocks);
            } catch (GeneralSecurityException e) {
                throw new IllegalArgumentException("AES input must be a multiple of 16 bytes", e);
            }
        }
    }

    /** A copy of the key bytes (for configuration round trips and simulations). */
    public byte[] bytes() {
        return key.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof AesKey k && MessageDigest.isEqual(k.key, key);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(key);
    }

    @Override
    public String toString() {
        return "AesKey[***]";
    }
}
