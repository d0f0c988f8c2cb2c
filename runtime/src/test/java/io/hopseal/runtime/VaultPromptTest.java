package io.hopseal.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Hashtable;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The start-up prompt for a locked vault, with the terminal's reader replaced (the one stubbed seam). */
class VaultPromptTest {
    @TempDir
    Path data;

    private Hashtable<String, Object> vault(Object... kv) {
        Hashtable<String, Object> p = new Hashtable<>();
        p.put("store", "file");
        p.put("path", "${hopseal.data}/vault.bin");
        p.put("passphrase.file", "");
        p.put("passphrase.env", "");
        for (int i = 0; i < kv.length; i += 2) {
            p.put((String) kv[i], kv[i + 1]);
        }
        return p;
    }

    @Test
    void aVaultIsLockedOnlyWhenItsFileExistsAndNoSourceNorGeneratedFileGivesItsPassphrase() throws Exception {
        Path file = data.resolve("vault.bin");
        assertThat(VaultPrompt.lockedVault(vault(), data)).as("no vault file yet: it is created").isNull();
        Files.writeString(file, "encrypted");
        assertThat(VaultPrompt.lockedVault(vault(), data)).isEqualTo(file);
        assertThat(VaultPrompt.lockedVault(vault("path", "vault.bin"), data)).as("relative to the data folder")
                .isEqualTo(file);
        assertThat(VaultPrompt.lockedVault(vault("passphrase.file", "/etc/hopseal/vault"), data)).isNull();
        assertThat(VaultPrompt.lockedVault(vault("passphrase.env", "VAULT_PASS"), data)).isNull();
        assertThat(VaultPrompt.lockedVault(vault("passphrase", "held in memory"), data)).isNull();
        assertThat(VaultPrompt.lockedVault(vault("store", "kura-keystore"), data)).isNull();
        assertThat(VaultPrompt.lockedVault(null, data)).isNull();
        assertThat(VaultPrompt.generatedPassphrase(vault(), data)).isNull();

        Path generated = data.resolve("vault.bin.passphrase");
        Files.writeString(generated, "generated\n");
        assertThat(VaultPrompt.lockedVault(vault(), data)).as("the generated file opens it").isNull();
        assertThat(VaultPrompt.generatedPassphrase(vault(), data)).as("named by the banner").isEqualTo(generated);
        assertThat(VaultPrompt.generatedPassphrase(vault("passphrase.file", "/etc/hopseal/vault"), data)).isNull();
        assertThat(VaultPrompt.lockedMessage(file)).startsWith("vault locked: " + file)
                .contains("--vault-passphrase-file FILE", "HOPSEAL_VAULT_PASSPHRASE_FILE", "terminal", "Passphrase field");
    }

    @Test
    void thePassphraseIsReadOnceWithoutEchoHandedOnAndTheArrayWiped() {
        char[] typed = "typed at the prompt".toCharArray();
        List<String> prompts = new ArrayList<>();
        List<String> handed = new ArrayList<>();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        boolean done = VaultPrompt.ask(p -> {
            prompts.add(p);
            return typed;
        }, data.resolve("vault.bin"), handed::add, new PrintStream(out, true, StandardCharsets.UTF_8));

        assertThat(done).isTrue();
        assertThat(prompts).as("asked once").hasSize(1);
        assertThat(prompts.get(0)).contains("kept for this run only");
        assertThat(handed).containsExactly("typed at the prompt");
        assertThat(typed).as("wiped after use").containsOnly('\0');
        assertThat(out.toString(StandardCharsets.UTF_8)).contains(data.resolve("vault.bin").toString())
                .doesNotContain("typed at the prompt");
    }

    @Test
    void nothingTypedOrTheEndOfInputHandsNothingOn() {
        List<String> handed = new ArrayList<>();
        PrintStream out = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
        assertThat(VaultPrompt.ask(p -> new char[0], data, handed::add, out)).isFalse();
        assertThat(VaultPrompt.ask(p -> null, data, handed::add, out)).isFalse();
        assertThat(handed).isEmpty();
    }
}
