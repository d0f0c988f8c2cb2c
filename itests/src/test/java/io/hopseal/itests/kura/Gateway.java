package io.hopseal.itests.kura;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;

import io.hopseal.api.channel.ChannelOptions;
import io.hopseal.api.channel.ChannelState;
import io.hopseal.api.channel.SecureChannel;
import io.hopseal.api.channel.SecureChannelService;
import io.hopseal.api.routing.Address;
import io.hopseal.api.routing.Message;
import io.hopseal.api.routing.Router;
import io.hopseal.api.vault.KeyHandle;
import io.hopseal.api.vault.Vault;
import io.hopseal.itests.PacedSender;
import io.hopseal.node.HopsealNode;
import io.hopseal.testsupport.Await;
import io.hopseal.transport.tcp.TcpTransport;
import io.hopseal.transport.tcp.TcpTransportConfig;
import io.hopseal.vault.FileVault;

/**
 * Everything the Kura tests do with Hopseal types: the framework node's services (installed from the deployment
 * packages) and a device node in the probe with its own copy of the TCP transport classes (so updating the transport
 * bundle does not touch it). Loaded only after the core package is installed.
 */
final class Gateway {
    /** Thread name prefix of every TCP transport thread ({@code TcpTransport.THREAD_PREFIX}). */
    static final String TCP_THREADS = "hopseal-tcp";

    private Gateway() {
    }

    static SecureChannelService channels(BundleContext ctx, long millis) throws Exception {
        return KuraProbe.service(ctx, SecureChannelService.class, null, millis);
    }

    static String identity(BundleContext ctx) throws Exception {
        return channels(ctx, 10_000).identity().identifier().toString();
    }

    /** The framework node's secure channel service's counters. */
    static Map<String, Long> counters(BundleContext ctx) throws Exception {
        return channels(ctx, 10_000).counters();
    }

    static long serviceId(BundleContext ctx, String className) {
        ServiceReference<?> r = ctx.getServiceReference(className);
        return r == null ? -1 : (Long) r.getProperty("service.id");
    }

    static boolean routerHasTcp(BundleContext ctx) throws Exception {
        return KuraProbe.service(ctx, Router.class, null, 10_000).transport(Address.TCP).isPresent();
    }

    /** Status line of the router's transport for an address type, or null while there is none. */
    static String transportStatus(BundleContext ctx, int addressType) throws Exception {
        return KuraProbe.service(ctx, Router.class, null, 10_000).transport(addressType).map(t -> t.status())
                .orElse(null);
    }

    /** Counters of the router's transport for an address type (empty while there is none). */
    static Map<String, Long> transportCounters(BundleContext ctx, int addressType) throws Exception {
        return KuraProbe.service(ctx, Router.class, null, 10_000).transport(addressType).map(t -> t.counters())
                .orElse(Map.of());
    }

    /** {@link #transportStatus} for waiting conditions (failures unchecked). */
    static String status(BundleContext ctx, int addressType) {
        try {
            return transportStatus(ctx, addressType);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** {@link #transportCounters} for waiting conditions (failures unchecked). */
    static Map<String, Long> counters(BundleContext ctx, int addressType) {
        try {
            return transportCounters(ctx, addressType);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** Key labels of the registered vault. */
    static List<String> vaultLabels(BundleContext ctx) throws Exception {
        List<String> labels = new ArrayList<>();
        for (KeyHandle h : KuraProbe.service(ctx, Vault.class, null, 10_000).keys()) {
            labels.add(h.label());
        }
        return labels;
    }

    /** Whether the vault file opens with this passphrase (and holds the node's identity key). */
    static boolean fileVaultOpensWith(String path, String passphrase) {
        try (FileVault v = FileVault.open(Path.of(path), passphrase.toCharArray())) {
            return v.find("hopseal.identity").isPresent();
        } catch (RuntimeException e) {
            return false;
        }
    }

    /** A device node in the probe with a channel to the framework node's echo service over TCP. */
    static Session open(BundleContext ctx, int port) throws Exception {
        TcpTransportConfig c = TcpTransportConfig.DEFAULTS
                .withReconnectBackoff(Duration.ofMillis(10), Duration.ofMillis(250))
                .withConnectTimeout(Duration.ofSeconds(2));
        HopsealNode device = HopsealNode.builder().transport(() -> new TcpTransport(c)).build();
        try {
            SecureChannel ch = device.channels().connect("/tcp/127.0.0.1:" + port + "/secure/api/service/echo",
                    ChannelOptions.defaults().withHandshakeTimeout(Duration.ofSeconds(15))).get(20, TimeUnit.SECONDS);
            SecureChannelService gateway = channels(ctx, 10_000);
            SecureChannel responder = KuraProbe.awaitValue("the framework node's end of the channel", 10_000, () -> {
                for (SecureChannel s : gateway.channels()) {
                    if (!s.isInitiator() && s.state() == ChannelState.OPEN && device.identifier().equals(s.peer())) {
                        return s;
                    }
                }
                return null;
            });
            return new Session(device, ch, gateway, responder);
        } catch (Exception | Error e) {
            device.close();
            throw e;
        }
    }

    /** A device's channel to the framework node's echo service, and numbered traffic over it. */
    static final class Session implements AutoCloseable {
        final HopsealNode device;
        final SecureChannel channel;
        final SecureChannelService gateway;
        final SecureChannel responder;
        final AtomicLong sent = new AtomicLong();
        final AtomicLong echoed = new AtomicLong(-1);
        final AtomicLong received = new AtomicLong();
        PacedSender sender;

        Session(HopsealNode device, SecureChannel channel, SecureChannelService gateway, SecureChannel responder) {
            this.device = device;
            this.channel = channel;
            this.gateway = gateway;
            this.responder = responder;
        }

        String peer() {
            return channel.peer().toString();
        }

        /** One message through the channel, expected back from the echo service (no traffic running). */
        void echo(String text) throws InterruptedException {
            channel.send(text.getBytes(StandardCharsets.UTF_8));
            Message m = channel.receive(Duration.ofSeconds(10));
            assertNotNull("echo of '" + text + "'", m);
            assertEquals(text, new String(m.payload(), StandardCharsets.UTF_8));
        }

        /** A sender numbering its messages every 5 ms ({@link PacedSender}); the highest number echoed back is kept. */
        void startTraffic() {
            channel.setReceiver(m -> {
                received.incrementAndGet();
                echoed.accumulateAndGet(Long.parseLong(new String(m.payload(), StandardCharsets.UTF_8)), Math::max);
            });
            sender = new PacedSender("it-kura-traffic", 5,
                    () -> channel.send(Long.toString(sent.incrementAndGet()).getBytes(StandardCharsets.UTF_8)));
        }

        long sent() {
            return sent.get();
        }

        long echoed() {
            return echoed.get();
        }

        /** Waits until a message sent after {@code mark} has come back echoed; returns how long that took. */
        long awaitEchoAfter(long mark, long millis, String when) throws InterruptedException {
            long start = System.nanoTime();
            Await.until(() -> "messages sent after " + when + " (from " + mark + ") echoed: highest echoed "
                    + echoed.get() + ", sent " + sent.get() + "; " + describe(), Duration.ofMillis(millis),
                    () -> echoed.get() > mark);
            return KuraProbe.millisSince(start);
        }

        void stopTraffic() throws InterruptedException {
            if (sender != null) {
                sender.close();
                sender = null;
            }
        }

        boolean bothOpen() {
            return channel.state() == ChannelState.OPEN && responder.state() == ChannelState.OPEN;
        }

        /** The framework node still holds this very channel (no new one was made). */
        boolean sameChannelOnTheGateway() {
            return gateway.channels().contains(responder);
        }

        long gatewayHandshakes() {
            return gateway.counters().getOrDefault("handshakes.completed", 0L);
        }

        long deviceHandshakes() {
            return device.channels().counters().getOrDefault("handshakes.started", 0L);
        }

        long routeChanges() {
            return responder.counters().getOrDefault("route.changes", 0L);
        }

        String describe() {
            return "device channel " + channel.state() + " " + channel.counters() + "; gateway channel "
                    + responder.state() + " " + responder.counters();
        }

        @Override
        public void close() throws Exception {
            stopTraffic();
            device.close();
        }
    }
}
