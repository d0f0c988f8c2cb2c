package io.hopseal.api.routing;

import org.osgi.annotation.versioning.ProviderType;

/** A worker's registration at a local address; closing it unregisters the worker. Closing twice is harmless. */
@ProviderType
public interface Registration extends AutoCloseable {
    /** The local address the worker is registered at. */
    Address address();

    @Override
    void close();
}
