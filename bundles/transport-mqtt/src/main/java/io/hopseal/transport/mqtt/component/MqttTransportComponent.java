package io.hopseal.transport.mqtt.component;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.hopseal.api.routing.Address;
import io.hopseal.api.transport.Transport;
import io.hopseal.support.transport.TransportComponentBase;
import io.hopseal.transport.mqtt.MqttTransport;

/**
 * The node's MQTT transport (one per framework), registered as the {@link Transport} service with
 * {@code hopseal.transport=mqtt}; the router finds it on the whiteboard and attaches itself. It has no settings of its
 * own: each broker link is a factory configuration ({@link MqttLinkComponent}). The {@link MqttTransport} it starts
 * at activation lives until deactivation, so links survive every link reconfiguration; sends, counters and status go
 * to it through {@link TransportComponentBase}, which keeps the attached router for the component's whole life.
 * Without a broker link configured the transport opens no connection.
 */
@Component(name = MqttTransportComponent.PID, immediate = true, configurationPolicy = ConfigurationPolicy.IGNORE,
        service = Transport.class, property = MqttTransportComponent.TRANSPORT_PROPERTY + "=mqtt")
public final class MqttTransportComponent extends TransportComponentBase<MqttTransport> {
    private static final Logger LOG = LoggerFactory.getLogger(MqttTransportComponent.class);

    /** Component name. */
    public static final String PID = "io.hopseal.transport.mqtt";
    /** Service property naming a transport service. */
    public static final String TRANSPORT_PROPERTY = "hopseal.transport";
    /** Target filter for this component's service. */
    public static final String TARGET = "(&(" + TRANSPORT_PROPERTY + "=mqtt)(component.name=" + PID + "))";

    @Activate
    void activate() {
        MqttTransport old = run(new MqttTransport(inbound()));
        if (old != null) {
            old.close();
        }
        LOG.info("{} started", PID);
    }

    @Deactivate
    void deactivate() {
        MqttTransport t = run(null);
        if (t != null) {
            t.close();
        }
        LOG.info("{} stopped", PID);
    }

    /** The running transport the link components add their links to. */
    public MqttTransport transport() {
        MqttTransport t = running();
        if (t == null) {
            throw new IllegalStateException(PID + " is not active");
        }
        return t;
    }

    @Override
    public int addressType() {
        return Address.MQTT;
    }

    @Override
    public String name() {
        return "mqtt";
    }
}
