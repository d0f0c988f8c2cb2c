package io.hopseal.link.serial;

import java.io.IOException;
import java.util.List;
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

    /**
     * The provider a port with {@code driver} uses among {@code available}: {@link PortDriver#AUTO} prefers Kura's
     * comm service (on Kura it knows the gateway's port names and permissions), then jSerialComm, then any other.
     *
     * @throws IOException naming what is missing when no provider fits
     */
    public static SerialPortProvider select(PortDriver driver, List<SerialPortProvider> available) throws IOException {
        SerialPortProvider kura = find(available, KURA);
        SerialPortProvider jsc = find(available, JSERIALCOMM);
        switch (driver) {
            case JSERIALCOMM:
                if (jsc == null) {
                    throw new IOException("driver jserialcomm chosen but jSerialComm (com.fazecast.jSerialComm) is not "
                            + "installed");
                }
                return jsc;
            case KURA:
                if (kura == null) {
                    throw new IOException("driver kura chosen but Kura's comm service "
                            + "(org.osgi.service.io.ConnectionFactory, io.scheme=comm) is not present");
                }
                return kura;
            case AUTO:
                if (kura != null) {
                    return kura;
                }
                if (jsc != null) {
                    return jsc;
                }
                if (!available.isEmpty()) {
                    return available.get(0);
                }
                throw new IOException("no serial port access: jSerialComm (com.fazecast.jSerialComm) is not installed "
                        + "and Kura's comm service (org.osgi.service.io.ConnectionFactory, io.scheme=comm) is not present");
            default:
                throw new IOException("unknown driver " + driver);
        }
    }

    private static SerialPortProvider find(List<SerialPortProvider> available, String name) {
        for (SerialPortProvider p : available) {
            if (name.equals(p.name())) {
                return p;
            }
        }
        return null;
    }
}
