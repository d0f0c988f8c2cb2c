package io.hopseal.transport.lora.kura;

import org.eclipse.kura.configuration.ConfigurableComponent;
import org.eclipse.kura.crypto.CryptoService;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Reference;

import io.hopseal.transport.lora.component.LoraDeviceComponent;

/**
 * Kura's handle on the {@value LoraDeviceComponent#PID} configuration (a factory: one per device): registered as Kura's
 * {@link ConfigurableComponent} under the configuration's pid so Kura's Services pages list it; satisfied only
 * where a Kura {@link CryptoService} exists (see io.hopseal.impl.kura in channel-impl for the reasoning).
 */
@Component(name = KuraLoraDevice.NAME, configurationPid = LoraDeviceComponent.PID,
        configurationPolicy = ConfigurationPolicy.REQUIRE, service = ConfigurableComponent.class,
        reference = @Reference(name = "kura", service = CryptoService.class))
public final class KuraLoraDevice implements ConfigurableComponent {
    /** Component name (the configuration pid is the real component's). */
    public static final String NAME = LoraDeviceComponent.PID + ".configurable";
}
