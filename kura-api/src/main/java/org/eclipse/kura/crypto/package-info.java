/**
 * Kura's crypto API (exported 1.3.0 by the Kura 5.6 API bundle): {@link org.eclipse.kura.crypto.CryptoService},
 * which encrypts every {@code Password} configuration attribute and the configuration snapshots.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.3.0")
package org.eclipse.kura.crypto;
