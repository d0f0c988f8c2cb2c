/**
 * Kura's crypto API (exported 1.3.0 by the API bundles of Kura 5.3.0 through 5.6):
 * {@link org.eclipse.kura.crypto.CryptoService}, which encrypts every {@code Password} configuration attribute and the
 * configuration snapshots. Source of the version: eclipse/kura tag {@code KURA_5.3.0_RELEASE},
 * {@code kura/org.eclipse.kura.api/META-INF/MANIFEST.MF}.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.3.0")
package org.eclipse.kura.crypto;
