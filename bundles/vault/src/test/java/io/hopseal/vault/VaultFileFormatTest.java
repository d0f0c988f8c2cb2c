package io.hopseal.vault;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.security.SecureRandom;
import java.util.List;
import java.util.NavigableMap;
import java.util.TreeMap;

import org.junit.jupiter.api.Test;

import io.hopseal.api.vault.KeyType;
import io.hopseal.api.vault.VaultException;

/**
 * The vault file's key table on its own: hostile decrypted content is refused with bounds checked before anything is
 * allocated, and encode/decode are inverse. (Headers and whole files: {@link FileVaultTest}.) The heap check of the
 * KDF is here too: it is what stands between a crafted header and a gigabyte allocation.
 */
class VaultFileFormatTest {

    @Test
    void decoderRejectsHostileContent() {
        byte[] secret = new byte[32];
        assertDecodeFails(new byte[0], "too short");
        assertDecodeFails(new byte[] {0, 0, 0}, "too short");
        assertDecodeFails(new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff}, "announces 4294967295");
        assertDecodeFails(new byte[] {0, 0, 0, 1}, "announces 1 keys");
        assertDecodeFails(concat(u32(1), new byte[] {3, 1, 'a'}, secret), "unknown key type 3");
        assertDecodeFails(concat(u32(1), new byte[] {1, 0, 'a'}, secret), "label length 0");
        assertDecodeFails(concat(u32(1), new byte[] {1, (byte) 200}, new byte[233]), "label length 200");
        assertDecodeFails(concat(u32(1), new byte[] {1, 5, 'a'}, secret), "truncated");
        assertDecodeFails(concat(u32(1), new byte[] {1, 1, ' '}, secret), "printable ASCII");
        assertDecodeFails(concat(u32(1), new byte[] {1, 1, (byte) 0xC3}, secret), "printable ASCII");
        assertDecodeFails(concat(u32(2), new byte[] {1, 1, 'b'}, secret, new byte[] {1, 1, 'a'}, secret),
                "increasing label order");
        assertDecodeFails(concat(u32(2), new byte[] {1, 1, 'a'}, secret, new byte[] {2, 1, 'a'}, secret),
                "increasing label order");
        assertDecodeFails(concat(u32(1), new byte[] {1, 1, 'a'}, secret, new byte[] {0}), "unexpected bytes");
        assertDecodeFails(concat(u32(0), new byte[40]), "unexpected bytes");

        NavigableMap<String, KeyEntry> ok = VaultFileFormat.decodeEntries(
                concat(u32(2), new byte[] {2, 1, 'a'}, secret, new byte[] {1, 2, 'b', 'c'}, secret), 4 + 35 + 36,
                "vault file X");
        assertThat(ok.keySet()).containsExactly("a", "bc");
        assertThat(ok.get("a").type()).isEqualTo(KeyType.ED25519);
        assertThat(ok.get("bc").type()).isEqualTo(KeyType.X25519);
    }

    @Test
    void encodeAndDecodeAreInverse() {
        MemoryVault memory = new MemoryVault();
        TreeMap<String, KeyEntry> entries = new TreeMap<>();
        for (String label : List.of("a", "B", "zz", "x".repeat(128))) {
            KeyEntry e = KeyEntry.generate(label.length() % 2 == 0 ? KeyType.X25519 : KeyType.ED25519, label,
                    new SecureRandom());
            entries.put(label, e);
        }
        byte[] encoded = VaultFileFormat.encodeEntries(entries);
        NavigableMap<String, KeyEntry> decoded = VaultFileFormat.decodeEntries(encoded, encoded.length, "vault file X");
        assertThat(decoded.keySet()).containsExactlyElementsOf(entries.keySet());
        for (String label : entries.keySet()) {
            assertThat(decoded.get(label).publicKeyCopy()).isEqualTo(entries.get(label).publicKeyCopy());
            assertThat(decoded.get(label).type()).isEqualTo(entries.get(label).type());
        }
        memory.close();
    }

    @Test
    void kdfMemoryBeyondTheHeapIsRefusedBeforeAllocating() {
        FileVault.Options oneGiB = new FileVault.Options(1 << 20, 1, 1);
        assertThatThrownBy(() -> PassphraseKdf.checkHeap(oneGiB, "vault file X", 512L << 20))
                .isInstanceOf(VaultException.class).hasMessageContaining("vault file X")
                .hasMessageContaining("Java heap");
        PassphraseKdf.checkHeap(oneGiB, "vault file X", 2L << 30); // fits
    }

    private static void assertDecodeFails(byte[] plain, String message) {
        assertThatThrownBy(() -> VaultFileFormat.decodeEntries(plain, plain.length, "vault file X"))
                .isInstanceOf(VaultException.class).hasMessageContaining("vault file X").hasMessageContaining(message);
    }

    private static byte[] u32(long v) {
        byte[] out = new byte[4];
        VaultFileFormat.putU32(out, 0, v);
        return out;
    }

    private static byte[] concat(byte[]... parts) {
        int n = 0;
        for (byte[] p : parts) {
            n += p.length;
        }
        byte[] out = new byte[n];
        int pos = 0;
        for (byte[] p : parts) {
            System.arraycopy(p, 0, out, pos, p.length);
            pos += p.length;
        }
        return out;
    }
}
