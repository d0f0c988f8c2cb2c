/**
 * Kura's data service API (exported 1.1.2 by Kura's API bundle): {@link org.eclipse.kura.data.DataService}, the
 * gateway's MQTT connection. Source of the version: eclipse/kura tag {@code KURA_5.3.0_RELEASE},
 * {@code kura/org.eclipse.kura.api/META-INF/MANIFEST.MF}.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.1.2")
package org.eclipse.kura.data;
