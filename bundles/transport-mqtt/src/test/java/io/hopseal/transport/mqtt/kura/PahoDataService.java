package io.hopseal.transport.mqtt.kura;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import org.eclipse.kura.KuraErrorCode;
import org.eclipse.kura.KuraException;
import org.eclipse.kura.data.DataService;
import org.eclipse.kura.data.listener.DataServiceListener;
import org.eclipse.paho.mqttv5.client.IMqttToken;
import org.eclipse.paho.mqttv5.client.MqttAsyncClient;
import org.eclipse.paho.mqttv5.client.MqttCallback;
import org.eclipse.paho.mqttv5.client.MqttConnectionOptions;
import org.eclipse.paho.mqttv5.client.MqttDisconnectResponse;
import org.eclipse.paho.mqttv5.client.persist.MemoryPersistence;
import org.eclipse.paho.mqttv5.common.MqttException;
import org.eclipse.paho.mqttv5.common.MqttMessage;
import org.eclipse.paho.mqttv5.common.packet.MqttProperties;

/**
 * Kura's DataService as the gateway has it, for tests outside Kura: one MQTT connection to a real broker (Kura's own
 * is Paho too), publishing, synchronous subscriptions and listeners called with every arriving message.
 */
final class PahoDataService implements DataService, AutoCloseable {
    private final MqttAsyncClient client;
    private final List<DataServiceListener> listeners = new CopyOnWriteArrayList<>();

    PahoDataService(String uri, String clientId) throws MqttException {
        client = new MqttAsyncClient(uri, clientId, new MemoryPersistence());
        client.setCallback(new MqttCallback() {
            @Override
            public void messageArrived(String topic, MqttMessage m) {
                listeners.forEach(l -> l.onMessageArrived(topic, m.getPayload(), m.getQos(), m.isRetained()));
            }

            @Override
            public void disconnected(MqttDisconnectResponse r) {
                listeners.forEach(l -> l.onConnectionLost(r.getException()));
            }

            @Override
            public void connectComplete(boolean reconnect, String serverURI) {
                listeners.forEach(DataServiceListener::onConnectionEstablished);
            }

            @Override
            public void mqttErrorOccurred(MqttException e) {
            }

            @Override
            public void deliveryComplete(IMqttToken t) {
            }

            @Override
            public void authPacketArrived(int reasonCode, MqttProperties properties) {
            }
        });
    }

    void connect() throws MqttException {
        client.connect(new MqttConnectionOptions()).waitForCompletion(10_000);
    }

    @Override
    public boolean isConnected() {
        return client.isConnected();
    }

    @Override
    public void subscribe(String topic, int qos) throws KuraException {
        try {
            client.subscribe(topic, qos).waitForCompletion(10_000);
        } catch (MqttException e) {
            throw new KuraException(KuraErrorCode.INTERNAL_ERROR, e, "subscribe");
        }
    }

    @Override
    public void unsubscribe(String topic) throws KuraException {
        try {
            client.unsubscribe(topic).waitForCompletion(10_000);
        } catch (MqttException e) {
            throw new KuraException(KuraErrorCode.INTERNAL_ERROR, e, "unsubscribe");
        }
    }

    @Override
    public int publish(String topic, byte[] payload, int qos, boolean retain, int priority) throws KuraException {
        try {
            return client.publish(topic, payload, qos, retain).getMessageId();
        } catch (MqttException e) {
            throw new KuraException(KuraErrorCode.INTERNAL_ERROR, e, "publish");
        }
    }

    @Override
    public void addDataServiceListener(DataServiceListener l) {
        listeners.add(l);
    }

    @Override
    public void removeDataServiceListener(DataServiceListener l) {
        listeners.remove(l);
    }

    @Override
    public void close() throws MqttException {
        client.disconnectForcibly(0, 500, false);
        client.close(true);
    }
}
