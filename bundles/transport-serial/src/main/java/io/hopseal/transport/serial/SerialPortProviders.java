package io.hopseal.transport.serial;

import java.util.Optional;

/** The built-in providers. */
public final class SerialPortProviders {
    /** Name of the jSerialComm provider. */
    public static final String JSERIALCOMM = "jserialcomm";
    /** Name of the Kura comm API provider. */
    public static final String KURA = "kura";

    private SerialPortProviders() {
    }

    /**
     * The jSerialComm provider, if jSerialComm ({@code com.fazecast.jSerialComm}) can be loaded: on OSGi its package is
     * an optional import, so it is absent when the jSerialComm bundle is not installed.
     */
    public static Optional<SerialPortProvider> jSerialComm() {
        try {
            Class.forName("com.fazecast.jSerialComm.SerialPort", false, SerialPortProviders.class.getClassLoader());
            return Optional.of(new JSerialCommProvider());
        } catch (ClassNotFoundException | LinkageError e) {
            return Optional.empty();
        }
    }
}
