package io.hopseal.transport.mqtt.component;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.entry;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.hopseal.api.routing.Address;
import io.hopseal.api.routing.Message;
import io.hopseal.api.routing.Route;
import io.hopseal.api.routing.SendResult;
import io.hopseal.testsupport.Await;
import io.hopseal.testsupport.Configs;
import io.hopseal.testsupport.Logs;
import io.hopseal.transport.mqtt.Mosquitto;

/**
 * The broker link component outside OSGi, on real brokers: starts its link from the configuration, applies a change
 * of limits to the running connection, moves to another broker live, refuses an invalid value naming the property
 * while the link keeps running, and removes the link when deactivated. While the transport component is not active
 * (before activation, after deactivation) a send is refused and counted as {@code drop.stopped}.
 */
class MqttLinkComponentTest {
    static final Duration WAIT = Duration.ofSeconds(20);

    @TempDir
    Path dir;

    @Test
    void liveReconfigurationAndRefusedValues() throws Exception {
        try (Mosquitto a = Mosquitto.in(dir).start(); Mosquitto b = Mosquitto.in(dir).start()) {
            MqttTransportComponent tc = new MqttTransportComponent();
            Address hop = Address.of(Address.MQTT, "cloud:backend");
            assertThat(tc.send(hop, Message.to(Route.EMPTY, new byte[1]))).isEqualTo(SendResult.DROPPED_STOPPED);
            assertThat(tc.status()).isEqualTo("mqtt: not active");
            assertThat(tc.counters()).containsOnly(entry("drop.stopped", 1L), entry("drop.no_router", 0L));
            tc.activate();
            assertThat(tc.status()).as("no connection without a link").isEqualTo("mqtt: no broker link");
            MqttLinkComponent link = new MqttLinkComponent(tc);
            Map<String, Object> values = Configs.map("link_name", "cloud", "broker_uri", a.uri(), "client_id", "gw-7",
                    "reconnect_backoff_initial_ms", 20, "reconnect_backoff_max_ms", 200);
            link.activate(null, Configs.config(MqttLinkComponent.Config.class, values), Map.of("service.pid", "p1"));
            Await.until("connected to broker a", WAIT, () -> tc.transport().connected("cloud"));
            assertThat(tc.status()).contains(a.uri());

            link.modified(Configs.config(MqttLinkComponent.Config.class, Configs.with(values, "queue_capacity", 5)));
            assertThat(tc.counters().get("link.connects")).as("limits change on the running connection").isEqualTo(1);

            String logs = Logs.logsOf(() -> link.modified(Configs.config(MqttLinkComponent.Config.class,
                    Configs.with(values, "qos", 2))));
            assertThat(logs).contains("invalid property qos").contains("keeps running");
            assertThat(tc.transport().connected("cloud")).isTrue();

            logs = Logs.logsOf(() -> link.modified(Configs.config(MqttLinkComponent.Config.class,
                    Configs.with(values, "broker_uri", "http://x"))));
            assertThat(logs).contains("invalid property broker.uri");

            for (int bad : new int[] {-1, 604_801}) {
                logs = Logs.logsOf(() -> link.modified(Configs.config(MqttLinkComponent.Config.class,
                        Configs.with(values, "session_expiry_s", bad))));
                assertThat(logs).contains("invalid property session.expiry.s").contains("0 to 604800 s");
            }
            assertThat(tc.status()).doesNotContain("session kept");

            link.modified(Configs.config(MqttLinkComponent.Config.class, Configs.with(values, "broker_uri", b.uri())));
            Await.until("moved to broker b", WAIT, () -> tc.transport().connected("cloud")
                    && tc.status().contains(b.uri()));
            assertThat(tc.counters().get("link.connects")).isEqualTo(2);

            // a kept session is another connection (clean start off): the link connects again, with it
            link.modified(Configs.config(MqttLinkComponent.Config.class, Configs.with(values, "broker_uri", b.uri(),
                    "session_expiry_s", 300)));
            Await.until("connected again with a kept session", WAIT, () -> tc.transport().connected("cloud")
                    && tc.counters().get("link.connects") == 3);
            assertThat(tc.status()).contains("session kept 300s");

            link.deactivate();
            assertThat(tc.status()).isEqualTo("mqtt: no broker link");
            tc.deactivate();
            assertThat(tc.status()).isEqualTo("mqtt: not active");
            assertThat(tc.send(hop, Message.to(Route.EMPTY, new byte[1]))).isEqualTo(SendResult.DROPPED_STOPPED);
            assertThat(tc.counters()).containsOnly(entry("drop.stopped", 2L), entry("drop.no_router", 0L));
        }
    }
}
