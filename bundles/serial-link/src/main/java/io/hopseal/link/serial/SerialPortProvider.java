package io.hopseal.link.serial;

import java.io.IOException;

/**
 * Opens serial ports: jSerialComm when running standalone ({@link SerialPortProviders#jSerialComm()}), Kura's comm
 * API ({@code org.osgi.service.io.ConnectionFactory}, {@code comm:} URIs) on Kura
 * ({@link io.hopseal.link.serial.kura.KuraCommPortProvider}). Each transport bundle has its own copy of this type, so
 * a provider registered as a service by one bundle is only ever seen by that bundle.
 */
public interface SerialPortProvider {
    /** Name used to choose a provider: {@value SerialPortProviders#JSERIALCOMM}, {@value SerialPortProviders#KURA}. */
    String name();

    /**
     * Opens the port with these settings.
     *
     * @throws IOException with a message an operator can act on (no such device, permission denied, busy)
     */
    SerialConnection open(SerialPortSettings settings) throws IOException;
}
