package io.hopseal.vault;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.KeyStore;
import java.util.Collections;

import javax.crypto.spec.SecretKeySpec;

import org.junit.jupiter.api.Test;

import io.hopseal.api.vault.KeyHandle;
import io.hopseal.api.vault.KeyType;
import io.hopseal.api.vault.VaultException;

/**
 * The key-store vault on a real PKCS#12 {@link KeyStore} (Kura's default keystore type): keys survive a save and
 * reload of the key store, foreign entries are left alone, labels keep their case although PKCS#12 lower-cases
 * aliases.
 */
class KeyStoreVaultTest {
    private static final char[] PASSWORD = "keystore-password".toCharArray();
    private static final byte[] DATA = "hello hopseal".getBytes(StandardCharsets.UTF_8);

    static KeyStore emptyPkcs12() throws Exception {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        return ks;
    }

    static KeyStore reload(KeyStore ks) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ks.store(out, PASSWORD);
        KeyStore again = KeyStore.getInstance("PKCS12");
        again.load(new ByteArrayInputStream(out.toByteArray()), PASSWORD);
        return again;
    }

    static KeyStoreVault vault(KeyStore ks) {
        return KeyStoreVault.open(KeyStoreVault.EntryStore.of(ks, PASSWORD, "test keystore"));
    }

    @Test
    void aJksKeyStoreCannotHoldTheKeysAndSaysSo() throws Exception {
        KeyStore jks = KeyStore.getInstance("JKS");
        jks.load(null, null);
        try (KeyStoreVault v = vault(jks)) {
            assertThatThrownBy(() -> v.generate(KeyType.ED25519, "id")).isInstanceOf(VaultException.class)
                    .hasMessageContaining("cannot store entry hopseal-ed25519-id");
            assertThat(v.keys()).isEmpty();
        }
    }

    @Test
    void keysSurviveSavingAndReloadingAPkcs12KeyStore() throws Exception {
        KeyStore ks = emptyPkcs12();
        KeyHandle id;
        KeyHandle dh;
        byte[] idPub;
        byte[] dhPub;
        byte[] sig;
        byte[] peerPub;
        byte[] shared;
        MemoryVault peer = new MemoryVault();
        KeyHandle peerKey = peer.generate(KeyType.X25519, "peer");
        peerPub = peer.publicKey(peerKey);
        try (KeyStoreVault v = vault(ks)) {
            id = v.generate(KeyType.ED25519, "hopseal.identity");
            dh = v.generate(KeyType.X25519, "Static-Key");
            idPub = v.publicKey(id);
            dhPub = v.publicKey(dh);
            sig = v.sign(id, DATA);
            shared = v.agree(dh, peerPub);
        }
        assertThat(Collections.list(ks.aliases())).containsExactlyInAnyOrder("hopseal-ed25519-hopseal.identity",
                "hopseal-x25519-%53tatic-%4bey");
        KeyStore.Entry e = ks.getEntry("hopseal-ed25519-hopseal.identity", new KeyStore.PasswordProtection(PASSWORD));
        assertThat(e).isInstanceOf(KeyStore.SecretKeyEntry.class);
        assertThat(((KeyStore.SecretKeyEntry) e).getSecretKey().getAlgorithm()).isEqualTo("Ed25519");
        assertThat(((KeyStore.SecretKeyEntry) e).getSecretKey().getEncoded()).hasSize(32);

        try (KeyStoreVault again = vault(reload(ks))) {
            assertThat(again.keys()).containsExactly(dh, id); // label order: 'S' < 'h'
            assertThat(again.publicKey(id)).isEqualTo(idPub);
            assertThat(again.publicKey(dh)).isEqualTo(dhPub);
            assertThat(again.sign(id, DATA)).isEqualTo(sig);
            assertThat(Ed25519Signatures.verifyEd25519(idPub, DATA, sig)).isTrue();
            assertThat(again.agree(dh, peerPub)).isEqualTo(shared).isEqualTo(peer.agree(peerKey, dhPub));
        }
    }

    @Test
    void deleteRemovesTheEntryAndForeignEntriesAreNeverTouched() throws Exception {
        KeyStore ks = emptyPkcs12();
        ks.setEntry("kura-tls", new KeyStore.SecretKeyEntry(new SecretKeySpec(new byte[16], "AES")),
                new KeyStore.PasswordProtection(PASSWORD));
        try (KeyStoreVault v = vault(ks)) {
            assertThat(v.keys()).isEmpty();
            KeyHandle k = v.generate(KeyType.X25519, "tmp");
            assertThat(ks.containsAlias("hopseal-x25519-tmp")).isTrue();
            assertThat(v.delete(k)).isTrue();
            assertThat(ks.containsAlias("hopseal-x25519-tmp")).isFalse();
            assertThat(v.delete(k)).isFalse();
        }
        assertThat(Collections.list(ks.aliases())).containsExactly("kura-tls");
    }

    @Test
    void aliasesRoundTripForEveryPrintableLabel() {
        StringBuilder all = new StringBuilder();
        for (char c = 0x21; c <= 0x7e; c++) {
            all.append(c);
        }
        for (KeyType t : KeyType.values()) {
            KeyHandle h = new KeyHandle(all.toString(), t);
            String alias = KeyStoreVault.alias(h);
            assertThat(alias).as("all lower case, as PKCS#12 keeps aliases")
                    .isEqualTo(alias.toLowerCase(java.util.Locale.ROOT));
            assertThat(KeyStoreVault.parseAlias(alias)).contains(h);
            assertThat(KeyStoreVault.parseAlias(alias.toLowerCase(java.util.Locale.ROOT))).contains(h);
        }
        assertThat(KeyStoreVault.parseAlias("kura-tls")).isEmpty();
        assertThat(KeyStoreVault.parseAlias("hopseal-x25519-")).isEmpty();
        assertThat(KeyStoreVault.parseAlias("hopseal-x25519-bad%4")).isEmpty();
    }

    @Test
    void aWrongEntryUnderOurAliasesIsRefusedWithItsName() throws Exception {
        KeyStore ks = emptyPkcs12();
        ks.setEntry("hopseal-ed25519-id", new KeyStore.SecretKeyEntry(new SecretKeySpec(new byte[16], "AES")),
                new KeyStore.PasswordProtection(PASSWORD));
        assertThatThrownBy(() -> vault(ks)).isInstanceOf(VaultException.class)
                .hasMessageContaining("hopseal-ed25519-id").hasMessageContaining("16 bytes");
    }

    @Test
    void aStoreThatCannotWriteChangesNothing() throws Exception {
        KeyStore ks = emptyPkcs12();
        KeyStoreVault.EntryStore real = KeyStoreVault.EntryStore.of(ks, PASSWORD, "test keystore");
        KeyStoreVault.EntryStore failing = new KeyStoreVault.EntryStore() {
            @Override
            public java.util.List<String> aliases() {
                return real.aliases();
            }

            @Override
            public KeyStore.Entry get(String alias) {
                return real.get(alias);
            }

            @Override
            public void put(String alias, KeyStore.Entry entry) {
                throw new VaultException("read-only keystore");
            }

            @Override
            public void delete(String alias) {
                throw new VaultException("read-only keystore");
            }

            @Override
            public String describe() {
                return "read-only";
            }
        };
        try (KeyStoreVault v = KeyStoreVault.open(failing)) {
            assertThatThrownBy(() -> v.generate(KeyType.ED25519, "id")).hasMessageContaining("read-only keystore");
            assertThat(v.keys()).isEmpty();
        }
    }
}
