package io.hopseal.transport.mqtt.kura;

import org.eclipse.kura.configuration.ConfigurableComponent;
import org.eclipse.kura.crypto.CryptoService;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Reference;

import io.hopseal.transport.mqtt.component.MqttLinkComponent;

/**
 * Kura's handle on the {@value MqttLinkComponent#PID} configurations (a factory): one entry per broker link, so Kura's
 * Services pages list them. Satisfied only where Kura's CryptoService exists, so SCR never loads this class without
 * Kura (the same arrangement as the TCP listener's).
 */
@Component(name = KuraMqttLink.NAME, configurationPid = MqttLinkComponent.PID,
        configurationPolicy = ConfigurationPolicy.REQUIRE, service = ConfigurableComponent.class,
        reference = @Reference(name = "kura", service = CryptoService.class))
public final class KuraMqttLink implements ConfigurableComponent {
    /** Component name (the configuration pid is the real component's). */
    public static final String NAME = MqttLinkComponent.PID + ".configurable";
}
