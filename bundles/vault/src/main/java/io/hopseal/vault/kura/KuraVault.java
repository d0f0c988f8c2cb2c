package io.hopseal.vault.kura;

import org.eclipse.kura.configuration.ConfigurableComponent;
import org.eclipse.kura.crypto.CryptoService;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Reference;

import io.hopseal.vault.component.VaultComponent;

/**
 * Kura's handle on the {@value VaultComponent#PID} configuration: registered as Kura's {@link ConfigurableComponent}
 * with the configuration's {@code service.pid} and {@code kura.service.pid}, so the vault appears in Kura's Services
 * pages. Satisfied only where a Kura {@link CryptoService} exists, so SCR never loads this class without Kura. A
 * separate component (same configuration pid) rather than a second interface of {@link VaultComponent}: the real
 * component must run without Kura's classes, and this registration must stay even when the vault refuses a
 * configuration, so it can be fixed in Kura's UI.
 */
@Component(name = KuraVault.NAME, configurationPid = VaultComponent.PID,
        configurationPolicy = ConfigurationPolicy.REQUIRE, service = ConfigurableComponent.class,
        reference = @Reference(name = "kura", service = CryptoService.class))
public final class KuraVault implements ConfigurableComponent {
    /** Component name (the configuration pid is the vault's). */
    public static final String NAME = VaultComponent.PID + ".configurable";
}
