/**
 * Kura registrations of this bundle's configurable components: one tiny DS component per configuration pid,
 * registered as {@code org.eclipse.kura.configuration.ConfigurableComponent} so that Kura's ConfigurationService lists
 * the pid in the web UI's Services pages (Kura reads only the registration's {@code service.pid},
 * {@code kura.service.pid} and {@code service.factoryPid}; it never calls the object).
 *
 * <p>Why separate components and not {@code service = {..., ConfigurableComponent.class}} on the real component:
 * <ul>
 * <li>without Kura, SCR could not load {@code ConfigurableComponent} and the real component would not work; these
 * components instead need a Kura {@code CryptoService} (every Kura has one; Kura's ConfigurationService itself
 * requires it), so without Kura they stay unsatisfied and SCR never loads their class: the bundle's imports of
 * {@code org.eclipse.kura.*} are optional;</li>
 * <li>each shares the real component's configuration pid, so SCR gives its registration exactly the configuration's
 * {@code service.pid}, {@code kura.service.pid} and, for factory instances, {@code service.factoryPid}: one Kura
 * entry per factory configuration with nothing copied by hand;</li>
 * <li>it is registered whether or not the real component could start (a refused configuration, a
 * {@code Vault.target} matching nothing), so the configuration stays visible in Kura's UI and can be fixed there;</li>
 * <li>they are delayed components: Kura only looks at the service reference, so the class is never even
 * instantiated.</li>
 * </ul>
 * The real components keep their names equal to the pid (Kura's UI resolves {@code <reference>.target} pickers
 * through the component description of that name).
 */
package io.hopseal.impl.kura;
