/**
 * Everything of the vault bundle that touches Kura classes: the Kura registration of the vault's configuration
 * ({@link io.hopseal.vault.kura.KuraVault}), passphrase decryption through Kura's CryptoService
 * ({@link io.hopseal.vault.kura.KuraCrypto}) and keys kept in a Kura KeystoreService
 * ({@link io.hopseal.vault.kura.KuraKeystoreVault}). The vault component only calls into these classes when the
 * corresponding Kura service is bound, so without Kura none of them is loaded and the optional imports of
 * {@code org.eclipse.kura.*} may stay unresolved. Private to the bundle.
 */
package io.hopseal.vault.kura;
