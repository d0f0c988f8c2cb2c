package io.hopseal.transport.lora.kura;

import org.eclipse.kura.configuration.ConfigurableComponent;
import org.eclipse.kura.crypto.CryptoService;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Reference;

import io.hopseal.transport.lora.component.LoraTransportComponent;

/**
 * Kura's handle on the {@value LoraTransportComponent#PID} configuration (the LoRaWAN transport settings): registered as Kura's
 * {@link ConfigurableComponent} under the configuration's pid so Kura's Services pages list it; satisfied only
 * where a Kura {@link CryptoService} exists (see io.hopseal.impl.kura in channel-impl for the reasoning).
 */
@Component(name = KuraLoraTransport.NAME, configurationPid = LoraTransportComponent.PID,
        configurationPolicy = ConfigurationPolicy.REQUIRE, service = ConfigurableComponent.class,
        reference = @Reference(name = "kura", service = CryptoService.class))
public final class KuraLoraTransport implements ConfigurableComponent {
    /** Component name (the configuration pid is the real component's). */
    public static final String NAME = LoraTransportComponent.PID + ".configurable";
}
