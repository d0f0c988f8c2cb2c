package io.hopseal.link.serial.kura;

import java.io.IOException;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.io.ConnectionFactory;

import io.hopseal.link.serial.SerialConnection;
import io.hopseal.link.serial.SerialPortProvider;
import io.hopseal.link.serial.SerialPortProviders;
import io.hopseal.link.serial.SerialPortSettings;

/**
 * On Kura: offers Kura's comm API as a {@link SerialPortProvider} service, which the transport component of the bundle
 * embedding this library picks up (the serial and the ZigBee transport each list this package in their bnd
 * {@code -privatepackage}, so each gets its own copy of this component and its descriptor).
 *
 * <p>{@link SerialPortProvider} is each bundle's private copy of the serial port layer, so a bundle never sees the
 * other's provider service: the framework hands a service only to a bundle whose class space can use its type. Both
 * copies have the component name {@value #NAME} (component names are per bundle). Satisfied only when a
 * {@code org.osgi.service.io.ConnectionFactory} with {@code io.scheme=comm} exists (Kura's
 * {@code org.eclipse.kura.core.comm}); elsewhere SCR never loads this class, so the optional imports of
 * {@code org.osgi.service.io} and {@code javax.microedition.io} may stay unresolved.
 */
@Component(name = KuraCommProviderComponent.NAME, service = SerialPortProvider.class,
        configurationPolicy = ConfigurationPolicy.IGNORE, property = "hopseal.serial.provider=" + SerialPortProviders.KURA)
public final class KuraCommProviderComponent implements SerialPortProvider {
    /** Component name, the same in every bundle embedding this (the transports' reference targets it). */
    public static final String NAME = "io.hopseal.link.serial.kura";

    @Reference(target = "(io.scheme=comm)")
    private ConnectionFactory connectionFactory;

    private KuraCommPortProvider provider;

    @Activate
    void activate() {
        provider = new KuraCommPortProvider(connectionFactory);
    }

    @Override
    public String name() {
        return SerialPortProviders.KURA;
    }

    @Override
    public SerialConnection open(SerialPortSettings settings) throws IOException {
        return provider.open(settings);
    }
}
