package io.hopseal.vault;

import static org.assertj.core.api.Assertions.assertThat;

import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.interfaces.XECPublicKey;
import java.math.BigInteger;
import java.util.HexFormat;

import javax.crypto.KeyAgreement;
import java.security.spec.NamedParameterSpec;
import java.security.spec.XECPublicKeySpec;

import org.junit.jupiter.api.Test;

import io.hopseal.api.vault.KeyType;

/** Known-answer tests (RFC 8032 §7.1 test 1, RFC 7748 §6.1) and JDK interoperability for the key code. */
class KeyEntryTest {
    private static final HexFormat HEX = HexFormat.of();

    @Test
    void ed25519MatchesRfc8032Test1() {
        byte[] secret = HEX.parseHex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60");
        KeyEntry entry = KeyEntry.fromSecret(KeyType.ED25519, "rfc", secret, 0);
        assertThat(HEX.formatHex(entry.publicKeyCopy()))
                .isEqualTo("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
        assertThat(HEX.formatHex(entry.sign(new byte[0]))).isEqualTo(
                "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46b"
                        + "d25bf5f0595bbe24655141438e7a100b");
    }

    @Test
    void x25519MatchesRfc7748() {
        KeyEntry alice = KeyEntry.fromSecret(KeyType.X25519, "alice",
                HEX.parseHex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a"), 0);
        KeyEntry bob = KeyEntry.fromSecret(KeyType.X25519, "bob",
                HEX.parseHex("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb"), 0);
        assertThat(HEX.formatHex(alice.publicKeyCopy()))
                .isEqualTo("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
        assertThat(HEX.formatHex(bob.publicKeyCopy()))
                .isEqualTo("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f");
        String shared = "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742";
        assertThat(HEX.formatHex(alice.agree(bob.publicKeyCopy(), "test"))).isEqualTo(shared);
        assertThat(HEX.formatHex(bob.agree(alice.publicKeyCopy(), "test"))).isEqualTo(shared);
    }

    @Test
    void x25519InteroperatesWithTheJdk() throws Exception {
        KeyEntry ours = KeyEntry.generate(KeyType.X25519, "ours", new java.security.SecureRandom());
        KeyPair jdk = KeyPairGenerator.getInstance("X25519").generateKeyPair();
        byte[] jdkPub = littleEndian(((XECPublicKey) jdk.getPublic()).getU());

        KeyAgreement ka = KeyAgreement.getInstance("X25519");
        ka.init(jdk.getPrivate());
        ka.doPhase(KeyFactory.getInstance("X25519").generatePublic(new XECPublicKeySpec(NamedParameterSpec.X25519,
                new BigInteger(1, reverse(ours.publicKeyCopy())))), true);
        assertThat(ours.agree(jdkPub, "test")).isEqualTo(ka.generateSecret());
    }

    @Test
    void wipeZeroesTheKeyBytes() {
        KeyEntry entry = KeyEntry.generate(KeyType.ED25519, "w", new java.security.SecureRandom());
        byte[] secret = new byte[32];
        entry.wipe();
        entry.writeSecret(secret, 0);
        assertThat(secret).isEqualTo(new byte[32]);
        assertThat(entry.publicKeyCopy()).isEqualTo(new byte[32]);
        assertThat(entry.isWiped()).isTrue();
    }

    private static byte[] littleEndian(BigInteger u) {
        byte[] be = u.toByteArray();
        byte[] out = new byte[32];
        for (int i = 0; i < Math.min(32, be.length); i++) {
            out[i] = be[be.length - 1 - i];
        }
        return out;
    }

    private static byte[] reverse(byte[] le) {
        byte[] out = new byte[le.length];
        for (int i = 0; i < le.length; i++) {
            out[i] = le[le.length - 1 - i];
        }
        out[0] &= 0x7f; // RFC 7748: the top bit of u is ignored
        return out;
    }
}
