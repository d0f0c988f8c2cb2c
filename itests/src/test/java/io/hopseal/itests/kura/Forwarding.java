package io.hopseal.itests.kura;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.osgi.framework.BundleContext;
import org.osgi.service.cm.ConfigurationAdmin;

import io.hopseal.api.channel.ChannelOptions;
import io.hopseal.api.channel.ListenerOptions;
import io.hopseal.api.channel.SecureChannel;
import io.hopseal.api.identity.TrustPolicy;
import io.hopseal.api.transport.Transport;
import io.hopseal.itests.EchoTraffic;
import io.hopseal.itests.FrameworkWaits;
import io.hopseal.node.HopsealNode;
import io.hopseal.transport.tcp.TcpTransport;
import io.hopseal.transport.tcp.TcpTransportConfig;

/**
 * The framework node as a forwarding gateway: a backend node and a device node in the probe (their own copies of the
 * classes) with one end-to-end channel through the gateway's TCP listener, and numbered traffic over it. Loaded only
 * after the core package is installed (it names Hopseal types).
 */
final class Forwarding implements AutoCloseable {
    final HopsealNode backend;
    final HopsealNode device;
    final SecureChannel channel;
    final EchoTraffic traffic;

    private Forwarding(HopsealNode backend, HopsealNode device, SecureChannel channel) {
        this.backend = backend;
        this.device = device;
        this.channel = channel;
        this.traffic = new EchoTraffic(channel);
    }

    /** Opens the channel through the gateway, first allowing the gateway to forward to the backend (default deny). */
    static Forwarding open(int gatewayPort, ConfigurationAdmin cm, BundleContext framework) throws Exception {
        TcpTransportConfig c = TcpTransportConfig.DEFAULTS
                .withReconnectBackoff(Duration.ofMillis(10), Duration.ofMillis(250))
                .withConnectTimeout(Duration.ofSeconds(2));
        HopsealNode backend = HopsealNode.builder().transport(() -> new TcpTransport(c)).build();
        HopsealNode device = HopsealNode.builder().transport(() -> new TcpTransport(c)).build();
        try {
            int backendPort = FrameworkWaits.freePort();
            backend.transport(TcpTransport.class).orElseThrow().listen("127.0.0.1", backendPort);
            FrameworkWaits.allowForwarding(cm, framework, "tcp:127.0.0.1:" + backendPort);
            backend.service("echo", (m, ctx) -> ctx.reply(m, m.payload()));
            backend.channels().listen("api", ListenerOptions.trusting(TrustPolicy.only(device.identifier())));
            SecureChannel ch = device.channels().connect("/tcp/127.0.0.1:" + gatewayPort + "/tcp/127.0.0.1:"
                            + backendPort + "/secure/api/service/echo",
                    ChannelOptions.defaults().withExpectedPeer(backend.identifier())
                            .withHandshakeTimeout(Duration.ofSeconds(15))).get(20, TimeUnit.SECONDS);
            return new Forwarding(backend, device, ch);
        } catch (Exception | Error e) {
            device.close();
            backend.close();
            throw e;
        }
    }

    long deviceHandshakes() {
        return device.channels().counters().getOrDefault("handshakes.started", 0L);
    }

    long backendHandshakes() {
        return backend.channels().counters().getOrDefault("handshakes.completed", 0L);
    }

    long deviceLinksConnected() {
        return device.transport(TcpTransport.class).orElseThrow().counters().getOrDefault("links.connected", 0L);
    }

    boolean open() {
        return channel.state() == io.hopseal.api.channel.ChannelState.OPEN;
    }

    /** The gateway's TCP transport service's counters. */
    static Map<String, Long> gatewayTcp(BundleContext ctx) throws Exception {
        return FrameworkWaits.service(ctx, Transport.class, "(hopseal.transport=tcp)", 10_000).counters();
    }

    @Override
    public void close() throws Exception {
        traffic.close();
        device.close();
        backend.close();
    }
}
