/**
 * Everything of the vault bundle that touches Kura classes: the Kura registration of the vault's configuration
 * ({@link io.hopseal.vault.kura.KuraVault}) and keys kept in a Kura KeystoreService
 * ({@link io.hopseal.vault.kura.KuraKeystoreVault}). The vault component only calls into these classes when the
 * corresponding Kura service is bound, so without Kura none of them is loaded and the optional imports of
 * {@code org.eclipse.kura.*} may stay unresolved. Private to the bundle. The passphrase is decrypted through Kura's
 * CryptoService by component-support's {@code io.hopseal.support.kura.KuraPasswords}, embedded as the transports do.
 */
package io.hopseal.vault.kura;
