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
import io.hopseal.transport.serial.SerialPortConfig;
import io.hopseal.transport.serial.SerialTransport;
import io.hopseal.transport.tcp.TcpTransport;

/** Building the plain-Java node a command runs on (TCP plus the {@code --serial} lines) and opening its channels. */
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
        SerialTransport[] serial = new SerialTransport[1];
        HopsealNode.Builder b = HopsealNode.builder().vault(vault).identityHistory(VaultOptions.historyFile(a))
                .transport(() -> tcp[0] = new TcpTransport());
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
        HopsealNode node = b.build();
        for (SerialPortConfig p : ports) {
            if (!serial[0].awaitOpen(p.linkAddress(), Duration.ofSeconds(5))) {
                err.println("note: serial link " + p.linkAddress() + " is not open yet; it keeps retrying");
            }
        }
        return node;
    }

    /** Opens a secure channel along {@code to}; a refusal or timeout becomes a failure (exit 1) that says why. */
    static SecureChannel connect(HopsealNode node, String to, ChannelOptions o, Duration timeout) throws Exception {
        try {
            return node.channels().connect(to, o).get(timeout.toMillis() + 1000, TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof ChannelException ce) {
                throw new IOException("no channel along " + to + ": " + ce.reason() + " (" + ce.getMessage() + ")");
            }
            throw new IOException("no channel along " + to + ": " + e.getCause());
        } catch (TimeoutException e) {
            throw new IOException("no channel along " + to + ": timed out");
        }
    }
}
