package io.hopseal.link.serial;

import java.io.IOException;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Supplier;

/**
 * The {@link SerialPortProvider}s a transport opens its ports with (jSerialComm when it is there, Kura's comm API when
 * it appears), and, per port, an {@link Opener} that chooses among them by the port's {@link PortDriver} at every
 * attempt and remembers which one opened the port. Both serial and ZigBee transports use it, so a provider that comes
 * or goes is handled the same way by both. Thread-safe.
 */
public final class SerialPortAccess {
    private final CopyOnWriteArrayList<SerialPortProvider> providers = new CopyOnWriteArrayList<>();

    /** With these providers (more can be added). */
    public SerialPortAccess(List<SerialPortProvider> initial) {
        for (SerialPortProvider p : initial) {
            providers.add(Objects.requireNonNull(p, "provider"));
        }
    }

    /** With jSerialComm if it can be loaded ({@link SerialPortProviders#jSerialComm()}), else none yet. */
    public static SerialPortAccess withJSerialComm() {
        return new SerialPortAccess(SerialPortProviders.jSerialComm().map(List::of).orElse(List.of()));
    }

    /** Adds a provider; false if it was there already. */
    public boolean add(SerialPortProvider p) {
        return providers.addIfAbsent(Objects.requireNonNull(p, "provider"));
    }

    /** Removes a provider; false if it was not there. */
    public boolean remove(SerialPortProvider p) {
        return providers.remove(p);
    }

    public List<SerialPortProvider> providers() {
        return List.copyOf(providers);
    }

    /** The provider {@code driver} chooses now ({@link SerialPortProviders#select}). */
    public SerialPortProvider select(PortDriver driver) throws IOException {
        return SerialPortProviders.select(driver, providers());
    }

    /** An opener for one port whose driver setting is read at every attempt (it can change live). */
    public Opener opener(Supplier<PortDriver> driver) {
        return new Opener(Objects.requireNonNull(driver, "driver"));
    }

    /** Opens one port with the provider its driver chooses at that moment; hand it to {@link SerialLink}. */
    public final class Opener implements SerialPortProvider {
        private final Supplier<PortDriver> driver;
        private volatile SerialPortProvider lastUsed;

        Opener(Supplier<PortDriver> driver) {
            this.driver = driver;
        }

        @Override
        public String name() {
            return "driver " + driver.get().value();
        }

        @Override
        public SerialConnection open(SerialPortSettings settings) throws IOException {
            SerialPortProvider p = select(driver.get());
            lastUsed = p;
            return p.open(settings);
        }

        /** The provider chosen at the last attempt (null before the first). */
        public SerialPortProvider lastUsed() {
            return lastUsed;
        }

        /** Its name, or null. */
        public String lastUsedName() {
            SerialPortProvider p = lastUsed;
            return p == null ? null : p.name();
        }
    }
}
