package org.eclipse.kura.data;

import org.eclipse.kura.KuraException;
import org.eclipse.kura.data.listener.DataServiceListener;
import org.osgi.annotation.versioning.ProviderType;

/**
 * Kura's MQTT data service: the gateway's one broker connection, configured by the operator (broker, credentials,
 * TLS through Kura's SSL manager), with a persistent store and forward for what is published while disconnected. The
 * subset of methods Hopseal calls, with Kura's names and signatures.
 *
 * <p>Follows eclipse/kura tag {@code KURA_5.3.0_RELEASE},
 * {@code kura/org.eclipse.kura.api/src/main/java/org/eclipse/kura/data/DataService.java} (package 1.1.2; unchanged
 * through the 5.x releases). Kura's own declarations throw subclasses of
 * {@link KuraException} ({@code KuraStoreException}, {@code KuraNotConnectedException}, ...); catching
 * {@link KuraException} covers them. Implemented by Kura only.
 */
@ProviderType
public interface DataService {

    /** Whether the service is connected to its broker. */
    boolean isConnected();

    /** Subscribes on the broker (needs a connection; synchronous). */
    void subscribe(String topic, int qos) throws KuraException;

    /** Unsubscribes on the broker (needs a connection; synchronous). */
    void unsubscribe(String topic) throws KuraException;

    /**
     * Publishes (or stores, while disconnected) a message; priority 0 is the highest, below 2 reserved for Kura.
     *
     * @return the message id, matched by {@link DataServiceListener#onMessageConfirmed}
     */
    int publish(String topic, byte[] payload, int qos, boolean retain, int priority) throws KuraException;

    /** Adds a listener for connection events and every message arriving on the connection (since 1.0.8). */
    void addDataServiceListener(DataServiceListener listener);

    /** Removes a listener (since 1.0.8). */
    void removeDataServiceListener(DataServiceListener listener);
}
