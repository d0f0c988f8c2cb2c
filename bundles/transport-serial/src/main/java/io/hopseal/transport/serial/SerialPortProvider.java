package io.hopseal.transport.serial;

import java.io.IOException;

/**
 * Opens serial ports: jSerialComm when running standalone ({@link SerialPortProviders#jSerialComm()}), Kura's comm
 * API ({@code org.osgi.service.io.ConnectionFactory}, {@code comm:} URIs) on Kura. Also registered as an OSGi service
 * by the Kura provider component, so the transport picks it up at run time.
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
