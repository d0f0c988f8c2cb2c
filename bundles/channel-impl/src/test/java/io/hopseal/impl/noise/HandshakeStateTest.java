package io.hopseal.impl.noise;

import static io.hopseal.impl.noise.NoiseTestSupport.complete;
import static io.hopseal.impl.noise.NoiseTestSupport.pair;
import static io.hopseal.impl.noise.NoiseTestSupport.random;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.hopseal.impl.noise.HandshakePattern.Token;
import io.hopseal.impl.noise.NoiseTestSupport.Pair;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class HandshakeStateTest {

    static Stream<String> suites() {
        List<String> out = new ArrayList<>();
        for (String pattern : List.of("XX", "KK", "IK")) {
            for (String cipher : List.of("AESGCM", "ChaChaPoly")) {
                for (String hash : List.of("SHA256", "BLAKE2s")) {
                    out.add("Noise_" + pattern + "_25519_" + cipher + "_" + hash);
                }
            }
        }
        return out.stream();
    }

    @ParameterizedTest
    @MethodSource("suites")
    void freshHandshakeWithRandomKeysWorks(String name) {
        Pair p = pair(name);
        complete(p);
        HandshakeState i = p.initiator();
        HandshakeState r = p.responder();
        assertThat(i.isComplete()).isTrue();
        assertThat(r.isComplete()).isTrue();
        assertThat(i.isMyTurnToWrite()).isFalse();
        assertThat(i.handshakeHash()).isEqualTo(r.handshakeHash());
        assertThat(i.remoteStatic()).isEqualTo(p.responderStatic().publicKey());
        assertThat(r.remoteStatic()).isEqualTo(p.initiatorStatic().publicKey());

        try (TransportKeys ik = i.split(); TransportKeys rk = r.split()) {
            assertThat(ik.handshakeHash()).isEqualTo(r.handshakeHash());
            byte[] ad = {9};
            byte[] c1 = ik.sending(true).encrypt(7, ad, "hello".getBytes());
            assertThat(rk.receiving(false).decrypt(7, ad, c1, 0, c1.length)).isEqualTo("hello".getBytes());
            byte[] c2 = rk.sending(false).encrypt(0, null, "world".getBytes());
            assertThat(ik.receiving(true).decrypt(0, new byte[0], c2, 0, c2.length)).isEqualTo("world".getBytes());
            // The two directions use different keys.
            assertThatThrownBy(() -> ik.receiving(true).decrypt(7, ad, c1, 0, c1.length))
                    .isInstanceOf(NoiseException.class);
        }
    }

    /** Every pattern of the table plus psk modifiers, with random keys: lengths match messageOverhead. */
    @Test
    void everyPatternRunsAndOverheadMatches() {
        List<String> names = new ArrayList<>(HandshakePattern.standardNames());
        names.addAll(List.of("NNpsk0", "NNpsk2", "NNpsk0+psk2", "XXpsk3", "XXpsk0+psk3", "IKpsk1", "IKpsk0+psk2",
                "Npsk0", "Kpsk0", "Xpsk1", "KNpsk1+psk2", "X1X1psk2"));
        for (String pattern : names) {
            for (String suite : List.of("_25519_AESGCM_SHA256", "_25519_ChaChaPoly_BLAKE2s")) {
                Pair p = pair("Noise_" + pattern + suite);
                List<byte[]> sent = complete(p);
                for (int i = 0; i < sent.size(); i++) {
                    assertThat(sent.get(i)).as(pattern + " message " + i)
                            .hasSize(p.initiator().messageOverhead(i) + ("payload " + i).length());
                }
                assertThat(p.initiator().handshakeHash()).as(pattern).isEqualTo(p.responder().handshakeHash());
                try (TransportKeys ik = p.initiator().split(); TransportKeys rk = p.responder().split()) {
                    byte[] c = ik.sending(true).encrypt(1, null, new byte[] {42});
                    assertThat(rk.receiving(false).decrypt(1, null, c)).containsExactly(42);
                    if (p.initiator().protocol().pattern().isOneWay()) {
                        assertThat(rk.responderToInitiator()).isNull();
                        assertThatThrownBy(() -> rk.sending(false)).isInstanceOf(IllegalStateException.class);
                    }
                }
            }
        }
    }

    @Test
    void knownOverheads() {
        assertThat(overheads("Noise_XX_25519_AESGCM_SHA256")).containsExactly(32, 96, 64);
        assertThat(overheads("Noise_KK_25519_AESGCM_SHA256")).containsExactly(48, 48);
        assertThat(overheads("Noise_IK_25519_ChaChaPoly_SHA256")).containsExactly(96, 48);
        assertThat(overheads("Noise_NN_25519_AESGCM_SHA256")).containsExactly(32, 48);
        assertThat(overheads("Noise_NNpsk0_25519_AESGCM_SHA256")).containsExactly(48, 48);
        assertThat(overheads("Noise_N_25519_AESGCM_SHA256")).containsExactly(48);
        assertThatThrownBy(() -> NoiseProtocol.parse("Noise_XX_25519_AESGCM_SHA256").messageOverhead(3))
                .isInstanceOf(IllegalArgumentException.class);
    }

    private static List<Integer> overheads(String name) {
        NoiseProtocol p = NoiseProtocol.parse(name);
        List<Integer> out = new ArrayList<>();
        for (int i = 0; i < p.pattern().messages().size(); i++) {
            out.add(p.messageOverhead(i));
        }
        return out;
    }

    /** The state a rejected read must leave untouched. */
    private record Snapshot(String hash, int index, boolean myTurn, boolean complete, String remoteStatic) {
        static Snapshot of(HandshakeState s) {
            HexFormat hex = HexFormat.of();
            byte[] rs = s.remoteStatic();
            return new Snapshot(hex.formatHex(s.handshakeHash()), s.messageIndex(), s.isMyTurnToWrite(),
                    s.isComplete(), rs == null ? null : hex.formatHex(rs));
        }
    }

    /** A message is authenticated iff its overhead contains a tag beyond the public keys. */
    private static boolean authenticated(NoiseProtocol protocol, int index) {
        long keys = protocol.pattern().messages().get(index).tokens().stream()
                .filter(t -> t == Token.E || t == Token.S).count();
        return protocol.messageOverhead(index) > keys * protocol.dh().dhLen();
    }

    @ParameterizedTest
    @ValueSource(strings = {"Noise_XX_25519_AESGCM_SHA256", "Noise_XX_25519_ChaChaPoly_BLAKE2s",
            "Noise_KK_25519_AESGCM_BLAKE2s", "Noise_IK_25519_ChaChaPoly_SHA256", "Noise_NNpsk0_25519_AESGCM_SHA256",
            "Noise_XXpsk3_25519_AESGCM_SHA256", "Noise_X_25519_AESGCM_SHA256"})
    void everySingleBitFlipIsRejectedAndLeavesStateUntouched(String name) {
        Pair p = pair(name);
        NoiseProtocol protocol = p.initiator().protocol();
        int n = protocol.pattern().messages().size();
        int checkedMessages = 0;
        for (int i = 0; i < n; i++) {
            byte[] payload = ("payload " + i).getBytes();
            byte[] genuine = p.sender(i).writeMessage(payload);
            HandshakeState receiver = p.receiver(i);
            if (authenticated(protocol, i)) {
                checkedMessages++;
                Snapshot before = Snapshot.of(receiver);
                for (int bit = 0; bit < genuine.length * 8; bit++) {
                    byte[] forged = genuine.clone();
                    forged[bit / 8] ^= (byte) (1 << (bit % 8));
                    assertThatThrownBy(() -> receiver.readMessage(forged)).as("message %d bit %d", i, bit)
                            .isInstanceOf(NoiseException.class);
                    assertThat(Snapshot.of(receiver)).isEqualTo(before);
                }
            }
            assertThat(receiver.readMessage(genuine)).isEqualTo(payload);
        }
        assertThat(checkedMessages).isGreaterThan(0);
        assertThat(p.initiator().handshakeHash()).isEqualTo(p.responder().handshakeHash());
        try (TransportKeys ik = p.initiator().split(); TransportKeys rk = p.responder().split()) {
            byte[] c = ik.sending(true).encrypt(0, null, new byte[] {1});
            assertThat(rk.receiving(false).decrypt(0, null, c)).containsExactly(1);
        }
    }

    @ParameterizedTest
    @MethodSource("suites")
    void truncatedAndExtendedMessagesAreRejected(String name) {
        Pair p = pair(name);
        NoiseProtocol protocol = p.initiator().protocol();
        for (int i = 0; i < protocol.pattern().messages().size(); i++) {
            byte[] payload = ("payload " + i).getBytes();
            byte[] genuine = p.sender(i).writeMessage(payload);
            HandshakeState receiver = p.receiver(i);
            Snapshot before = Snapshot.of(receiver);
            int minLength = authenticated(protocol, i) ? 0 : protocol.messageOverhead(i);
            for (int len = 0; len < genuine.length; len++) {
                byte[] truncated = Arrays.copyOf(genuine, len);
                if (len < minLength) {
                    assertThatThrownBy(() -> receiver.readMessage(truncated)).isInstanceOf(NoiseException.class);
                } else if (authenticated(protocol, i)) {
                    assertThatThrownBy(() -> receiver.readMessage(truncated)).as("length %d", len)
                            .isInstanceOf(NoiseException.class);
                }
                assertThat(Snapshot.of(receiver)).isEqualTo(before);
            }
            if (authenticated(protocol, i)) {
                byte[] extended = Arrays.copyOf(genuine, genuine.length + 1);
                assertThatThrownBy(() -> receiver.readMessage(extended)).isInstanceOf(NoiseException.class);
                assertThat(Snapshot.of(receiver)).isEqualTo(before);
            }
            assertThat(receiver.readMessage(genuine)).isEqualTo(payload);
        }
    }

    @Test
    void tooShortMessageMessageSaysHowShort() {
        Pair p = pair("Noise_XX_25519_AESGCM_SHA256");
        assertThatThrownBy(() -> p.responder().readMessage(new byte[31]))
                .isInstanceOf(NoiseException.class)
                .hasMessageContaining("31 bytes, at least 32");
    }

    @Test
    void messageSizeLimitIsEnforced() {
        Pair p = pair("Noise_KK_25519_AESGCM_SHA256");
        int max = 65535 - p.initiator().messageOverhead(0);
        assertThatThrownBy(() -> p.initiator().writeMessage(new byte[max + 1]))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("65535");
        assertThat(p.initiator().messageIndex()).isZero();
        assertThatThrownBy(() -> p.responder().readMessage(new byte[65536])).isInstanceOf(NoiseException.class);
        byte[] biggest = p.initiator().writeMessage(new byte[max]);
        assertThat(biggest).hasSize(65535);
        assertThat(p.responder().readMessage(biggest)).hasSize(max);
    }

    @Test
    void lowOrderEphemeralIsRejectedWithoutKillingTheHandshake() {
        HexFormat hex = HexFormat.of();
        List<byte[]> lowOrder = List.of(new byte[32],
                hex.parseHex("0100000000000000000000000000000000000000000000000000000000000000"),
                hex.parseHex("e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800"),
                hex.parseHex("5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157"));
        Pair p = pair("Noise_KK_25519_AESGCM_SHA256");
        byte[] genuine = p.initiator().writeMessage(new byte[0]);
        Snapshot before = Snapshot.of(p.responder());
        for (byte[] point : lowOrder) {
            byte[] forged = genuine.clone();
            System.arraycopy(point, 0, forged, 0, 32);
            assertThatThrownBy(() -> p.responder().readMessage(forged)).isInstanceOf(NoiseException.class)
                    .hasMessageContaining("low-order");
            assertThat(Snapshot.of(p.responder())).isEqualTo(before);
        }
        p.responder().readMessage(genuine);
        complete(p);
        assertThat(p.initiator().handshakeHash()).isEqualTo(p.responder().handshakeHash());
    }

    @Test
    void outOfTurnAndLifecycleErrors() {
        Pair p = pair("Noise_XX_25519_AESGCM_SHA256");
        assertThatThrownBy(() -> p.responder().writeMessage(new byte[0])).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> p.initiator().readMessage(new byte[64])).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> p.initiator().split()).isInstanceOf(IllegalStateException.class);
        complete(p);
        assertThatThrownBy(() -> p.initiator().writeMessage(new byte[0])).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> p.responder().readMessage(new byte[64])).isInstanceOf(IllegalStateException.class);
        p.initiator().split().close();
        assertThatThrownBy(() -> p.initiator().split()).isInstanceOf(IllegalStateException.class);
        p.responder().close();
        assertThatThrownBy(() -> p.responder().split()).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void ephemeralIsWipedWhenTheHandshakeCompletes() {
        NoiseProtocol protocol = NoiseProtocol.parse("Noise_NN_25519_AESGCM_SHA256");
        LocalKeyPair ie = LocalKeyPair.generate(NoiseTestSupport.RANDOM);
        HandshakeState i = HandshakeState.builder(protocol, true).localEphemeral(ie).build();
        HandshakeState r = HandshakeState.builder(protocol, false).build();
        r.readMessage(i.writeMessage(null));
        assertThat(ie.isClosed()).isFalse();
        i.readMessage(r.writeMessage(null));
        assertThat(ie.isClosed()).isTrue();
    }

    /** The local static key is used only through agree(): a vault-style key pair without a private key works. */
    @Test
    void vaultBackedStaticKeyOnlyNeedsAgree() {
        LocalKeyPair hidden = LocalKeyPair.generate(NoiseTestSupport.RANDOM);
        StaticKeyPair vault = new StaticKeyPair() {
            @Override
            public byte[] publicKey() {
                return hidden.publicKey();
            }

            @Override
            public byte[] agree(byte[] peerPublicKey) {
                return hidden.agree(peerPublicKey);
            }
        };
        LocalKeyPair other = LocalKeyPair.generate(NoiseTestSupport.RANDOM);
        NoiseProtocol protocol = NoiseProtocol.parse("Noise_IK_25519_AESGCM_SHA256");
        HandshakeState i = HandshakeState.builder(protocol, true).localStatic(vault).remoteStatic(other.publicKey())
                .build();
        HandshakeState r = HandshakeState.builder(protocol, false).localStatic(other).build();
        r.readMessage(i.writeMessage(null));
        i.readMessage(r.writeMessage(null));
        assertThat(r.remoteStatic()).isEqualTo(hidden.publicKey());
        assertThat(i.handshakeHash()).isEqualTo(r.handshakeHash());
    }

    @Test
    void builderReportsMissingAndExtraKeys() {
        NoiseProtocol xx = NoiseProtocol.parse("Noise_XX_25519_AESGCM_SHA256");
        NoiseProtocol ik = NoiseProtocol.parse("Noise_IK_25519_AESGCM_SHA256");
        NoiseProtocol nn = NoiseProtocol.parse("Noise_NN_25519_AESGCM_SHA256");
        NoiseProtocol nnPsk = NoiseProtocol.parse("Noise_NNpsk0+psk2_25519_AESGCM_SHA256");
        NoiseProtocol n = NoiseProtocol.parse("Noise_N_25519_AESGCM_SHA256");
        LocalKeyPair k = LocalKeyPair.generate(NoiseTestSupport.RANDOM);
        assertThatThrownBy(() -> HandshakeState.builder(xx, true).build())
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("localStatic");
        assertThatThrownBy(() -> HandshakeState.builder(nn, true).localStatic(k).build())
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("do not set localStatic");
        assertThatThrownBy(() -> HandshakeState.builder(ik, true).localStatic(k).build())
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("remoteStatic");
        assertThatThrownBy(() -> HandshakeState.builder(xx, true).localStatic(k).remoteStatic(k.publicKey()).build())
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("do not set remoteStatic");
        assertThatThrownBy(() -> HandshakeState.builder(nnPsk, true).psks(List.of(new byte[32])).build())
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("needs 2 PSK(s), 1 given");
        assertThatThrownBy(() -> HandshakeState.builder(n, false).localStatic(k)
                .localEphemeral(LocalKeyPair.generate(NoiseTestSupport.RANDOM)).build())
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("localEphemeral");
        assertThatThrownBy(() -> HandshakeState.builder(nn, true).remoteStatic(new byte[31]))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> HandshakeState.builder(nnPsk, true).psks(List.of(new byte[16])))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void protocolNameParserNamesTheUnsupportedPart() {
        assertThat(NoiseProtocol.parse("Noise_NNpsk0+psk2_25519_ChaChaPoly_BLAKE2s").pattern().pskCount())
                .isEqualTo(2);
        assertThatThrownBy(() -> NoiseProtocol.parse("Noise_XX_448_AESGCM_SHA256"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'448'");
        assertThatThrownBy(() -> NoiseProtocol.parse("Noise_XX_25519_AESGCM_SHA512"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'SHA512'");
        assertThatThrownBy(() -> NoiseProtocol.parse("Noise_XX_25519_AESGCM_BLAKE2b"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'BLAKE2b'");
        assertThatThrownBy(() -> NoiseProtocol.parse("Noise_XX_25519_AES256_SHA256"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'AES256'");
        assertThatThrownBy(() -> NoiseProtocol.parse("Noise_XY_25519_AESGCM_SHA256"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'XY'");
        assertThatThrownBy(() -> NoiseProtocol.parse("Noise_XXfallback_25519_AESGCM_SHA256"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'fallback'");
        assertThatThrownBy(() -> NoiseProtocol.parse("Noise_NNpsk3_25519_AESGCM_SHA256"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("psk3");
        assertThatThrownBy(() -> NoiseProtocol.parse("Noise_NNpsk0+psk0_25519_AESGCM_SHA256"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("duplicate");
        assertThatThrownBy(() -> NoiseProtocol.parse("Noise_XX_25519_AESGCM"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("malformed");
    }
}
