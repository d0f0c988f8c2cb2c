package io.hopseal.api.channel;

import java.util.Map;

import org.osgi.annotation.versioning.ProviderType;

import io.hopseal.api.routing.Address;

/** A running listener that accepts channels at a local address. */
@ProviderType
public interface ChannelListener extends AutoCloseable {
    /** The local address initiators route to (e.g. {@code /service/api}). */
    Address address();

    ListenerOptions options();

    /** Counters: handshakes started, completed, failed by reason. */
    Map<String, Long> counters();

    /** Stops accepting new channels; open channels stay open. */
    @Override
    void close();
}
