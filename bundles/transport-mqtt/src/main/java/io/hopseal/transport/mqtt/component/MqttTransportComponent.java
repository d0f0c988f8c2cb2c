package io.hopseal.transport.mqtt.component;

import java.util.Map;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.hopseal.api.routing.Address;
import io.hopseal.api.routing.Message;
import io.hopseal.api.routing.SendResult;
import io.hopseal.api.transport.InboundSink;
import io.hopseal.api.transport.Transport;
import io.hopseal.transport.mqtt.MqttTransport;

/**
 * The node's MQTT transport (one per framework), registered as the {@link Transport} service with
 * {@code hopseal.transport=mqtt}; the router finds it on the whiteboard and attaches itself. It has no settings of its
 * own: each broker link is a factory configuration ({@link MqttLinkComponent}). The {@link MqttTransport} it owns
 * lives as long as the component, so links and the attached router survive every link reconfiguration.
 */
@Component(name = MqttTransportComponent.PID, immediate = true, configurationPolicy = ConfigurationPolicy.IGNORE,
        service = Transport.class, property = MqttTransportComponent.TRANSPORT_PROPERTY + "=mqtt")
public final class MqttTransportComponent implements Transport {
    private static final Logger LOG = LoggerFactory.getLogger(MqttTransportComponent.class);

    /** Component name. */
    public static final String PID = "io.hopseal.transport.mqtt";
    /** Service property naming a transport service. */
    public static final String TRANSPORT_PROPERTY = "hopseal.transport";
    /** Target filter for this component's service. */
    public static final String TARGET = "(&(" + TRANSPORT_PROPERTY + "=mqtt)(component.name=" + PID + "))";

    private final MqttTransport transport = new MqttTransport();

    @Activate
    void activate() {
        LOG.info("{} started", PID);
    }

    @Deactivate
    void deactivate() {
        transport.close();
        LOG.info("{} stopped", PID);
    }

    /** The transport the link components add their links to. */
    public MqttTransport transport() {
        return transport;
    }

    @Override
    public int addressType() {
        return Address.MQTT;
    }

    @Override
    public String name() {
        return transport.name();
    }

    @Override
    public void attach(InboundSink sink) {
        transport.attach(sink);
    }

    @Override
    public void detach(InboundSink sink) {
        transport.detach(sink);
    }

    @Override
    public SendResult send(Address nextHop, Message message) {
        return transport.send(nextHop, message);
    }

    @Override
    public Map<String, Long> counters() {
        return transport.counters();
    }

    @Override
    public String status() {
        return transport.status();
    }
}
