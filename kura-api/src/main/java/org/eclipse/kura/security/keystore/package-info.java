/**
 * Kura's keystore API as exported by Kura 5.3.0 to 5.5 (1.1.0; 1.0.0 in 5.0-5.2, 1.2.0 in 5.6):
 * {@link org.eclipse.kura.security.keystore.KeystoreService}, the keystores listed under Security > Keystore
 * Configuration. 1.1.0, not a newer version, so that bnd computes an import range that Kura 5.3 satisfies. Source of
 * the version: eclipse/kura tag {@code KURA_5.3.0_RELEASE}, {@code kura/org.eclipse.kura.api/META-INF/MANIFEST.MF}.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.1.0")
package org.eclipse.kura.security.keystore;
