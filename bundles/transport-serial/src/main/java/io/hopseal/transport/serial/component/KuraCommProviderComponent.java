package io.hopseal.transport.serial.component;

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
import io.hopseal.link.serial.kura.KuraCommPortProvider;

/**
 * On Kura: offers Kura's comm API as a {@link SerialPortProvider} service, which {@link SerialTransportComponent}
 * picks up. {@link SerialPortProvider} is this bundle's private copy of the serial port layer, so no other bundle sees
 * this service (the ZigBee bundle has its own). Satisfied only when a {@code org.osgi.service.io.ConnectionFactory} with {@code io.scheme=comm} exists
 * (Kura's {@code org.eclipse.kura.core.comm}); elsewhere SCR never loads this class, so the optional imports of
 * {@code org.osgi.service.io} and {@code javax.microedition.io} may stay unresolved.
 */
@Component(name = KuraCommProviderComponent.NAME, service = SerialPortProvider.class,
        configurationPolicy = ConfigurationPolicy.IGNORE, property = "hopseal.serial.provider=" + SerialPortProviders.KURA)
public final class KuraCommProviderComponent implements SerialPortProvider {
    public static final String NAME = "io.hopseal.transport.serial.kura";

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
