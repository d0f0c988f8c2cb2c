package io.hopseal.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.io.File;
import java.time.Duration;
import java.util.Dictionary;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

import org.osgi.framework.BundleContext;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;

import io.hopseal.api.channel.ChannelOptions;
import io.hopseal.api.channel.SecureChannel;
import io.hopseal.api.channel.SecureChannelService;
import io.hopseal.api.routing.Message;
import io.hopseal.node.HopsealNode;
import io.hopseal.transport.tcp.TcpTransport;
import io.hopseal.transport.tcp.TcpTransportConfig;

/** Helpers that run inside the framework (in the probe bundle). */
final class Probe {
    /** A thread name prefix every TCP transport thread has ({@code TcpTransport.THREAD_PREFIX}). */
    static final String TCP_THREADS = "hopseal-tcp";

    private Probe() {
    }

    /** The framework node configured as the gateway runtime does: its listener's port and configuration, its channels. */
    record FrameworkGateway(int tcpPort, Configuration listener, SecureChannelService channels) {
    }

    /**
     * Configures the framework's node as the gateway runtime does (vault, channels, echo, one TCP listener on a free
     * loopback port) and waits until it listens.
     */
    static FrameworkGateway configureGateway(BundleContext ctx, ConfigurationAdmin cm) throws Exception {
        String vaultFile = new File(System.getProperty("it.work", "target/it-work"), "vault-" + UUID.randomUUID() + ".bin")
                .getAbsolutePath();
        // a small Argon2 memory keeps the many fresh vaults of these tests quick
        cm.getConfiguration("io.hopseal.vault", "?").update(dict("path", vaultFile, "kdf.memory.kib", 8192));
        cm.getConfiguration("io.hopseal.channels", "?").update(dict());
        cm.getConfiguration("io.hopseal.echo", "?").update(dict());
        int tcpPort = freePort();
        Configuration listener = cm.createFactoryConfiguration("io.hopseal.transport.tcp.listener", "?");
        listener.update(dict("port", tcpPort, "bind.address", "127.0.0.1"));
        SecureChannelService channels = service(ctx, SecureChannelService.class, null, 20_000);
        awaitListening(tcpPort, 20_000);
        return new FrameworkGateway(tcpPort, listener, channels);
    }

    static Dictionary<String, Object> dict(Object... kv) {
        return FrameworkWaits.dict(kv);
    }

    static int freePort() throws IOException {
        return FrameworkWaits.freePort();
    }

    static void await(String what, long millis, BooleanSupplier condition) throws InterruptedException {
        FrameworkWaits.await(what, millis, condition);
    }

    static void awaitFine(String what, long millis, BooleanSupplier condition) throws InterruptedException {
        FrameworkWaits.awaitFine(what, millis, condition);
    }

    static <T> T awaitValue(String what, long millis, Supplier<T> supplier) throws InterruptedException {
        return FrameworkWaits.awaitValue(what, millis, supplier);
    }

    static <T> T service(BundleContext ctx, Class<T> type, String filter, long millis) throws Exception {
        return FrameworkWaits.service(ctx, type, filter, millis);
    }

    static void awaitListening(int port, long millis) throws InterruptedException {
        FrameworkWaits.awaitListening(port, millis);
    }

    static boolean closed(int port) {
        return FrameworkWaits.closed(port);
    }

    /** The probe's own node ("device/backend" side): in-memory vault, its own TcpTransport with quick reconnects. */
    static HopsealNode tcpNode() {
        return tcpNode(new io.hopseal.vault.MemoryVault());
    }

    /** A node with the identity in {@code vault} (the node does not close it: it may come back with it). */
    static HopsealNode tcpNode(io.hopseal.api.vault.Vault vault) {
        TcpTransportConfig c = TcpTransportConfig.DEFAULTS.withReconnectBackoff(Duration.ofMillis(10), Duration.ofMillis(250))
                .withConnectTimeout(Duration.ofSeconds(2));
        return HopsealNode.builder().vault(vault).transport(() -> new TcpTransport(c)).build();
    }

    static SecureChannel connectEcho(HopsealNode node, int port, long timeoutSeconds) throws Exception {
        return node.channels().connect("/tcp/127.0.0.1:" + port + "/secure/api/service/echo",
                ChannelOptions.defaults().withHandshakeTimeout(Duration.ofSeconds(timeoutSeconds)))
                .get(timeoutSeconds + 5, TimeUnit.SECONDS);
    }

    /** Sends text through the channel and expects it back from the echo service. */
    static void echo(SecureChannel ch, String text) throws InterruptedException {
        ch.send(text.getBytes(StandardCharsets.UTF_8));
        Message m = ch.receive(Duration.ofSeconds(10));
        assertNotNull("echo of '" + text + "'", m);
        assertEquals(text, new String(m.payload(), StandardCharsets.UTF_8));
    }

    static int liveThreads(String prefix) {
        int n = 0;
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.isAlive() && t.getName().startsWith(prefix)) {
                n++;
            }
        }
        return n;
    }

    static String threadNames(String prefix) {
        StringBuilder b = new StringBuilder();
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.isAlive() && t.getName().startsWith(prefix)) {
                b.append(t.getName()).append(' ');
            }
        }
        return b.toString();
    }

    /** The JVM's open file descriptors (sockets included), from UnixOperatingSystemMXBean. */
    static long openFileDescriptors() {
        java.lang.management.OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
        if (os instanceof com.sun.management.UnixOperatingSystemMXBean unix) {
            return unix.getOpenFileDescriptorCount();
        }
        return -1;
    }
}
