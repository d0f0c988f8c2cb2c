package io.hopseal.vault;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.Random;

import org.junit.jupiter.api.Test;

import io.hopseal.api.vault.KeyHandle;
import io.hopseal.api.vault.KeyType;

class Ed25519SignaturesTest {

    @Test
    void acceptsAGoodSignatureOnly() {
        MemoryVault vault = new MemoryVault();
        KeyHandle id = vault.generate(KeyType.ED25519, "id");
        byte[] pub = vault.publicKey(id);
        byte[] data = {1, 2, 3};
        byte[] sig = vault.sign(id, data);

        assertThat(Ed25519Signatures.verifyEd25519(pub, data, sig)).isTrue();
        for (int bit = 0; bit < sig.length * 8; bit++) {
            byte[] bad = sig.clone();
            bad[bit / 8] ^= (byte) (1 << (bit % 8));
            assertThat(Ed25519Signatures.verifyEd25519(pub, data, bad)).as("bit %d", bit).isFalse();
        }
        byte[] otherPub = vault.publicKey(vault.generate(KeyType.ED25519, "other"));
        assertThat(Ed25519Signatures.verifyEd25519(otherPub, data, sig)).isFalse();
    }

    @Test
    void neverThrowsOnGarbage() {
        byte[] pub = new byte[32];
        byte[] sig = new byte[64];
        assertThat(Ed25519Signatures.verifyEd25519(null, new byte[0], sig)).isFalse();
        assertThat(Ed25519Signatures.verifyEd25519(pub, null, sig)).isFalse();
        assertThat(Ed25519Signatures.verifyEd25519(pub, new byte[0], null)).isFalse();
        assertThat(Ed25519Signatures.verifyEd25519(new byte[31], new byte[0], sig)).isFalse();
        assertThat(Ed25519Signatures.verifyEd25519(new byte[33], new byte[0], sig)).isFalse();
        assertThat(Ed25519Signatures.verifyEd25519(pub, new byte[0], new byte[63])).isFalse();
        assertThat(Ed25519Signatures.verifyEd25519(pub, new byte[0], new byte[65])).isFalse();
        byte[] ones = new byte[32];
        Arrays.fill(ones, (byte) 0xff);
        assertThat(Ed25519Signatures.verifyEd25519(ones, new byte[0], sig)).isFalse();
        Random random = new Random(42);
        for (int i = 0; i < 2000; i++) {
            byte[] p = new byte[32];
            byte[] s = new byte[64];
            byte[] d = new byte[random.nextInt(100)];
            random.nextBytes(p);
            random.nextBytes(s);
            random.nextBytes(d);
            assertThat(Ed25519Signatures.verifyEd25519(p, d, s)).isFalse();
        }
    }

    @Test
    void refusesTheSmallOrderIdentityKeyThatWouldVerifyAnything() {
        // A = identity point, R = identity, S = 0 satisfies [S]B = R + [k]A for every message unless small-order
        // public keys are rejected.
        byte[] identity = new byte[32];
        identity[0] = 1;
        byte[] sig = new byte[64];
        sig[0] = 1;
        assertThat(Ed25519Signatures.verifyEd25519(identity, "anything".getBytes(), sig)).isFalse();
    }

    @Test
    void refusesNonCanonicalS() {
        MemoryVault vault = new MemoryVault();
        KeyHandle id = vault.generate(KeyType.ED25519, "id");
        byte[] data = {9};
        byte[] sig = vault.sign(id, data);
        // S + L (group order) is the same scalar mod L but not canonical: must be refused (malleability)
        byte[] l = java.util.HexFormat.of().parseHex(
                "edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010");
        byte[] malleated = sig.clone();
        int carry = 0;
        for (int i = 0; i < 32; i++) {
            int sum = (sig[32 + i] & 0xff) + (l[i] & 0xff) + carry;
            malleated[32 + i] = (byte) sum;
            carry = sum >>> 8;
        }
        assertThat(Ed25519Signatures.verifyEd25519(vault.publicKey(id), data, malleated)).isFalse();
    }
}
