package io.hopseal.transport.mqtt;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import io.hopseal.testsupport.Await;
import io.hopseal.testsupport.Ports;

/**
 * A real Mosquitto broker process for a test: generated configuration on a free loopback port (optionally with
 * password authentication, a TLS listener and a bridge to another broker), started, stopped and restarted on the same
 * port. Its log goes to {@code mosquitto-<port>.log} in the test's folder.
 */
public final class Mosquitto implements AutoCloseable {
    static final Path BINARY = Path.of("/usr/sbin/mosquitto");

    private final Path dir;
    public final int port;
    private final List<String> config = new ArrayList<>();
    private Process process;

    private Mosquitto(Path dir) throws IOException {
        this.dir = dir;
        this.port = freePort();
    }

    public static Mosquitto in(Path dir) throws IOException {
        return new Mosquitto(dir);
    }

    /** A port for the broker process to bind later: below the ephemeral range ({@link Ports}). */
    static int freePort() throws IOException {
        return Ports.tcp();
    }

    /** Requires a user name and password (added with mosquitto_passwd). */
    Mosquitto users(String... userPasswordPairs) throws IOException, InterruptedException {
        Path file = dir.resolve("passwd-" + port);
        for (int i = 0; i < userPasswordPairs.length; i += 2) {
            List<String> cmd = new ArrayList<>(List.of("mosquitto_passwd", "-b"));
            if (i == 0) {
                cmd.add("-c");
            }
            cmd.addAll(List.of(file.toString(), userPasswordPairs[i], userPasswordPairs[i + 1]));
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes());
            if (p.waitFor() != 0) {
                throw new IOException("mosquitto_passwd failed: " + out);
            }
        }
        config.add("password_file " + file);
        return this;
    }

    /** Refuses packets above {@code bytes} (and announces the limit in CONNACK to MQTT 5 clients). */
    public Mosquitto maxPacketSize(int bytes) {
        config.add(0, "max_packet_size " + bytes);
        return this;
    }

    /** The listener speaks TLS only, with this server certificate and key (PEM). */
    Mosquitto tls(Path certFile, Path keyFile, Path caFile) {
        config.add("certfile " + certFile);
        config.add("keyfile " + keyFile);
        config.add("cafile " + caFile);
        return this;
    }

    /** Bridges {@code hopseal/#} both ways to {@code remote} (MQTT 5 bridge), logging in as {@code user}. */
    Mosquitto bridgeTo(Mosquitto remote, String user, String password) {
        config.add("connection cloud");
        config.add("address 127.0.0.1:" + remote.port);
        config.add("bridge_protocol_version mqttv50");
        config.add("cleansession true");
        config.add("remote_clientid plant-bridge-" + port);
        config.add("remote_username " + user);
        config.add("remote_password " + password);
        config.add("topic hopseal/# both 1");
        config.add("restart_timeout 1 5");
        return this;
    }

    public Mosquitto start() throws IOException, InterruptedException {
        List<String> lines = new ArrayList<>();
        lines.add("per_listener_settings false");
        lines.add("persistence false");
        lines.add("log_dest stdout");
        lines.add("log_type error");
        lines.add("log_type warning");
        lines.add("log_type notice");
        if ("root".equals(System.getProperty("user.name"))) {
            lines.add("user root"); // else it drops to 'mosquitto', which cannot read the test's files
        }
        lines.add("listener " + port + " 127.0.0.1");
        lines.add("set_tcp_nodelay true"); // as docs/mqtt.md advises: no delayed-ACK wait per QoS 1 packet
        boolean passwords = config.stream().anyMatch(l -> l.startsWith("password_file"));
        lines.add("allow_anonymous " + !passwords);
        // listener options first (certfile etc. belong to the listener), the bridge section last
        int bridge = config.indexOf("connection cloud");
        List<String> listenerPart = bridge < 0 ? config : config.subList(0, bridge);
        List<String> bridgePart = bridge < 0 ? List.of() : config.subList(bridge, config.size());
        lines.addAll(listenerPart);
        lines.addAll(bridgePart);
        Path conf = dir.resolve("mosquitto-" + port + ".conf");
        Files.write(conf, lines);
        process = new ProcessBuilder(BINARY.toString(), "-c", conf.toString()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("mosquitto-" + port + ".log").toFile()))
                .start();
        Process p = process;
        Await.until("mosquitto on port " + port, Duration.ofSeconds(10), () -> {
            if (!p.isAlive()) {
                throw new AssertionError("mosquitto exited with " + p.exitValue() + ": " + log());
            }
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 200);
                return true;
            } catch (IOException e) {
                return false;
            }
        });
        return this;
    }

    String log() {
        try {
            return Files.readString(dir.resolve("mosquitto-" + port + ".log"));
        } catch (IOException e) {
            return e.toString();
        }
    }

    public String uri() {
        return "tcp://127.0.0.1:" + port;
    }

    /** Stops the broker (SIGTERM), waiting for it to exit. */
    void stop() throws InterruptedException {
        Process p = process;
        if (p != null && p.isAlive()) {
            p.destroy();
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    @Override
    public void close() throws InterruptedException {
        stop();
    }
}
