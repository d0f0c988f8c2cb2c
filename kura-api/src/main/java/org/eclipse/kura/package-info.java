/**
 * Kura's base package, exported 1.7.0 by the API bundle of Kura 5.3.0 (2.5.0, the oldest Kura Hopseal supports)
 * through 5.6: only {@link org.eclipse.kura.KuraException} and {@link org.eclipse.kura.KuraErrorCode}, the exception
 * type every Kura service method declares. Source: eclipse/kura tag {@code KURA_5.3.0_RELEASE},
 * {@code kura/org.eclipse.kura.api/META-INF/MANIFEST.MF} (Export-Package).
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.7.0")
package org.eclipse.kura;
