/**
 * Kura's configuration API (exported 1.2.0 by every Kura 5.x API bundle): only the
 * {@link org.eclipse.kura.configuration.ConfigurableComponent} marker. Kura's ConfigurationService tracks services
 * registered under that interface and shows those with a {@code service.pid} in the web UI's Services pages.
 * Source of the version: eclipse/kura tag {@code KURA_5.3.0_RELEASE}, {@code kura/org.eclipse.kura.api/META-INF/MANIFEST.MF}.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.2.0")
package org.eclipse.kura.configuration;
