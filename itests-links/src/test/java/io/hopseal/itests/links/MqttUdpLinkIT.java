package io.hopseal.itests.links;

import static io.hopseal.itests.links.Links.await;
import static io.hopseal.itests.links.Links.dict;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.io.File;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import javax.inject.Inject;

import org.junit.After;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerMethod;
import org.osgi.framework.BundleContext;
import org.osgi.service.cm.ConfigurationAdmin;

import io.hopseal.api.routing.Address;
import io.hopseal.api.routing.Message;
import io.hopseal.api.routing.Registration;
import io.hopseal.api.routing.Route;
import io.hopseal.api.routing.Router;
import io.hopseal.api.routing.SendResult;
import io.hopseal.api.transport.Transport;

/**
 * The MQTT and UDP transport bundles in a real framework (Felix, and Kura's Equinox 3.16 + SCR 2.1.16), configured
 * through ConfigAdmin like Kura's web UI: a broker link (factory configuration) connects to a real Mosquitto with the
 * privately embedded Paho client, a UDP listener (factory configuration) binds, and the framework's router sends a
 * message out over each and gets it back through the broker and through the socket.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerMethod.class)
public class MqttUdpLinkIT {
    @Inject
    BundleContext ctx;
    @Inject
    ConfigurationAdmin cm;

    Process broker;
    Process backend;

    @Configuration
    public Option[] config() {
        return Links.options("transport-mqtt", "transport-udp");
    }

    @After
    public void stopBroker() throws Exception {
        Links.deleteFactoryConfigurations(cm, "io.hopseal.transport.mqtt.link", () -> true);
        Links.deleteFactoryConfigurations(cm, "io.hopseal.transport.udp.listener", () -> true);
        Links.deleteFactoryConfigurations(cm, "io.hopseal.transport.tcp.listener", () -> true);
        if (backend != null) {
            backend.destroyForcibly().waitFor();
        }
        if (broker != null) {
            broker.destroy();
            broker.waitFor();
        }
    }

    static int freeTcpPort() throws Exception {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    static int freeUdpPort() throws Exception {
        try (DatagramSocket s = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
            return s.getLocalPort();
        }
    }

    /** Starts a Mosquitto on a free loopback port; returns the port. */
    int startBroker() throws Exception {
        File mosquitto = new File("/usr/sbin/mosquitto");
        assertTrue("mosquitto is installed (.ci/run installs it)", mosquitto.canExecute());
        int mqttPort = freeTcpPort();
        Path dir = Files.createTempDirectory(Links.work().toPath(), "mqtt-");
        Path conf = dir.resolve("mosquitto.conf");
        Files.write(conf, List.of("listener " + mqttPort + " 127.0.0.1", "allow_anonymous true", "persistence false",
                "per_listener_settings false"));
        broker = new ProcessBuilder(mosquitto.getPath(), "-c", conf.toString()).redirectErrorStream(true)
                .redirectOutput(dir.resolve("mosquitto.log").toFile()).start();
        await("mosquitto accepts", 10_000, () -> {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", mqttPort), 200);
                return true;
            } catch (Exception e) {
                return false;
            }
        });
        return mqttPort;
    }

    @Test
    public void brokerLinkAndUdpListenerConfiguredThroughConfigAdminCarryMessages() throws Exception {
        Links.assertProfile(ctx);
        int mqttPort = startBroker();
        Router router = Links.service(ctx, Router.class, null, 20_000);
        List<Message> got = new CopyOnWriteArrayList<>();
        Registration sink = router.register(Address.local("it-sink"), (m, c) -> got.add(m));
        try {
            cm.createFactoryConfiguration("io.hopseal.transport.mqtt.link", "?").update(dict("link.name", "up",
                    "broker.uri", "tcp://127.0.0.1:" + mqttPort, "client.id", "gw-it", "connection", "standalone",
                    "reconnect.backoff.initial.ms", 50, "reconnect.backoff.max.ms", 500));
            int udpPort = freeUdpPort();
            cm.createFactoryConfiguration("io.hopseal.transport.udp.listener", "?").update(dict("bind.address",
                    "127.0.0.1", "port", udpPort));
            Transport mqtt = Links.service(ctx, Transport.class, "(hopseal.transport=mqtt)", 20_000);
            Transport udp = Links.service(ctx, Transport.class, "(hopseal.transport=udp)", 20_000);
            await("the broker link connected", 20_000, () -> mqtt.counters().getOrDefault("links.connected", 0L) == 1,
                    mqtt::status);
            await("the UDP listener bound", 20_000, () -> udp.status().contains("127.0.0.1:" + udpPort), udp::status);

            // out through the broker to this node's own topic, and back in
            SendResult r = router.send(Message.to(Route.parse("/mqtt/up:gw-it/service/it-sink"),
                    "via mqtt".getBytes(StandardCharsets.UTF_8)));
            assertEquals(SendResult.FORWARDED, r);
            await("the message back from the broker", 20_000, () -> got.size() == 1, mqtt::status);
            assertEquals("via mqtt", new String(got.get(0).payload(), StandardCharsets.UTF_8));
            assertEquals("/mqtt/up:gw-it", got.get(0).returnRoute().toString());

            // out of the UDP transport's own socket to its listener, and in
            r = router.send(Message.to(Route.parse("/udp/127.0.0.1:" + udpPort + "/service/it-sink"),
                    "via udp".getBytes(StandardCharsets.UTF_8)));
            assertEquals(SendResult.FORWARDED, r);
            await("the datagram", 20_000, () -> got.size() == 2, udp::status);
            assertEquals("via udp", new String(got.get(1).payload(), StandardCharsets.UTF_8));
            assertTrue(got.get(1).returnRoute().toString().startsWith("/udp/127.0.0.1:"));
            assertEquals(1L, (long) udp.counters().get("messages.in"));
        } finally {
            sink.close();
        }
    }

    /**
     * device (a plain node in the probe) ──TCP──► gateway (this framework: TCP listener and broker link configured
     * through ConfigAdmin) ──MQTT──► Mosquitto ──► backend (its own JVM, answering for the listener {@code api}
     * through the shared subscription): one secure channel end to end; the gateway forwards only ciphertext.
     */
    @Test
    public void deviceThroughTheGatewayAndABrokerToABackend() throws Exception {
        Links.assertProfile(ctx);
        int mqttPort = startBroker();
        backend = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
                System.getProperty("java.class.path"), "io.hopseal.transport.mqtt.BackendInstance",
                "tcp://127.0.0.1:" + mqttPort, "be-1").redirectError(Links.work().toPath().resolve(
                        "mqtt-backend.log").toFile()).start();
        List<String> lines = new CopyOnWriteArrayList<>();
        Thread reader = new Thread(() -> {
            try (java.io.BufferedReader r = new java.io.BufferedReader(new java.io.InputStreamReader(
                    backend.getInputStream(), StandardCharsets.UTF_8))) {
                for (String l = r.readLine(); l != null; l = r.readLine()) {
                    lines.add(l);
                }
            } catch (java.io.IOException e) {
                // the backend ended
            }
        });
        reader.setDaemon(true);
        reader.start();
        await("the backend subscribed", 30_000, () -> lines.contains("READY"), lines::toString);

        Router router = Links.service(ctx, Router.class, null, 20_000);
        // default deny: the listener name only; the instance that answers (be-1) uses the return flow of its link
        Links.allowForwarding(cm, router, "mqtt:up:api");
        List<byte[]> gatewaySaw = new CopyOnWriteArrayList<>();
        try (AutoCloseable tap = Links.forwardTap(router, (hop, m) -> gatewaySaw.add(m.payload()))) {
            cm.createFactoryConfiguration("io.hopseal.transport.mqtt.link", "?").update(dict("link.name", "up",
                    "broker.uri", "tcp://127.0.0.1:" + mqttPort, "client.id", "gw-it", "connection", "standalone"));
            int tcpPort = freeTcpPort();
            cm.createFactoryConfiguration("io.hopseal.transport.tcp.listener", "?").update(dict("bind.address",
                    "127.0.0.1", "port", tcpPort));
            Transport mqtt = Links.service(ctx, Transport.class, "(hopseal.transport=mqtt)", 20_000);
            await("the broker link connected", 20_000, () -> mqtt.counters().getOrDefault("links.connected", 0L) == 1,
                    mqtt::status);
            Transport tcp = Links.service(ctx, Transport.class, "(hopseal.transport=tcp)", 20_000);
            await("the TCP listener bound", 20_000, () -> tcp.status().contains(":" + tcpPort), tcp::status);
            try (io.hopseal.node.HopsealNode device = io.hopseal.node.HopsealNode.builder()
                    .transport(io.hopseal.transport.tcp.TcpTransport::new).build()) {
                io.hopseal.api.channel.SecureChannel ch;
                try {
                    ch = device.channels().connect("/tcp/127.0.0.1:" + tcpPort + "/mqtt/up:api/secure/api/service/echo",
                            io.hopseal.api.channel.ChannelOptions.defaults()).toCompletableFuture()
                            .get(20, java.util.concurrent.TimeUnit.SECONDS);
                } catch (java.util.concurrent.TimeoutException e) {
                    throw new AssertionError("no channel: gateway router " + router.counters() + ", mqtt "
                            + mqtt.counters() + ", tcp " + tcp.counters() + ", backend said " + lines, e);
                }
                ch.send(Links.MARKER.getBytes(StandardCharsets.UTF_8));
                Message m = ch.receive(java.time.Duration.ofSeconds(10));
                assertTrue("an echo", m != null);
                assertEquals(Links.MARKER, new String(m.payload(), StandardCharsets.UTF_8));
                assertTrue(ch.peerRoute().toString().startsWith("/tcp/127.0.0.1:" + tcpPort + "/mqtt/up:be-1"));
            }
            byte[] marker = Links.MARKER.getBytes(StandardCharsets.UTF_8);
            for (byte[] p : gatewaySaw) {
                assertTrue("the gateway forwarded plaintext", indexOf(p, marker) < 0);
            }
            assertTrue("the gateway forwarded the channel", gatewaySaw.size() >= 4);
            assertTrue(lines.contains("D " + Links.MARKER));
        }
    }

    static int indexOf(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
