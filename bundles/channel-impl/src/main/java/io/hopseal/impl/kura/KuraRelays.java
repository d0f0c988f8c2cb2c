package io.hopseal.impl.kura;

import org.eclipse.kura.configuration.ConfigurableComponent;
import org.eclipse.kura.crypto.CryptoService;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Reference;

import io.hopseal.impl.component.RelaysComponent;

/** Kura's handle on the {@value RelaysComponent#PID} configuration. Why a separate component: see the package documentation. */
@Component(name = KuraRelays.NAME, configurationPid = RelaysComponent.PID,
        configurationPolicy = ConfigurationPolicy.REQUIRE, service = ConfigurableComponent.class,
        reference = @Reference(name = "kura", service = CryptoService.class))
public final class KuraRelays implements ConfigurableComponent {
    /** Component name (the configuration pid is the real component's). */
    public static final String NAME = RelaysComponent.PID + ".configurable";
}
