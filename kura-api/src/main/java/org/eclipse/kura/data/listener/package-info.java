/**
 * Listener of Kura's data service (exported 1.0.1 by Kura's API bundle). Source of the version: eclipse/kura tag
 * {@code KURA_5.3.0_RELEASE}, {@code kura/org.eclipse.kura.api/META-INF/MANIFEST.MF}.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.0.1")
package org.eclipse.kura.data.listener;
