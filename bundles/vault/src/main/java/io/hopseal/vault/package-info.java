/**
 * Key vaults implementing {@link io.hopseal.api.vault.Vault}: {@link io.hopseal.vault.MemoryVault} (in memory, for
 * tests and devices without storage) and {@link io.hopseal.vault.FileVault} (all keys in one passphrase-encrypted
 * file), plus {@link io.hopseal.vault.Ed25519Signatures} for verifying peers' signatures.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.0.0")
package io.hopseal.vault;
