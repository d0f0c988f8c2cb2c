package org.eclipse.kura.configuration;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * Marker interface (no methods, as in Kura): a service registered under this name and carrying {@code service.pid}
 * (plus {@code kura.service.pid}, {@code service.factoryPid} for factory instances) is managed by Kura's
 * ConfigurationService, which finds its metatype at {@code OSGI-INF/metatype/<pid>.xml} of an active bundle.
 *
 * <p>Follows eclipse/kura tag {@code KURA_5.3.0_RELEASE},
 * {@code kura/org.eclipse.kura.api/src/main/java/org/eclipse/kura/configuration/ConfigurableComponent.java}.
 */
@ConsumerType
public interface ConfigurableComponent {
}
