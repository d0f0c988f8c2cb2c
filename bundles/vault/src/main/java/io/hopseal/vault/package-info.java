/**
 * Key vaults implementing {@link io.hopseal.api.vault.Vault}: {@link io.hopseal.vault.MemoryVault} (in memory, for
 * tests and devices without storage), {@link io.hopseal.vault.FileVault} (all keys in one passphrase-encrypted
 * file) and {@link io.hopseal.vault.KeyStoreVault} (keys as entries of a key store owned by somebody else, e.g. a
 * Kura KeystoreService), plus {@link io.hopseal.vault.Ed25519Signatures} for verifying peers' signatures.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.1.0")
package io.hopseal.vault;
