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

    /**
     * In-place decryption with the associated data read from the same array (the transport frame layout: header,
     * ciphertext, tag): works at every size the channel sends, and a forgery leaves the whole buffer unchanged: no
     * plaintext, half-decrypted or otherwise, and the ciphertext still there for the genuine retry.
     */
    @ParameterizedTest
    @EnumSource(NoiseCipher.class)
    void inPlaceDecryptionReleasesNothingOnAForgery(NoiseCipher function) {
        byte[] k = random(32);
        try (AeadKey a = AeadKey.of(function, k); AeadKey b = AeadKey.of(function, k)) {
            for (int size : new int[] {0, 1, 15, 16, 17, 64, 1024, 16384, 65_000}) {
                byte[] pt = random(Math.max(size, 1));
                byte[] frame = new byte[3 + size + AeadKey.TAG_LENGTH];
                frame[0] = 0x40;
                frame[1] = 7;
                frame[2] = (byte) size;
                int n = a.encrypt(size + 1, frame, 0, 3, pt, 0, size, frame, 3);
                assertThat(n).isEqualTo(size + AeadKey.TAG_LENGTH);
                for (int flip : new int[] {0, 3, 3 + size / 2, frame.length - 1}) {
                    byte[] forged = frame.clone();
                    forged[flip] ^= 0x10;
                    byte[] before = forged.clone();
                    assertThatThrownBy(() -> b.decrypt(size + 1, forged, 0, 3, forged, 3, n, forged, 3))
                            .as("size %d, flipped byte %d", size, flip).isInstanceOf(NoiseException.class);
                    assertThat(forged).as("size %d, flipped byte %d", size, flip).isEqualTo(before);
                }
                assertThat(b.decrypt(size + 1, frame, 0, 3, frame, 3, n, frame, 3)).isEqualTo(size);
                assertThat(java.util.Arrays.copyOfRange(frame, 3, 3 + size))
                        .isEqualTo(java.util.Arrays.copyOf(pt, size));
            }
            // partial overlaps are refused (only exact in-place is safe with every provider)
            byte[] buf = new byte[64];
            int n = a.encrypt(100, null, 0, 0, new byte[32], 0, 32, buf, 0);
            assertThatThrownBy(() -> b.decrypt(100, null, 0, 0, buf, 0, n, buf, 1))
                    .isInstanceOf(IllegalArgumentException.class);
        }
    }

    /** Keys share the thread's cached ciphers: interleaving many keys, both directions, never mixes them up. */
    @ParameterizedTest
    @EnumSource(NoiseCipher.class)
    void interleavedKeysOnOneThreadStayIndependent(NoiseCipher function) {
        AeadKey[] senders = new AeadKey[5];
        AeadKey[] receivers = new AeadKey[5];
        for (int i = 0; i < senders.length; i++) {
            byte[] k = random(32);
            senders[i] = AeadKey.of(function, k);
            receivers[i] = AeadKey.of(function, k);
        }
        for (int round = 0; round < 20; round++) {
            for (int i = 0; i < senders.length; i++) {
                byte[] c = senders[i].encrypt(round, new byte[] {(byte) i}, new byte[] {(byte) round, (byte) i});
                AeadKey wrong = receivers[(i + 1) % 5];
                long nonce = round;
                byte[] ad = {(byte) i};
                assertThatThrownBy(() -> wrong.decrypt(nonce, ad, c)).isInstanceOf(NoiseException.class);
                assertThat(receivers[i].decrypt(round, new byte[] {(byte) i}, c)).containsExactly(round, i);
            }
        }
        for (int i = 0; i < senders.length; i++) {
            senders[i].close();
            receivers[i].close();
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
