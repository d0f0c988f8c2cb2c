package org.eclipse.kura.data.listener;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * Events of Kura's {@link org.eclipse.kura.data.DataService}, called synchronously on Kura's threads (keep them
 * short). Kura's names and signatures.
 *
 * <p>Follows eclipse/kura tag {@code KURA_5.3.0_RELEASE},
 * {@code kura/org.eclipse.kura.api/src/main/java/org/eclipse/kura/data/listener/DataServiceListener.java} (package
 * 1.0.1; since API 1.0.8).
 */
@ConsumerType
public interface DataServiceListener {

    void onConnectionEstablished();

    void onDisconnecting();

    void onDisconnected();

    void onConnectionLost(Throwable cause);

    /** Every message arriving on the connection, whoever subscribed to it. */
    void onMessageArrived(String topic, byte[] payload, int qos, boolean retained);

    void onMessagePublished(int messageId, String topic);

    void onMessageConfirmed(int messageId, String topic);
}
