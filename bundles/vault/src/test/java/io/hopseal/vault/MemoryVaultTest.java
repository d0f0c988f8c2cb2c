package io.hopseal.vault;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.X509EncodedKeySpec;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

import io.hopseal.api.vault.KeyHandle;
import io.hopseal.api.vault.KeyType;
import io.hopseal.api.vault.VaultException;

class MemoryVaultTest {

    private static final byte[] DATA = "hello hopseal".getBytes(StandardCharsets.UTF_8);

    @Test
    void generatesBothTypesAndListsThemInLabelOrder() {
        MemoryVault vault = new MemoryVault();
        KeyHandle x = vault.generate(KeyType.X25519, "static-x");
        KeyHandle e = vault.generate(KeyType.ED25519, "identity");

        assertThat(x).isEqualTo(new KeyHandle("static-x", KeyType.X25519));
        assertThat(e).isEqualTo(new KeyHandle("identity", KeyType.ED25519));
        assertThat(vault.publicKey(x)).hasSize(32);
        assertThat(vault.publicKey(e)).hasSize(32);
        assertThat(vault.keys()).containsExactly(e, x);
        assertThat(vault.find("identity")).contains(e);
        assertThat(vault.find("nope")).isEmpty();
        assertThat(vault.toString()).isEqualTo("MemoryVault[2 keys]");
    }

    @Test
    void signaturesVerifyHereAndWithTheJdk() throws Exception {
        MemoryVault vault = new MemoryVault();
        KeyHandle id = vault.generate(KeyType.ED25519, "id");
        byte[] pub = vault.publicKey(id);
        byte[] sig = vault.sign(id, DATA);

        assertThat(sig).hasSize(64);
        assertThat(Ed25519Signatures.verifyEd25519(pub, DATA, sig)).isTrue();
        assertThat(Ed25519Signatures.verifyEd25519(pub, "hello hopseaL".getBytes(StandardCharsets.UTF_8), sig))
                .isFalse();
        assertThat(vault.sign(id, DATA)).as("Ed25519 is deterministic").isEqualTo(sig);
        assertThat(Ed25519Signatures.verifyEd25519(pub, new byte[0], vault.sign(id, new byte[0]))).isTrue();

        // interoperability: the JDK's own Ed25519 accepts it (pure Ed25519, not Ed25519ctx/ph)
        PublicKey jdkKey = KeyFactory.getInstance("Ed25519").generatePublic(new X509EncodedKeySpec(
                concat(HexFormat.of().parseHex("302a300506032b6570032100"), pub)));
        Signature verifier = Signature.getInstance("Ed25519");
        verifier.initVerify(jdkKey);
        verifier.update(DATA);
        assertThat(verifier.verify(sig)).isTrue();
    }

    @Test
    void agreementGivesTheSameSecretBothWays() {
        MemoryVault alice = new MemoryVault();
        MemoryVault bob = new MemoryVault();
        KeyHandle a = alice.generate(KeyType.X25519, "a");
        KeyHandle b = bob.generate(KeyType.X25519, "b");

        byte[] ab = alice.agree(a, bob.publicKey(b));
        byte[] ba = bob.agree(b, alice.publicKey(a));

        assertThat(ab).hasSize(32).isEqualTo(ba).isNotEqualTo(new byte[32]);
    }

    @Test
    void agreementRefusesLowOrderPointsAndBadLengths() {
        MemoryVault vault = new MemoryVault();
        KeyHandle a = vault.generate(KeyType.X25519, "a");
        byte[] one = new byte[32];
        one[0] = 1;

        assertThatThrownBy(() -> vault.agree(a, new byte[32])).isInstanceOf(VaultException.class)
                .hasMessageContaining("all-zero").hasMessageContaining("'a'");
        assertThatThrownBy(() -> vault.agree(a, one)).isInstanceOf(VaultException.class)
                .hasMessageContaining("all-zero");
        assertThatThrownBy(() -> vault.agree(a, new byte[31])).isInstanceOf(VaultException.class)
                .hasMessageContaining("32 bytes, was 31");
    }

    @Test
    void wrongKeyTypesAreRefusedNamingLabelAndExpectedType() {
        MemoryVault vault = new MemoryVault();
        KeyHandle x = vault.generate(KeyType.X25519, "dh-key");
        KeyHandle e = vault.generate(KeyType.ED25519, "sig-key");

        assertThatThrownBy(() -> vault.sign(x, DATA)).isInstanceOf(VaultException.class)
                .hasMessageContaining("'dh-key'").hasMessageContaining("ED25519");
        assertThatThrownBy(() -> vault.agree(e, vault.publicKey(x))).isInstanceOf(VaultException.class)
                .hasMessageContaining("'sig-key'").hasMessageContaining("X25519");
        // a forged handle: right label, wrong type
        KeyHandle forged = new KeyHandle("dh-key", KeyType.ED25519);
        assertThatThrownBy(() -> vault.sign(forged, DATA)).isInstanceOf(VaultException.class)
                .hasMessageContaining("'dh-key'").hasMessageContaining("X25519");
        assertThatThrownBy(() -> vault.publicKey(forged)).isInstanceOf(VaultException.class);
        assertThatThrownBy(() -> vault.delete(forged)).isInstanceOf(VaultException.class);
        assertThat(vault.find("dh-key")).contains(x);
    }

    @Test
    void duplicateLabelIsRefusedAndTheOriginalKeyKept() {
        MemoryVault vault = new MemoryVault();
        KeyHandle first = vault.generate(KeyType.ED25519, "id");
        byte[] pub = vault.publicKey(first);

        assertThatThrownBy(() -> vault.generate(KeyType.ED25519, "id")).isInstanceOf(VaultException.class)
                .hasMessageContaining("'id'").hasMessageContaining("already exists");
        assertThatThrownBy(() -> vault.generate(KeyType.X25519, "id")).isInstanceOf(VaultException.class);
        assertThat(vault.publicKey(first)).isEqualTo(pub);
        assertThat(vault.keys()).containsExactly(first);
    }

    @Test
    void invalidLabelsAreRefused() {
        MemoryVault vault = new MemoryVault();
        assertThatThrownBy(() -> vault.generate(KeyType.ED25519, "")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> vault.generate(KeyType.ED25519, "has space"))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> vault.generate(KeyType.ED25519, "x".repeat(129)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(vault.keys()).isEmpty();
    }

    @Test
    void deleteRemovesTheKey() {
        MemoryVault vault = new MemoryVault();
        KeyHandle id = vault.generate(KeyType.ED25519, "id");
        KeyHandle other = vault.generate(KeyType.X25519, "other");

        assertThat(vault.delete(id)).isTrue();
        assertThat(vault.delete(id)).isFalse();
        assertThat(vault.find("id")).isEmpty();
        assertThat(vault.keys()).containsExactly(other);
        assertThatThrownBy(() -> vault.sign(id, DATA)).isInstanceOf(VaultException.class)
                .hasMessageContaining("no key labelled 'id'");
        assertThat(vault.generate(KeyType.ED25519, "id")).isEqualTo(id); // the label is free again
    }

    @Test
    void publicKeyReturnsCopies() {
        MemoryVault vault = new MemoryVault();
        KeyHandle id = vault.generate(KeyType.ED25519, "id");
        byte[] pub = vault.publicKey(id);
        byte[] before = pub.clone();
        pub[0] ^= 1;
        assertThat(vault.publicKey(id)).isEqualTo(before);
        assertThat(Ed25519Signatures.verifyEd25519(before, DATA, vault.sign(id, DATA))).isTrue();
    }

    @Test
    void closeWipesAndRefusesFurtherUse() {
        MemoryVault vault = new MemoryVault();
        KeyHandle id = vault.generate(KeyType.ED25519, "id");
        vault.close();
        vault.close(); // idempotent
        assertThatThrownBy(() -> vault.sign(id, DATA)).isInstanceOf(VaultException.class)
                .hasMessageContaining("closed");
        assertThatThrownBy(() -> vault.keys()).isInstanceOf(VaultException.class);
        assertThatThrownBy(() -> vault.generate(KeyType.X25519, "x")).isInstanceOf(VaultException.class);
        assertThat(vault.toString()).isEqualTo("MemoryVault[closed]");
    }

    @Test
    void concurrentUseIsSafe() throws Exception {
        MemoryVault vault = new MemoryVault();
        KeyHandle shared = vault.generate(KeyType.ED25519, "shared");
        byte[] sharedPub = vault.publicKey(shared);
        byte[] peer = vault.publicKey(vault.generate(KeyType.X25519, "peer"));
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                int thread = t;
                futures.add(pool.submit(() -> {
                    for (int i = 0; i < 50; i++) {
                        KeyHandle h = vault.generate(KeyType.X25519, "k-" + thread + "-" + i);
                        assertThat(Ed25519Signatures.verifyEd25519(sharedPub, DATA, vault.sign(shared, DATA)))
                                .isTrue();
                        assertThat(vault.agree(h, peer)).hasSize(32);
                        if (i % 2 == 0) {
                            assertThat(vault.delete(h)).isTrue();
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : futures) {
                f.get(60, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(vault.keys()).hasSize(2 + 8 * 25);
    }

    static byte[] concat(byte[] a, byte[] b) {
        byte[] out = new byte[a.length + b.length];
        System.arraycopy(a, 0, out, 0, a.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
