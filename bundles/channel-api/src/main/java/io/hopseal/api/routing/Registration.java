package io.hopseal.api.routing;

import org.osgi.annotation.versioning.ProviderType;

/** A worker's registration at a local address; closing it unregisters the worker. Closing twice is harmless. */
@ProviderType
public interface Registration extends AutoCloseable {
    /** The local address the worker is registered at. */
    Address address();

    @Override
    void close();

    /**
     * A registration at {@code address} whose close runs {@code onClose} (which must itself be harmless twice).
     *
     * @since 2.2
     */
    static Registration of(Address address, Runnable onClose) {
        java.util.Objects.requireNonNull(onClose, "onClose");
        return new Registration() {
            @Override
            public Address address() {
                return address;
            }

            @Override
            public void close() {
                onClose.run();
            }
        };
    }
}
