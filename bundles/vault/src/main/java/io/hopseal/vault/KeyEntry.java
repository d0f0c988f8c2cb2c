package io.hopseal.vault;

import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Objects;

import org.bouncycastle.math.ec.rfc7748.X25519;
import org.bouncycastle.math.ec.rfc8032.Ed25519;

import io.hopseal.api.vault.KeyHandle;
import io.hopseal.api.vault.KeyType;
import io.hopseal.api.vault.VaultException;

/**
 * One stored key: its handle, its 32-byte private key and the 32-byte public key derived from it. Package-private:
 * the private bytes never leave this package (only {@link FileVault} serializes them, encrypted).
 *
 * <p>The public key is always computed here from the private key, never taken from outside: BouncyCastle's Ed25519
 * {@code sign} is given the public key to avoid recomputing it, and signing with a wrong public key would leak the
 * private key (the "double public key" oracle), so it must never come from a file or a caller.
 */
final class KeyEntry {
    static final int KEY_SIZE = 32;
    static final int SIGNATURE_SIZE = Ed25519.SIGNATURE_SIZE;

    private final KeyHandle handle;
    private final byte[] secret;
    private final byte[] publicKey;
    private volatile boolean wiped;

    private KeyEntry(KeyHandle handle, byte[] secret) {
        this.handle = handle;
        this.secret = secret;
        this.publicKey = new byte[KEY_SIZE];
        switch (handle.type()) {
            case X25519 -> X25519.scalarMultBase(secret, 0, publicKey, 0);
            case ED25519 -> Ed25519.generatePublicKey(secret, 0, publicKey, 0);
            default -> throw new IllegalStateException("unknown key type " + handle.type());
        }
    }

    /** A fresh random key. */
    static KeyEntry generate(KeyType type, String label, SecureRandom random) {
        KeyHandle handle = new KeyHandle(label, type);
        byte[] secret = new byte[KEY_SIZE];
        switch (type) {
            case X25519 -> X25519.generatePrivateKey(random, secret);
            case ED25519 -> Ed25519.generatePrivateKey(random, secret);
            default -> throw new IllegalStateException("unknown key type " + type);
        }
        return new KeyEntry(handle, secret);
    }

    /** A key from stored private bytes ({@code secret[offset..offset+32)} is copied; the caller wipes its array). */
    static KeyEntry fromSecret(KeyType type, String label, byte[] secret, int offset) {
        Objects.checkFromIndexSize(offset, KEY_SIZE, secret.length);
        return new KeyEntry(new KeyHandle(label, type), Arrays.copyOfRange(secret, offset, offset + KEY_SIZE));
    }

    KeyHandle handle() {
        return handle;
    }

    KeyType type() {
        return handle.type();
    }

    String label() {
        return handle.label();
    }

    byte[] publicKeyCopy() {
        return publicKey.clone();
    }

    /** Copies the private key into {@code out} (for encrypted serialization only). */
    void writeSecret(byte[] out, int offset) {
        System.arraycopy(secret, 0, out, offset, KEY_SIZE);
    }

    /** Pure Ed25519 (RFC 8032) signature. The caller has checked the key type. */
    byte[] sign(byte[] data) {
        Objects.requireNonNull(data, "data");
        byte[] signature = new byte[SIGNATURE_SIZE];
        Ed25519.sign(secret, 0, publicKey, 0, data, 0, data.length, signature, 0);
        return signature;
    }

    /**
     * X25519 agreement. The caller has checked the key type.
     *
     * @param owner names the vault, for the exception message
     */
    byte[] agree(byte[] peerPublicKey, String owner) {
        Objects.requireNonNull(peerPublicKey, "peerPublicKey");
        if (peerPublicKey.length != KEY_SIZE) {
            throw new VaultException(owner + ": X25519 peer public key must be " + KEY_SIZE + " bytes, was "
                    + peerPublicKey.length);
        }
        byte[] shared = new byte[KEY_SIZE];
        if (!X25519.calculateAgreement(secret, 0, peerPublicKey, 0, shared, 0)) {
            Arrays.fill(shared, (byte) 0);
            throw new VaultException(owner + ": X25519 agreement with key '" + label()
                    + "' gave the all-zero result (the peer public key is a low-order point); refused");
        }
        return shared;
    }

    /**
     * Seals (or, with {@code encrypt} false, opens) under a key derived from this X25519 key and {@code context}:
     * HMAC-SHA256(private key, "hopseal/vault/seal/v1" ‖ 0x00 ‖ context), used as an AES-256-GCM key with a random
     * 12-byte nonce in front of the ciphertext. The derived key lives only inside this call. The caller has checked
     * the key type.
     */
    byte[] sealOrOpen(boolean encrypt, String context, byte[] ad, byte[] data, SecureRandom random, String owner) {
        Objects.requireNonNull(context, "context");
        Objects.requireNonNull(data, "data");
        byte[] k = null;
        try {
            javax.crypto.Mac mac = javax.crypto.Mac.getInstance("HmacSHA256");
            mac.init(new javax.crypto.spec.SecretKeySpec(secret, "HmacSHA256"));
            mac.update("hopseal/vault/seal/v1".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            mac.update((byte) 0);
            k = mac.doFinal(context.getBytes(java.nio.charset.StandardCharsets.UTF_8));
            javax.crypto.Cipher c = javax.crypto.Cipher.getInstance("AES/GCM/NoPadding");
            javax.crypto.spec.SecretKeySpec aes = new javax.crypto.spec.SecretKeySpec(k, "AES");
            if (encrypt) {
                byte[] nonce = new byte[SEAL_NONCE];
                random.nextBytes(nonce);
                c.init(javax.crypto.Cipher.ENCRYPT_MODE, aes, new javax.crypto.spec.GCMParameterSpec(128, nonce));
                if (ad != null) {
                    c.updateAAD(ad);
                }
                byte[] out = new byte[SEAL_NONCE + data.length + 16];
                System.arraycopy(nonce, 0, out, 0, SEAL_NONCE);
                c.doFinal(data, 0, data.length, out, SEAL_NONCE);
                return out;
            }
            if (data.length < SEAL_NONCE + 16) {
                throw new VaultException(owner + ": sealed data is too short (" + data.length + " bytes)");
            }
            c.init(javax.crypto.Cipher.DECRYPT_MODE, aes, new javax.crypto.spec.GCMParameterSpec(128, data, 0, SEAL_NONCE));
            if (ad != null) {
                c.updateAAD(ad);
            }
            return c.doFinal(data, SEAL_NONCE, data.length - SEAL_NONCE);
        } catch (javax.crypto.AEADBadTagException e) {
            throw new VaultException(owner + ": sealed data does not authenticate under key '" + label()
                    + "' (another vault, another context, or changed bytes)");
        } catch (java.security.GeneralSecurityException e) {
            throw new VaultException(owner + ": sealing with key '" + label() + "' failed: " + e.getClass().getSimpleName());
        } finally {
            if (k != null) {
                Arrays.fill(k, (byte) 0);
            }
        }
    }

    static final int SEAL_NONCE = 12;

    /** Overwrites the private (and public) key bytes. The entry is unusable afterwards. */
    void wipe() {
        wiped = true;
        Arrays.fill(secret, (byte) 0);
        Arrays.fill(publicKey, (byte) 0);
    }

    boolean isWiped() {
        return wiped;
    }

    @Override
    public String toString() {
        return "KeyEntry[" + handle.label() + ", " + handle.type() + "]";
    }
}
