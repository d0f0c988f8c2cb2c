/**
 * Key vaults implementing {@link io.hopseal.api.vault.Vault}: {@link io.hopseal.vault.MemoryVault} (in memory, for
 * tests and devices without storage), {@link io.hopseal.vault.FileVault} (all keys in one passphrase-encrypted
 * file) and {@link io.hopseal.vault.KeyStoreVault} (keys as entries of a key store owned by somebody else, e.g. a
 * Kura KeystoreService), plus {@link io.hopseal.vault.Ed25519Signatures} for verifying peers' signatures.
 *
 * <p>Not exported: the vault bundle provides the {@link io.hopseal.api.vault.Vault} service and imports only the API, so
 * no bundle is refreshed when the vault is updated (docs/architecture.md).
 */
package io.hopseal.vault;
