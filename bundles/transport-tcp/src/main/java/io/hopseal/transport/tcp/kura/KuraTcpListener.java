package io.hopseal.transport.tcp.kura;

import org.eclipse.kura.configuration.ConfigurableComponent;
import org.eclipse.kura.crypto.CryptoService;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Reference;

import io.hopseal.transport.tcp.component.TcpListenerComponent;

/**
 * Kura's handle on the {@value TcpListenerComponent#PID} configuration (a factory): one entry per TCP listener
 * configuration (Kura's "+" button creates one). Registered as Kura's {@link ConfigurableComponent} with the
 * configuration's {@code service.pid} and {@code kura.service.pid}, so Kura's Services pages list it. Satisfied only
 * where a Kura {@link CryptoService} exists, so SCR never loads this class without Kura; a separate component (same
 * configuration pid) so that the real component needs no Kura class and the entry stays even when the real component
 * refuses its configuration.
 */
@Component(name = KuraTcpListener.NAME, configurationPid = TcpListenerComponent.PID,
        configurationPolicy = ConfigurationPolicy.REQUIRE, service = ConfigurableComponent.class,
        reference = @Reference(name = "kura", service = CryptoService.class))
public final class KuraTcpListener implements ConfigurableComponent {
    /** Component name (the configuration pid is the real component's). */
    public static final String NAME = TcpListenerComponent.PID + ".configurable";
}
