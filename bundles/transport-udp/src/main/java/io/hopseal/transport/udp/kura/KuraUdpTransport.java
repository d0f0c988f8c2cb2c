package io.hopseal.transport.udp.kura;

import org.eclipse.kura.configuration.ConfigurableComponent;
import org.eclipse.kura.crypto.CryptoService;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Reference;

import io.hopseal.transport.udp.component.UdpTransportComponent;

/** Kura's handle on the {@value UdpTransportComponent#PID} configuration, so Kura's Services pages list it. */
@Component(name = KuraUdpTransport.NAME, configurationPid = UdpTransportComponent.PID,
        configurationPolicy = ConfigurationPolicy.REQUIRE, service = ConfigurableComponent.class,
        reference = @Reference(name = "kura", service = CryptoService.class))
public final class KuraUdpTransport implements ConfigurableComponent {
    public static final String NAME = UdpTransportComponent.PID + ".configurable";
}
