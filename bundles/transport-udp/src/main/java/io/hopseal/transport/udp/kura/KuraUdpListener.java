package io.hopseal.transport.udp.kura;

import org.eclipse.kura.configuration.ConfigurableComponent;
import org.eclipse.kura.crypto.CryptoService;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Reference;

import io.hopseal.transport.udp.component.UdpListenerComponent;

/**
 * Kura's handle on the {@value UdpListenerComponent#PID} configurations (a factory), so Kura's Services pages list
 * them; satisfied only where Kura's CryptoService exists (the TCP listener's arrangement).
 */
@Component(name = KuraUdpListener.NAME, configurationPid = UdpListenerComponent.PID,
        configurationPolicy = ConfigurationPolicy.REQUIRE, service = ConfigurableComponent.class,
        reference = @Reference(name = "kura", service = CryptoService.class))
public final class KuraUdpListener implements ConfigurableComponent {
    public static final String NAME = UdpListenerComponent.PID + ".configurable";
}
