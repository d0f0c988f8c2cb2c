package io.hopseal.impl.kura;

import org.eclipse.kura.configuration.ConfigurableComponent;
import org.eclipse.kura.crypto.CryptoService;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Reference;

import io.hopseal.impl.component.EchoComponent;

/**
 * Kura's handle on the {@value EchoComponent#PID} configuration: the echo demo service. Why a separate component: see
 * the package documentation.
 */
@Component(name = KuraEcho.NAME, configurationPid = EchoComponent.PID,
        configurationPolicy = ConfigurationPolicy.REQUIRE, service = ConfigurableComponent.class,
        reference = @Reference(name = "kura", service = CryptoService.class))
public final class KuraEcho implements ConfigurableComponent {
    /** Component name (the configuration pid is the real component's). */
    public static final String NAME = EchoComponent.PID + ".configurable";
}
