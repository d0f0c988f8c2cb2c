/**
 * Kura's keystore API (exported 1.2.0 by the Kura 5.6 API bundle; 1.0.0 in 5.0-5.2, 1.1.0 in 5.3-5.5):
 * {@link org.eclipse.kura.security.keystore.KeystoreService}, the keystores listed under Security > Keystore
 * Configuration.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.2.0")
package org.eclipse.kura.security.keystore;
