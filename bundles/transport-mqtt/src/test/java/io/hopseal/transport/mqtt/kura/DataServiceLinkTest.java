package io.hopseal.transport.mqtt.kura;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.hopseal.api.channel.ChannelOptions;
import io.hopseal.api.channel.ListenerOptions;
import io.hopseal.api.channel.SecureChannel;
import io.hopseal.api.routing.Message;
import io.hopseal.node.HopsealNode;
import io.hopseal.testsupport.Await;
import io.hopseal.transport.mqtt.Mosquitto;
import io.hopseal.transport.mqtt.MqttLinkConfig;
import io.hopseal.transport.mqtt.MqttTransport;

/**
 * A gateway link riding Kura's connection (its DataService, here over a real Mosquitto) to a standalone backend: the
 * channel runs through the one connection Kura already has, other applications' messages on that connection are left
 * alone, and closing the link unsubscribes without touching Kura's connection.
 */
class DataServiceLinkTest {
    @TempDir
    Path dir;

    @Test
    void channelOverKurasConnection() throws Exception {
        try (Mosquitto broker = Mosquitto.in(dir).start();
                PahoDataService kura = new PahoDataService(broker.uri(), "kura-gateway")) {
            kura.connect();
            MqttTransport backendMqtt = new MqttTransport();
            MqttTransport gatewayMqtt = new MqttTransport();
            try (HopsealNode backend = HopsealNode.builder().transport(() -> backendMqtt).build();
                    HopsealNode gateway = HopsealNode.builder().transport(() -> gatewayMqtt).build()) {
                backend.service("echo", (m, ctx) -> ctx.reply(m, m.payload()));
                backend.channels().listen("api", ListenerOptions.defaults());
                backendMqtt.putLink(MqttLinkConfig.of("cloud", broker.uri(), "backend-1")
                        .withListeners(List.of("api")));
                gatewayMqtt.putLink(MqttLinkConfig.of("cloud", "tcp://unused:1", "gw-9"),
                        DataServiceLink.factory(kura));
                Await.until("both links up", Duration.ofSeconds(20),
                        () -> gatewayMqtt.connected("cloud") && backendMqtt.connected("cloud"));
                assertThat(gatewayMqtt.status()).contains("Kura's cloud connection");

                SecureChannel ch = gateway.channels().connect("/mqtt/cloud:api/secure/api/service/echo",
                        ChannelOptions.defaults()).toCompletableFuture().get(20, TimeUnit.SECONDS);
                ch.send("over Kura".getBytes(UTF_8));
                Message m = ch.receive(Duration.ofSeconds(10));
                assertThat(m).isNotNull();
                assertThat(new String(m.payload(), UTF_8)).isEqualTo("over Kura");

                // another Kura application's message on the same connection is not ours: not even counted
                kura.subscribe("app/data", 1);
                kura.publish("app/data", new byte[] { 1, 2, 3 }, 1, false, 5);
                kura.publish("hopseal/gw-9/not a valid id", new byte[] { 1 }, 1, false, 5);
                Await.until("the bad topic of ours counted", Duration.ofSeconds(10),
                        () -> gatewayMqtt.counters().get("drop.bad_topic") == 1);

                gatewayMqtt.removeLink("cloud");
                assertThat(kura.isConnected()).as("Kura's connection stays").isTrue();
            }
        }
    }
}
