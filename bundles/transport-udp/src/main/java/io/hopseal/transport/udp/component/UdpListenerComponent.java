package io.hopseal.transport.udp.component;

import java.io.IOException;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.hopseal.api.transport.Transport;
import io.hopseal.support.InvalidFieldException;
import io.hopseal.support.LastGoodConfigs;
import io.hopseal.transport.udp.UdpSocket;
import io.hopseal.transport.udp.UdpTransport;

/**
 * One listening UDP socket of the node's UDP transport: one factory configuration (factory pid {@value #PID}) per
 * port. A modified configuration rebinds live (peers heard on the old socket are forgotten); an invalid value is
 * refused with a log line naming the property and the previous socket keeps running; a port that cannot be bound is
 * logged and the previous socket, if any, stays.
 */
@Component(name = UdpListenerComponent.PID, immediate = true, configurationPolicy = ConfigurationPolicy.REQUIRE,
        service = {}, property = "service.pid=" + UdpListenerComponent.PID)
@Designate(ocd = UdpListenerComponent.Config.class, factory = true)
public final class UdpListenerComponent {
    private static final Logger LOG = LoggerFactory.getLogger(UdpListenerComponent.class);

    public static final String PID = "io.hopseal.transport.udp.listener";

    @ObjectClassDefinition(id = PID, name = "Hopseal UDP listener",
            description = "A UDP port on which this node takes datagrams from other Hopseal nodes. Create one "
                    + "configuration per port. Changes rebind the port live.")
    public @interface Config {
        @AttributeDefinition(name = "Bind address",
                description = "Local IP address to listen on: 0.0.0.0 for every IPv4 interface, :: for every "
                        + "interface (IPv6 and, where the system allows, IPv4), 127.0.0.1 for this machine only.")
        String bind_address() default "0.0.0.0";

        @AttributeDefinition(name = "Port", description = "UDP port number (1 to 65535).", min = "1", max = "65535")
        int port() default 4000;
    }

    @Reference(target = UdpTransportComponent.TARGET)
    private Transport transportService;

    private String name = PID;
    private String configPid;
    /** Where the last accepted configuration is kept, for a restart with an invalid stored one. */
    private LastGoodConfigs lastGood = new LastGoodConfigs(null);
    private String active;
    private UdpSocket socket;

    public UdpListenerComponent() {
    }

    /** For use outside OSGi (tests, embedding). */
    UdpListenerComponent(UdpTransportComponent transport) {
        this.transportService = Objects.requireNonNull(transport, "transport");
    }

    @Activate
    void activate(BundleContext context, Config config, Map<String, Object> properties) {
        activate(LastGoodConfigs.inStateFolder(context), config, properties);
    }

    void activate(LastGoodConfigs store, Config config, Map<String, Object> properties) {
        Object pid = Objects.requireNonNullElse(properties.get("kura.service.pid"), properties.get("service.pid"));
        name = PID + " " + pid;
        configPid = LastGoodConfigs.configurationPid(properties);
        lastGood = store;
        Settings s;
        try {
            s = validate(config);
        } catch (InvalidFieldException e) {
            Optional<Settings> last = lastGood.recall(configPid, Config.class, UdpListenerComponent::validate);
            if (last.isEmpty()) {
                LOG.error("{}: configuration refused, invalid property {}: {}; not listening", name, e.field(),
                        problem(e));
                return;
            }
            LOG.error("{}: stored configuration refused, invalid property {}: {}; using the last good configuration "
                    + "{} until it is corrected", name, e.field(), problem(e), last.get());
            listen(last.get());
            return;
        }
        if (listen(s)) {
            lastGood.remember(configPid, properties);
        }
    }

    @Modified
    void modified(Config config, Map<String, Object> properties) {
        Settings s;
        try {
            s = validate(config);
        } catch (InvalidFieldException e) {
            synchronized (this) {
                LOG.error("{}: configuration refused, invalid property {}: {}; {}", name, e.field(), problem(e),
                        active == null ? "not listening" : "keeping " + active);
            }
            return;
        }
        if (listen(s)) {
            lastGood.remember(configPid, properties);
        }
    }

    /** A listener's settings, checked. */
    record Settings(String host, int port) {
        @Override
        public String toString() {
            return host + " port " + port;
        }
    }

    /** @throws InvalidFieldException naming the property (port, bind.address) */
    static Settings validate(Config config) {
        int port = config.port();
        String host = config.bind_address() == null ? "" : config.bind_address().strip();
        if (port < 1 || port > 65_535) {
            throw new InvalidFieldException("port", "must be 1..65535, was " + port);
        }
        if (host.isEmpty()) {
            throw new InvalidFieldException("bind.address", "must not be empty");
        }
        return new Settings(host, port);
    }

    private static String problem(InvalidFieldException e) {
        return e.getMessage().substring(e.field().length() + 1);
    }

    /** Binds {@code s}; false when it cannot (logged, and the previous socket, if any, stays). */
    private synchronized boolean listen(Settings s) {
        String want = s.toString();
        if (want.equals(active) && socket != null) {
            return true;
        }
        UdpSocket next;
        try {
            next = transport().listen(s.host(), s.port());
        } catch (IOException | RuntimeException e) {
            LOG.error("{}: cannot listen on {}: {}; {}", name, want, e.toString(),
                    active == null ? "not listening" : "keeping " + active);
            return false;
        }
        if (socket != null) {
            socket.close();
        }
        socket = next;
        active = want;
        LOG.info("{}: listening on {}", name, want);
        return true;
    }

    /** The bound port, or -1 when not listening. */
    synchronized int port() {
        return socket == null ? -1 : socket.port();
    }

    /** DS: stops; a deleted configuration also takes its last good copy with it. */
    @Deactivate
    void deactivate(int reason) {
        deactivate();
        lastGood.deactivated(configPid, reason);
    }

    synchronized void deactivate() {
        if (socket != null) {
            socket.close();
            socket = null;
        }
    }

    private UdpTransport transport() {
        if (transportService instanceof UdpTransportComponent c) {
            return c.transport();
        }
        throw new IllegalStateException("the transport service is not " + UdpTransportComponent.PID);
    }
}
