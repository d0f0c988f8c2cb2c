package io.hopseal.impl.kura;

import org.eclipse.kura.configuration.ConfigurableComponent;
import org.eclipse.kura.crypto.CryptoService;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Reference;

import io.hopseal.impl.component.ChannelsComponent;

/**
 * Kura's handle on the {@value ChannelsComponent#PID} configuration: the secure channel service (listener, trust,
 * timeouts, vault). Why a separate component: see the package documentation.
 */
@Component(name = KuraChannels.NAME, configurationPid = ChannelsComponent.PID,
        configurationPolicy = ConfigurationPolicy.REQUIRE, service = ConfigurableComponent.class,
        reference = @Reference(name = "kura", service = CryptoService.class))
public final class KuraChannels implements ConfigurableComponent {
    /** Component name (the configuration pid is the real component's). */
    public static final String NAME = ChannelsComponent.PID + ".configurable";
}
