package io.hopseal.transport.serial.kura;

import org.eclipse.kura.configuration.ConfigurableComponent;
import org.eclipse.kura.crypto.CryptoService;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Reference;

import io.hopseal.transport.serial.component.SerialPortComponent;

/**
 * Kura's handle on the {@value SerialPortComponent#PID} configuration (a factory): one entry per serial port
 * configuration (Kura's "+" button creates one). Registered as Kura's {@link ConfigurableComponent} with the
 * configuration's {@code service.pid} and {@code kura.service.pid}, so Kura's Services pages list it. Satisfied only
 * where a Kura {@link CryptoService} exists, so SCR never loads this class without Kura; a separate component (same
 * configuration pid) so that the real component needs no Kura class and the entry stays even when the real component
 * refuses its configuration.
 */
@Component(name = KuraSerialPort.NAME, configurationPid = SerialPortComponent.PID,
        configurationPolicy = ConfigurationPolicy.REQUIRE, service = ConfigurableComponent.class,
        reference = @Reference(name = "kura", service = CryptoService.class))
public final class KuraSerialPort implements ConfigurableComponent {
    /** Component name (the configuration pid is the real component's). */
    public static final String NAME = SerialPortComponent.PID + ".configurable";
}
