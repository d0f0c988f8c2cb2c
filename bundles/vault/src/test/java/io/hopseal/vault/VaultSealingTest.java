package io.hopseal.vault;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;

import io.hopseal.api.vault.KeyHandle;
import io.hopseal.api.vault.KeyType;
import io.hopseal.api.vault.VaultException;

/** Data sealed at rest opens only with the same vault key, context and associated data, and never unchanged bytes. */
class VaultSealingTest {
    private static final byte[] DATA = "session keys".getBytes(StandardCharsets.UTF_8);
    private static final byte[] AD = {1, 2, 3};

    @Test
    void sealsAndOpensWithTheSameKeyContextAndAssociatedData() {
        MemoryVault vault = new MemoryVault();
        KeyHandle k = vault.generate(KeyType.X25519, "static");
        byte[] sealed = vault.seal(k, "hopseal/session/v1", AD, DATA);

        assertThat(sealed).hasSize(12 + DATA.length + 16);
        assertThat(new String(sealed, StandardCharsets.ISO_8859_1)).doesNotContain("session keys");
        assertThat(vault.unseal(k, "hopseal/session/v1", AD, sealed)).isEqualTo(DATA);
        assertThat(vault.seal(k, "hopseal/session/v1", AD, DATA)).isNotEqualTo(sealed); // a fresh nonce each time
    }

    @Test
    void anotherVaultContextAssociatedDataOrAnyChangedByteIsRefused() {
        MemoryVault vault = new MemoryVault();
        KeyHandle k = vault.generate(KeyType.X25519, "static");
        byte[] sealed = vault.seal(k, "ctx", AD, DATA);
        MemoryVault other = new MemoryVault();
        KeyHandle ok = other.generate(KeyType.X25519, "static");

        assertThatThrownBy(() -> other.unseal(ok, "ctx", AD, sealed)).isInstanceOf(VaultException.class)
                .hasMessageContaining("does not authenticate");
        assertThatThrownBy(() -> vault.unseal(k, "ctx2", AD, sealed)).isInstanceOf(VaultException.class);
        assertThatThrownBy(() -> vault.unseal(k, "ctx", new byte[] {1, 2}, sealed)).isInstanceOf(VaultException.class);
        for (int i = 0; i < sealed.length; i++) {
            byte[] changed = sealed.clone();
            changed[i] ^= 0x40;
            assertThatThrownBy(() -> vault.unseal(k, "ctx", AD, changed)).isInstanceOf(VaultException.class);
        }
        for (int n = 0; n < sealed.length; n++) {
            byte[] cut = java.util.Arrays.copyOf(sealed, n);
            assertThatThrownBy(() -> vault.unseal(k, "ctx", AD, cut)).isInstanceOf(VaultException.class);
        }
    }

    @Test
    void onlyX25519KeysSealAndNoMessageCarriesKeyBytes() {
        MemoryVault vault = new MemoryVault();
        KeyHandle ed = vault.generate(KeyType.ED25519, "id");
        assertThatThrownBy(() -> vault.seal(ed, "ctx", AD, DATA)).isInstanceOf(VaultException.class);
        assertThatThrownBy(() -> vault.seal(new KeyHandle("missing", KeyType.X25519), "ctx", AD, DATA))
                .isInstanceOf(VaultException.class);
    }
}
