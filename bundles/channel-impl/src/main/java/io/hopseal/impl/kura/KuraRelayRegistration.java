package io.hopseal.impl.kura;

import org.eclipse.kura.configuration.ConfigurableComponent;
import org.eclipse.kura.crypto.CryptoService;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Reference;

import io.hopseal.impl.component.RelayRegistrationComponent;

/**
 * Kura's handle on the {@value RelayRegistrationComponent#PID} factory configurations (one per relay). Why a separate
 * component: see the package documentation.
 */
@Component(name = KuraRelayRegistration.NAME, configurationPid = RelayRegistrationComponent.PID,
        configurationPolicy = ConfigurationPolicy.REQUIRE, service = ConfigurableComponent.class,
        reference = @Reference(name = "kura", service = CryptoService.class))
public final class KuraRelayRegistration implements ConfigurableComponent {
    /** Component name (the configuration pid is the real component's). */
    public static final String NAME = RelayRegistrationComponent.PID + ".configurable";
}
