package io.hopseal.impl.noise;

import static io.hopseal.impl.noise.NoiseTestSupport.random;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HexFormat;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class AeadKeyTest {

    @ParameterizedTest
    @EnumSource(NoiseCipher.class)
    void encryptDecryptWithExplicitNonces(NoiseCipher function) {
        byte[] k = random(32);
        try (AeadKey a = AeadKey.of(function, k); AeadKey b = AeadKey.of(function, k)) {
            byte[] frame = new byte[40];
            int written = a.encrypt(5, new byte[] {1}, "0123456789".getBytes(), 2, 6, frame, 8);
            assertThat(written).isEqualTo(22);
            assertThat(b.decrypt(5, new byte[] {1}, frame, 8, written)).isEqualTo("234567".getBytes());
            byte[] out = new byte[10];
            assertThat(b.decrypt(5, new byte[] {1}, frame, 8, written, out, 3)).isEqualTo(6);
            assertThat(out).containsSubsequence("234567".getBytes());
            // Nonces count independently: decrypting out of order is fine for datagrams.
            byte[] c9 = a.encrypt(9, null, new byte[0]);
            byte[] c6 = a.encrypt(6, null, new byte[] {7});
            assertThat(b.decrypt(6, null, c6)).containsExactly(7);
            assertThat(b.decrypt(9, null, c9)).isEmpty();
            // Nonces are unsigned: 2^63 and 2^64-2 are ordinary.
            byte[] high = a.encrypt(-2L, null, new byte[] {3});
            assertThat(b.decrypt(-2L, null, high)).containsExactly(3);
            assertThat(b.decrypt(Long.MIN_VALUE, null, a.encrypt(Long.MIN_VALUE, null, new byte[] {4})))
                    .containsExactly(4);
        }
    }

    @ParameterizedTest
    @EnumSource(NoiseCipher.class)
    void wrongNonceAdOrTamperingFailsAndNeverLeaksPlaintext(NoiseCipher function) {
        try (AeadKey k = AeadKey.of(function, random(32))) {
            byte[] c = k.encrypt(1, new byte[] {1, 2}, "secret".getBytes());
            assertThatThrownBy(() -> k.decrypt(2, new byte[] {1, 2}, c)).isInstanceOf(NoiseException.class);
            assertThatThrownBy(() -> k.decrypt(1, new byte[] {1, 3}, c)).isInstanceOf(NoiseException.class);
            assertThatThrownBy(() -> k.decrypt(1, null, c)).isInstanceOf(NoiseException.class);
            byte[] tampered = c.clone();
            tampered[0] ^= 1;
            byte[] out = new byte[6];
            assertThatThrownBy(() -> k.decrypt(1, new byte[] {1, 2}, tampered, 0, tampered.length, out, 0))
                    .isInstanceOf(NoiseException.class).hasMessage("authentication failed");
            assertThat(out).containsOnly(0);
            assertThatThrownBy(() -> k.decrypt(1, null, new byte[15])).isInstanceOf(NoiseException.class);
            assertThat(k.decrypt(1, new byte[] {1, 2}, c)).isEqualTo("secret".getBytes());
        }
    }

    /** A forged datagram must not block the genuine one with the same nonce (JDK 17 ChaCha20 re-init quirk). */
    @ParameterizedTest
    @EnumSource(NoiseCipher.class)
    void forgeryDoesNotBlockTheGenuineMessageWithTheSameNonce(NoiseCipher function) {
        byte[] raw = random(32);
        try (AeadKey sender = AeadKey.of(function, raw); AeadKey receiver = AeadKey.of(function, raw)) {
            byte[] genuine = sender.encrypt(42, null, "real".getBytes());
            byte[] forged = genuine.clone();
            forged[1] ^= 0x40;
            for (int i = 0; i < 3; i++) {
                assertThatThrownBy(() -> receiver.decrypt(42, null, forged)).isInstanceOf(NoiseException.class);
            }
            assertThat(receiver.decrypt(42, null, genuine)).isEqualTo("real".getBytes());
            assertThat(receiver.decrypt(42, null, genuine)).isEqualTo("real".getBytes());
            // Loopback on one key object: encrypt then decrypt the same nonce.
            byte[] c = receiver.encrypt(7, null, new byte[] {1});
            assertThat(receiver.decrypt(7, null, c)).containsExactly(1);
        }
    }

    @ParameterizedTest
    @EnumSource(NoiseCipher.class)
    void reservedNonceIsRefused(NoiseCipher function) {
        try (AeadKey k = AeadKey.of(function, random(32))) {
            assertThatThrownBy(() -> k.encrypt(-1L, null, new byte[1])).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> k.decrypt(-1L, null, new byte[17], 0, 17))
                    .isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> k.decrypt(-1L, null, new byte[3], 0, 3))
                    .isInstanceOf(IllegalArgumentException.class);
        }
    }

    @ParameterizedTest
    @EnumSource(NoiseCipher.class)
    void immediateNonceReuseForEncryptionIsRefused(NoiseCipher function) {
        try (AeadKey k = AeadKey.of(function, random(32))) {
            k.encrypt(3, null, new byte[1]);
            assertThatThrownBy(() -> k.encrypt(3, null, new byte[1])).isInstanceOf(IllegalStateException.class);
            k.encrypt(4, null, new byte[1]); // still usable
        }
    }

    @ParameterizedTest
    @EnumSource(NoiseCipher.class)
    void rekeyedKeysInteroperateAndLeaveTheOriginalAlone(NoiseCipher function) {
        byte[] raw = random(32);
        try (AeadKey sender = AeadKey.of(function, raw); AeadKey receiver = AeadKey.of(function, raw);
                AeadKey sender2 = sender.rekeyed(); AeadKey receiver2 = receiver.rekeyed();
                AeadKey again = sender.rekeyed()) {
            byte[] c = sender2.encrypt(0, null, "after rekey".getBytes());
            assertThat(receiver2.decrypt(0, null, c)).isEqualTo("after rekey".getBytes());
            assertThatThrownBy(() -> receiver.decrypt(0, null, c)).isInstanceOf(NoiseException.class);
            // The original still works (late messages under the old key), and rekeying is deterministic.
            byte[] old = sender.encrypt(0, null, "before".getBytes());
            assertThat(receiver.decrypt(0, null, old)).isEqualTo("before".getBytes());
            assertThat(again.decrypt(0, null, c)).isEqualTo("after rekey".getBytes());
            // Two rekeys in a row chain.
            try (AeadKey s3 = sender2.rekeyed(); AeadKey r3 = receiver2.rekeyed()) {
                assertThat(r3.decrypt(1, null, s3.encrypt(1, null, new byte[] {5}))).containsExactly(5);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(NoiseCipher.class)
    void closeWipesAndToStringHidesKey(NoiseCipher function) {
        byte[] raw = random(32);
        AeadKey k = AeadKey.of(function, raw);
        String hex = HexFormat.of().formatHex(raw);
        assertThat(k.toString()).doesNotContain(hex).doesNotContain(hex.substring(0, 8));
        k.close();
        assertThat(k.isClosed()).isTrue();
        assertThatThrownBy(() -> k.encrypt(0, null, new byte[1])).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(k::rekeyed).isInstanceOf(IllegalStateException.class);
        k.close(); // idempotent
    }

    @ParameterizedTest
    @EnumSource(NoiseCipher.class)
    void cipherStateCountsAndDoesNotAdvanceOnFailure(NoiseCipher function) {
        byte[] raw = random(32);
        try (CipherState a = new CipherState(AeadKey.of(function, raw));
                CipherState b = new CipherState(AeadKey.of(function, raw))) {
            byte[] c0 = a.encryptWithAd(null, new byte[] {1});
            byte[] c1 = a.encryptWithAd(null, new byte[] {2});
            assertThat(a.nonce()).isEqualTo(2);
            assertThatThrownBy(() -> b.decryptWithAd(null, c1)).isInstanceOf(NoiseException.class);
            assertThat(b.nonce()).isZero();
            assertThat(b.decryptWithAd(null, c0)).containsExactly(1);
            assertThat(b.decryptWithAd(null, c1)).containsExactly(2);
            a.rekey();
            b.rekey();
            assertThat(b.decryptWithAd(null, a.encryptWithAd(null, new byte[] {3}))).containsExactly(3);
            a.setNonce(-1L);
            assertThatThrownBy(() -> a.encryptWithAd(null, new byte[1])).isInstanceOf(IllegalStateException.class);
        }
        try (CipherState empty = new CipherState(function)) {
            assertThat(empty.hasKey()).isFalse();
            assertThat(empty.encryptWithAd(null, new byte[] {9})).containsExactly(9);
        }
    }
}
