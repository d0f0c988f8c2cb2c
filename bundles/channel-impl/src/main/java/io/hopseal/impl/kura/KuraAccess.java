package io.hopseal.impl.kura;

import org.eclipse.kura.configuration.ConfigurableComponent;
import org.eclipse.kura.crypto.CryptoService;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Reference;

import io.hopseal.impl.component.AccessComponent;

/**
 * Kura's handle on the {@value AccessComponent#PID} configuration: the access control settings (trusted authorities,
 * service policies, revocations). Why a separate component: see the package documentation.
 */
@Component(name = KuraAccess.NAME, configurationPid = AccessComponent.PID,
        configurationPolicy = ConfigurationPolicy.REQUIRE, service = ConfigurableComponent.class,
        reference = @Reference(name = "kura", service = CryptoService.class))
public final class KuraAccess implements ConfigurableComponent {
    /** Component name (the configuration pid is the real component's). */
    public static final String NAME = AccessComponent.PID + ".configurable";
}
