package io.hopseal.impl.kura;

import org.eclipse.kura.configuration.ConfigurableComponent;
import org.eclipse.kura.crypto.CryptoService;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Reference;

import io.hopseal.impl.component.RouterComponent;

/**
 * Kura's handle on the {@value RouterComponent#PID} configuration: the router (its forwarding allow list, on the
 * Services page). Why a separate component: see the package documentation.
 */
@Component(name = KuraRouter.NAME, configurationPid = RouterComponent.PID,
        configurationPolicy = ConfigurationPolicy.REQUIRE, service = ConfigurableComponent.class,
        reference = @Reference(name = "kura", service = CryptoService.class))
public final class KuraRouter implements ConfigurableComponent {
    /** Component name (the configuration pid is the real component's). */
    public static final String NAME = RouterComponent.PID + ".configurable";
}
