package io.hopseal.transport.mqtt;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import org.eclipse.paho.mqttv5.client.MqttAsyncClient;
import org.eclipse.paho.mqttv5.client.MqttCallback;
import org.eclipse.paho.mqttv5.client.MqttConnectionOptions;
import org.eclipse.paho.mqttv5.client.MqttDisconnectResponse;
import org.eclipse.paho.mqttv5.client.IMqttToken;
import org.eclipse.paho.mqttv5.client.persist.MemoryPersistence;
import org.eclipse.paho.mqttv5.common.MqttException;
import org.eclipse.paho.mqttv5.common.MqttMessage;
import org.eclipse.paho.mqttv5.common.packet.MqttProperties;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import io.hopseal.api.channel.ChannelOptions;
import io.hopseal.api.channel.ListenerOptions;
import io.hopseal.api.channel.SecureChannel;
import io.hopseal.api.routing.Message;
import io.hopseal.impl.routing.DefaultRouter;
import io.hopseal.node.HopsealNode;
import io.hopseal.testsupport.Await;
import io.hopseal.transport.tcp.TcpTransport;

/**
 * device ──TCP──► gateway ──MQTT──► Mosquitto ──MQTT──► backend, one secure channel end to end, with real broker
 * processes: the broker authenticates every client (user name and password; over TLS with a generated CA in the TLS
 * case), a subscriber on {@code #} sees only ciphertext, two bridged brokers carry the channel, and a restarted broker
 * is reconnected to by itself while the channel carries on.
 */
class MqttEndToEndTest {
    static final String MARKER = "PLAINTEXT-MARKER";
    static final Duration WAIT = Duration.ofSeconds(20);

    @TempDir
    Path dir;
    final List<AutoCloseable> closing = new CopyOnWriteArrayList<>();
    final List<byte[]> spied = new CopyOnWriteArrayList<>();
    final List<String> spiedTopics = new CopyOnWriteArrayList<>();
    HopsealNode device;
    HopsealNode backend;
    MqttTransport gatewayMqtt;
    MqttTransport backendMqtt;
    DefaultRouter gateway;
    int gatewayPort;

    @AfterEach
    void tearDown() throws Exception {
        for (int i = closing.size() - 1; i >= 0; i--) {
            closing.get(i).close();
        }
    }

    static MqttLinkConfig fast(MqttLinkConfig c) {
        return new MqttLinkConfig(c.name(), c.brokerUri(), c.clientId(), c.topicId(), c.username(), c.password(),
                c.trustFile(), c.topicPrefix(), c.listeners(), c.shareGroup(), c.qos(), c.keepAlive(),
                c.maxMessageSize(), c.queueCapacity(), Duration.ofMillis(50), Duration.ofMillis(500), c.sessionExpiry());
    }

    /** Backend on {@code backendBroker}, gateway on {@code gatewayBroker}, device on the gateway's TCP port. */
    void nodes(String gatewayBroker, String backendBroker, String trust) throws Exception {
        backendMqtt = new MqttTransport();
        backend = HopsealNode.builder().transport(() -> backendMqtt).build();
        closing.add(backend);
        backend.service("echo", (m, ctx) -> ctx.reply(m, m.payload()));
        backend.channels().listen("api", ListenerOptions.defaults());
        backendMqtt.putLink(fast(MqttLinkConfig.of("cloud", backendBroker, "backend-1")
                .withCredentials("backend", "backend-pw".toCharArray()).withTrustFile(trust)
                .withListeners(List.of("api"))));

        gateway = new DefaultRouter();
        TcpTransport gwTcp = new TcpTransport();
        gatewayMqtt = new MqttTransport();
        closing.add(gwTcp);
        closing.add(gatewayMqtt);
        gateway.attach(gwTcp);
        gateway.attach(gatewayMqtt);
        gatewayPort = gwTcp.listen("127.0.0.1", 0).port();
        gatewayMqtt.putLink(fast(MqttLinkConfig.of("up", gatewayBroker, "gw-1")
                .withCredentials("gateway", "gateway-pw".toCharArray()).withTrustFile(trust)));

        device = HopsealNode.builder().transport(TcpTransport::new).build();
        closing.add(device);
        Await.until("both links connected", WAIT, () -> gatewayMqtt.connected("up") && backendMqtt.connected("cloud"));
    }

    Mosquitto broker(boolean tls) throws Exception {
        Mosquitto b = Mosquitto.in(dir).users("gateway", "gateway-pw", "backend", "backend-pw", "spy", "spy-pw",
                "bridge", "bridge-pw");
        if (tls) {
            TestPki pki = TestPki.generate(dir);
            b.tls(pki.certFile(), pki.keyFile(), pki.caFile());
        }
        closing.add(b);
        return b.start();
    }

    SecureChannel channel() throws Exception {
        return device.channels().connect("/tcp/127.0.0.1:" + gatewayPort + "/mqtt/up:api/secure/api/service/echo",
                ChannelOptions.defaults()).toCompletableFuture().get(20, TimeUnit.SECONDS);
    }

    /** A client subscribed to everything on the broker, as an operator or an attacker with broker access would be. */
    void spy(String uri, String trust) throws Exception {
        MqttAsyncClient c = new MqttAsyncClient(uri, "spy", new MemoryPersistence());
        MqttConnectionOptions o = new MqttConnectionOptions();
        o.setUserName("spy");
        o.setPassword("spy-pw".getBytes(UTF_8));
        if (!trust.isEmpty()) {
            o.setSocketFactory(MqttLink.trusting(Path.of(trust)).getSocketFactory());
        }
        c.setCallback(new MqttCallback() {
            @Override
            public void messageArrived(String topic, MqttMessage message) {
                spiedTopics.add(topic);
                spied.add(message.getPayload());
            }

            @Override
            public void disconnected(MqttDisconnectResponse r) {
            }

            @Override
            public void mqttErrorOccurred(MqttException e) {
            }

            @Override
            public void deliveryComplete(IMqttToken t) {
            }

            @Override
            public void connectComplete(boolean reconnect, String serverURI) {
            }

            @Override
            public void authPacketArrived(int reasonCode, MqttProperties properties) {
            }
        });
        c.connect(o).waitForCompletion(10_000);
        c.subscribe("#", 1).waitForCompletion(10_000);
        closing.add(() -> {
            c.disconnectForcibly(0, 500, false);
            c.close(true);
        });
    }

    /**
     * A gateway link with a kept session (MQTT 5: clean start off, a session expiry): an answer that reaches the
     * broker while the gateway's MQTT transport is away (what a bundle update does) is delivered to the transport
     * that replaces it. With a clean session the broker drops it: the answer never comes (checked by hand).
     */
    @Test
    void aKeptSessionDeliversWhatReachedTheBrokerWhileTheGatewaysLinkWasAway() throws Exception {
        Mosquitto b = broker(false);
        nodes(b.uri(), b.uri(), "");
        MqttLinkConfig up = fast(MqttLinkConfig.of("up", b.uri(), "gw-1")
                .withCredentials("gateway", "gateway-pw".toCharArray())).withSessionExpiry(Duration.ofMinutes(5));
        gatewayMqtt.putLink(up); // another session setting: a new connection, with a session the broker keeps
        Await.until("the gateway's link with a kept session", WAIT, () -> gatewayMqtt.connected("up"));
        java.util.concurrent.CountDownLatch entered = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        closing.add(release::countDown);
        backend.service("slow", io.hopseal.api.routing.QueuedWorker.of("slow", (m, ctx) -> {
            entered.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            ctx.reply(m, ("done " + new String(m.payload(), UTF_8)).getBytes(UTF_8));
        }, 16));
        SecureChannel ch = device.channels().connect("/tcp/127.0.0.1:" + gatewayPort
                + "/mqtt/up:api/secure/api/service/slow", ChannelOptions.defaults()).toCompletableFuture()
                .get(20, TimeUnit.SECONDS);
        spy(b.uri(), "");
        ch.send("query".getBytes(UTF_8));
        assertThat(entered.await(20, TimeUnit.SECONDS)).as("the backend's service got the query").isTrue();

        gatewayMqtt.close(); // the gateway's MQTT transport goes away, as in a bundle update
        long toGateway = spiedTopics.stream().filter(t -> t.contains("/gw-1/")).count();
        release.countDown();
        Await.until("the answer at the broker, for the gateway that is away", WAIT,
                () -> spiedTopics.stream().filter(t -> t.contains("/gw-1/")).count() > toGateway);

        MqttTransport replacement = new MqttTransport(); // the updated bundle's transport, same link settings
        closing.add(replacement);
        gateway.attach(replacement);
        replacement.putLink(up);
        Message done = ch.receive(WAIT);
        assertThat(done).as("the answer the broker kept while the gateway was away").isNotNull();
        assertThat(new String(done.payload(), UTF_8)).isEqualTo("done query");
    }

    static String echo(SecureChannel ch, String text) throws InterruptedException {
        ch.send(text.getBytes(UTF_8));
        Message m = ch.receive(Duration.ofSeconds(5));
        while (m != null && !new String(m.payload(), UTF_8).equals(text)) {
            m = ch.receive(Duration.ofSeconds(5)); // late replies to earlier attempts
        }
        return m == null ? null : new String(m.payload(), UTF_8);
    }

    void assertOnlyCiphertextSpied() {
        assertThat(spied).as("what the # subscriber saw").isNotEmpty();
        byte[] marker = MARKER.getBytes(UTF_8);
        for (byte[] p : spied) {
            assertThat(indexOf(p, marker)).as("plaintext in an MQTT payload").isEqualTo(-1);
        }
        // the topic layout: first contact on the listener name, answers to the gateway's own topic from the instance
        assertThat(spiedTopics).contains("hopseal/api/gw-1", "hopseal/gw-1/backend-1", "hopseal/backend-1/gw-1");
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

    @ParameterizedTest(name = "tls={0}")
    @ValueSource(booleans = { false, true })
    void channelThroughAnAuthenticatingBrokerCarriesOnlyCiphertext(boolean tls) throws Exception {
        Mosquitto b = broker(tls);
        String uri = tls ? "ssl://localhost:" + b.port : b.uri();
        String trust = tls ? dir.resolve("ca.pem").toString() : "";
        spy(uri, trust);
        nodes(uri, uri, trust);
        SecureChannel ch = channel();
        for (int i = 0; i < 5; i++) {
            assertThat(echo(ch, MARKER + " " + i)).isEqualTo(MARKER + " " + i);
        }
        Await.until("the spy saw the echoes", WAIT, () -> spied.size() >= 13); // 3 handshake + 2 x 5 data
        assertOnlyCiphertextSpied();
        assertThat(backendMqtt.counters().get("messages.in")).isGreaterThanOrEqualTo(7);

        // the broker refuses a client with a wrong password (and, over TLS, one that does not trust its CA)
        MqttTransport intruder = new MqttTransport();
        closing.add(intruder);
        intruder.putLink(fast(MqttLinkConfig.of("x", uri, "intruder").withCredentials("gateway",
                "wrong".toCharArray()).withTrustFile(trust)));
        Await.until("refused attempts", WAIT, () -> intruder.counters().get("link.connect_failures") >= 2);
        assertThat(intruder.connected("x")).isFalse();
        if (tls) {
            MqttTransport untrusting = new MqttTransport();
            closing.add(untrusting);
            untrusting.putLink(fast(MqttLinkConfig.of("y", uri, "untrusting").withCredentials("gateway",
                    "gateway-pw".toCharArray())));
            Await.until("refused TLS attempts", WAIT, () -> untrusting.counters().get("link.connect_failures") >= 2);
            assertThat(untrusting.connected("y")).isFalse();
        }
    }

    /**
     * The backend's channel frames of 1 KiB and more are sealed into arrays lent from its channel service's pool; the
     * MQTT transport copies each into its publish before {@code send} returns and gives the array back, so the
     * backend's echoes reuse an array instead of allocating one per message.
     */
    @Test
    void pooledSendFramesComeBackFromTheMqttTransport() throws Exception {
        Mosquitto b = broker(false);
        nodes(b.uri(), b.uri(), "");
        SecureChannel ch = channel();
        int n = 10;
        for (int i = 0; i < n; i++) {
            String big = MARKER + " " + i + " " + "p".repeat(1500);
            assertThat(echo(ch, big)).isEqualTo(big);
        }
        // the last echo may reach the device before the backend's send returned and gave its frame back
        Await.until(() -> "frames given back " + backend.channels().counters(), WAIT,
                () -> backend.channels().counters().get("send_frames.returned") >= n);
        Map<String, Long> c = backend.channels().counters();
        assertThat(c.get("send_frames.made")).as("arrays made %s", c).isLessThanOrEqualTo(2);
        assertThat(c.get("send_frames.returned_twice")).isZero();
    }

    @Test
    void channelRunsAcrossTwoBridgedBrokers() throws Exception {
        Mosquitto cloud = broker(false);
        Mosquitto plant = Mosquitto.in(dir).users("gateway", "gateway-pw").bridgeTo(cloud, "bridge", "bridge-pw");
        closing.add(plant);
        plant.start();
        spy(cloud.uri(), "");
        nodes(plant.uri(), cloud.uri(), "");
        // the bridge subscribes on the cloud broker a moment after the plant broker accepts clients
        SecureChannel ch = Await.value("a channel across the bridge", WAIT, () -> {
            try {
                return channel();
            } catch (Exception e) {
                return null;
            }
        });
        for (int i = 0; i < 3; i++) {
            assertThat(echo(ch, MARKER + " bridged " + i)).isEqualTo(MARKER + " bridged " + i);
        }
        assertOnlyCiphertextSpied();
    }

    @Test
    void linksReconnectAfterABrokerRestartAndTheChannelCarriesOn() throws Exception {
        Mosquitto b = broker(false);
        nodes(b.uri(), b.uri(), "");
        SecureChannel ch = channel();
        assertThat(echo(ch, "before")).isEqualTo("before");
        long handshakes = backend.channels().counters().get("handshakes.completed");

        b.stop();
        Await.until("both links see the broker gone", WAIT,
                () -> !gatewayMqtt.connected("up") && !backendMqtt.connected("cloud"));
        b.start(); // same port, same configuration
        Await.until("both links reconnected by themselves", WAIT,
                () -> gatewayMqtt.connected("up") && backendMqtt.connected("cloud"));
        String after = null;
        for (int i = 0; i < 10 && after == null; i++) {
            after = echo(ch, "after " + i);
        }
        assertThat(after).startsWith("after");
        assertThat(backend.channels().counters().get("handshakes.completed")).isEqualTo(handshakes);
        assertThat(gatewayMqtt.counters().get("link.connects")).isGreaterThanOrEqualTo(2);
    }

    @Test
    void framesAboveTheBrokersPacketLimitTravelInFragments() throws Exception {
        Mosquitto b = Mosquitto.in(dir).users("gateway", "gateway-pw", "backend", "backend-pw", "spy", "spy-pw")
                .maxPacketSize(512);
        closing.add(b);
        b.start();
        spy(b.uri(), "");
        nodes(b.uri(), b.uri(), "");
        SecureChannel ch = channel();
        String big = MARKER + " " + "x".repeat(3000);
        assertThat(echo(ch, big)).isEqualTo(big);
        Map<String, Long> gw = gatewayMqtt.counters();
        assertThat(gw.get("fragments.out")).as("fragments sent by the gateway").isGreaterThanOrEqualTo(6);
        assertThat(gw.get("reassembly.completed")).as("echo put back together at the gateway").isPositive();
        assertThat(backendMqtt.counters().get("reassembly.completed")).isPositive();
        assertThat(spied).allSatisfy(p -> assertThat(p.length).isLessThanOrEqualTo(512));
        assertOnlyCiphertextSpied();
    }
}
