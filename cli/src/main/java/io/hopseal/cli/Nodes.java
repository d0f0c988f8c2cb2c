package io.hopseal.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import io.hopseal.api.channel.ChannelException;
import io.hopseal.api.channel.ChannelOptions;
import io.hopseal.api.channel.SecureChannel;
import io.hopseal.api.vault.Vault;
import io.hopseal.node.HopsealNode;
import io.hopseal.transport.mqtt.MqttLinkConfig;
import io.hopseal.transport.mqtt.MqttTransport;
import io.hopseal.transport.serial.SerialPortConfig;
import io.hopseal.transport.serial.SerialTransport;
import io.hopseal.transport.tcp.TcpTransport;
import io.hopseal.transport.udp.UdpTransport;

/**
 * Building the plain-Java node a command runs on (TCP plus the {@code --serial} lines and the {@code --mqtt} broker)
 * and opening its channels.
 */
final class Nodes {
    private Nodes() {
    }

    /** The {@code --serial} specs of {@code a}, refused as a usage error before anything opens. */
    static List<SerialPortConfig> serialPorts(Args a) throws UsageException {
        List<SerialPortConfig> ports = new ArrayList<>();
        for (String spec : a.all("serial")) {
            try {
                ports.add(SerialPortConfig.parse(spec));
            } catch (IllegalArgumentException e) {
                throw new UsageException("--serial: " + e.getMessage());
            }
        }
        return ports;
    }

    /**
     * A node on {@code vault} with TCP (handed back in {@code tcp[0]}, for a caller that listens) and the --serial ports
     * of {@code a}; waits a little for those ports to open, as a dialled route over them fails until they are.
     */
    static HopsealNode build(Args a, Vault vault, TcpTransport[] tcp, PrintStream err)
            throws UsageException, InterruptedException {
        List<SerialPortConfig> ports = serialPorts(a);
        MqttLinkConfig mqttLink = MqttOptions.link(a);
        SerialTransport[] serial = new SerialTransport[1];
        // every command's node denies forwarding what came in from a link unless --forward-allow says otherwise
        // (node, relay): a peer it talks to cannot make it dial elsewhere
        HopsealNode.Builder b = HopsealNode.builder().vault(vault).identityHistory(VaultOptions.historyFile(a))
                .forwardPolicy(ForwardOptions.policy(a)).transport(() -> tcp[0] = new TcpTransport());
        if (a.has("state")) {
            b.stateFolder(java.nio.file.Path.of(a.get("state"))); // persisted channel sessions live under it
        }
        if (!ports.isEmpty()) {
            b.transport(() -> {
                serial[0] = new SerialTransport();
                ports.forEach(serial[0]::addPort);
                return serial[0];
            });
        }
        HostPort udpListen = a.has("udp") ? HostPort.parse(a.get("udp"), "udp") : null;
        UdpTransport[] udp = new UdpTransport[1];
        b.transport(() -> udp[0] = new UdpTransport()); // its socket opens on the first datagram or --udp
        MqttTransport[] mqtt = new MqttTransport[1];
        if (mqttLink != null) {
            b.transport(() -> mqtt[0] = new MqttTransport());
        }
        HopsealNode node = b.build();
        if (udpListen != null) {
            try {
                int p = udp[0].listen(udpListen.host(), udpListen.port()).port();
                err.println("listening on udp " + udpListen.host() + ":" + p);
            } catch (IOException e) {
                node.close();
                throw new UsageException("--udp: cannot listen on " + a.get("udp") + ": " + e.getMessage());
            }
        }
        if (mqttLink != null) {
            mqtt[0].putLink(mqttLink);
            if (!awaitConnected(mqtt[0])) {
                err.println("note: MQTT broker " + mqttLink.brokerUri() + " is not connected yet; it keeps retrying");
            }
        }
        for (SerialPortConfig p : ports) {
            if (!serial[0].awaitOpen(p.linkAddress(), Duration.ofSeconds(5))) {
                err.println("note: serial link " + p.linkAddress() + " is not open yet; it keeps retrying");
            }
        }
        return node;
    }

    /** Waits up to 5 s for the broker link, as a dialled route over it fails until it is up. */
    private static boolean awaitConnected(MqttTransport t) throws InterruptedException {
        long end = System.nanoTime() + 5_000_000_000L;
        while (!t.connected(MqttOptions.LINK)) {
            if (System.nanoTime() - end > 0) {
                return false;
            }
            Thread.sleep(20); // NOPMD: a command waiting for its link, not a test
        }
        return true;
    }

    /** Opens a secure channel along {@code to}; a refusal or timeout becomes a failure (exit 1) that says why. */
    static SecureChannel connect(HopsealNode node, String to, ChannelOptions o, Duration timeout) throws Exception {
        try {
            return node.channels().connect(to, o).get(timeout.toMillis() + 1000, TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof ChannelException ce) {
                if (ce.routeError().isPresent()) {
                    // a hop said why (route error report): name it and the reason, not a handshake timeout
                    throw new IOException("no channel along " + to + ": " + ce.routeError().get().describe());
                }
                throw new IOException("no channel along " + to + ": " + ce.reason() + " (" + ce.getMessage() + ")");
            }
            throw new IOException("no channel along " + to + ": " + e.getCause());
        } catch (TimeoutException e) {
            throw new IOException("no channel along " + to + ": timed out");
        }
    }
}
