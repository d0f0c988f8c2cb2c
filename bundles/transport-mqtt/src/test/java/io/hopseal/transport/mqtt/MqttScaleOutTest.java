package io.hopseal.transport.mqtt;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.hopseal.api.channel.ChannelOptions;
import io.hopseal.api.channel.ChannelSession;
import io.hopseal.api.channel.ChannelState;
import io.hopseal.api.channel.SecureChannel;
import io.hopseal.api.routing.SendResult;
import io.hopseal.node.HopsealNode;
import io.hopseal.testsupport.Await;

/**
 * Horizontal scale-out: three backend instances (separate JVMs) answer for one listener name through an MQTT 5 shared
 * subscription; {@value #DEVICES} device channels open through it, each instance takes a share, and every channel
 * sticks to its instance (the instance's own topic is in the return route). Every device keeps its channel in a
 * {@link ChannelSession} with a short keep-alive. One instance is SIGKILLed: the sessions of the devices it held notice
 * (unanswered pings) and open new channels by themselves, which land on the two survivors; the other devices keep
 * their channels; no message is delivered twice.
 */
class MqttScaleOutTest {
    static final int DEVICES = 300;
    static final int INSTANCES = 3;
    static final Duration WAIT = Duration.ofSeconds(60);
    /** A dead instance is noticed after 2 unanswered pings, a second apart (2 to 3 s). */
    static final ChannelOptions SESSION = ChannelOptions.defaults().withKeepAlive(Duration.ofSeconds(1), 2);

    @TempDir
    Path dir;
    Mosquitto broker;
    final List<Process> instances = new ArrayList<>();
    /** Every delivery an instance reported: payload → how many times, and at which instance. */
    final Map<String, List<Integer>> deliveries = new ConcurrentHashMap<>();
    final List<Integer> ready = new CopyOnWriteArrayList<>();

    @AfterEach
    void tearDown() throws Exception {
        for (Process p : instances) {
            p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        if (broker != null) {
            broker.close();
        }
    }

    Process instance(int i) throws Exception {
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
                System.getProperty("java.class.path"), "-Xmx128m", BackendInstance.class.getName(), broker.uri(),
                "be-" + i).redirectError(dir.resolve("instance-" + i + ".log").toFile()).start();
        Thread reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), UTF_8))) {
                for (String line = r.readLine(); line != null; line = r.readLine()) {
                    if (line.equals("READY")) {
                        ready.add(i);
                    } else if (line.startsWith("D ")) {
                        deliveries.computeIfAbsent(line.substring(2), k -> new CopyOnWriteArrayList<>()).add(i);
                    }
                }
            } catch (java.io.IOException e) {
                // the process ended
            }
        }, "instance-" + i + "-out");
        reader.setDaemon(true);
        reader.start();
        return p;
    }

    @Test
    void instancesShareTheListenerAndTheSessionsOfAKilledOneLandOnTheSurvivors() throws Exception {
        broker = Mosquitto.in(dir).start();
        for (int i = 0; i < INSTANCES; i++) {
            instances.add(instance(i));
        }
        Await.until("three instances subscribed", WAIT, () -> ready.size() == INSTANCES);

        MqttTransport mqtt = new MqttTransport();
        try (HopsealNode devices = HopsealNode.builder().transport(() -> mqtt).build()) {
            mqtt.putLink(MqttEndToEndTest.fast(MqttLinkConfig.of("dev", broker.uri(), "devices")));
            Await.until("device link", WAIT, () -> mqtt.connected("dev"));
            ChannelSession[] sessions = new ChannelSession[DEVICES];
            for (int d = 0; d < DEVICES; d++) {
                sessions[d] = devices.channels().session("/mqtt/dev:api/secure/api/service/echo", SESSION,
                        Duration.ofMillis(200), Duration.ofSeconds(2));
            }
            Set<String> echoed = ConcurrentHashMap.newKeySet();
            for (ChannelSession s : sessions) {
                s.setReceiver(m -> echoed.add(new String(m.payload(), UTF_8)));
            }
            Await.until("every session open", WAIT, () -> Arrays.stream(sessions).allMatch(MqttScaleOutTest::open));
            SecureChannel[] before = new SecureChannel[DEVICES];
            Map<Integer, List<Integer>> byInstance = new HashMap<>();
            for (int d = 0; d < DEVICES; d++) {
                before[d] = sessions[d].channel();
                byInstance.computeIfAbsent(instanceOf(before[d]), k -> new ArrayList<>()).add(d);
            }
            assertThat(byInstance.keySet()).as("every instance takes a share").containsExactlyInAnyOrder(0, 1, 2);
            exchange(sessions, 0, echoed);

            instances.get(0).destroyForcibly(); // SIGKILL: no MQTT DISCONNECT, no channel close
            instances.get(0).waitFor(10, TimeUnit.SECONDS);
            List<Integer> orphans = byInstance.get(0);
            // nothing but the sessions' keep-alive notices the dead instance; their next handshake goes to the
            // listener name, which the shared subscription hands to a survivor
            Await.until("every orphaned device served by a survivor", WAIT, () -> orphans.stream()
                    .allMatch(d -> open(sessions[d]) && sessions[d].channel() != before[d]));
            for (int d = 0; d < DEVICES; d++) {
                if (orphans.contains(d)) {
                    assertThat(instanceOf(sessions[d].channel())).as("device " + d).isIn(1, 2);
                    assertThat(sessions[d].counters()).containsEntry("channels.closed.peer_unresponsive", 1L);
                } else {
                    assertThat(sessions[d].channel()).as("device " + d + " of a survivor, unaffected")
                            .isSameAs(before[d]);
                }
            }
            exchange(sessions, 1, echoed);
            for (ChannelSession s : sessions) {
                s.close();
            }
        }
        Await.until("the instances reported every delivery", WAIT,
                () -> deliveries.keySet().stream().filter(k -> k.endsWith("#1")).count() == DEVICES);
        deliveries.forEach((payload, at) -> assertThat(at).as("deliveries of " + payload).hasSize(1));
        assertThat(deliveries).hasSize(2 * DEVICES);
    }

    static boolean open(ChannelSession s) {
        SecureChannel c = s.channel();
        return c != null && c.state() == ChannelState.OPEN;
    }

    /** The instance a channel sticks to: {@code /mqtt/dev:be-<i>} first in its route to the peer. */
    static int instanceOf(SecureChannel ch) {
        String hop = ch.peerRoute().first().valueText();
        assertThat(hop).startsWith("dev:be-");
        return Integer.parseInt(hop.substring("dev:be-".length()));
    }

    /** Sends {@code <device>#<round>} through every session and waits until every echo is back. */
    static void exchange(ChannelSession[] sessions, int round, Set<String> echoed) throws InterruptedException {
        for (int d = 0; d < DEVICES; d++) {
            SendResult sent = sessions[d].send((d + "#" + round).getBytes(UTF_8));
            assertThat(sent.isDropped()).as("send of device " + d + ": " + sent).isFalse();
        }
        Await.until(() -> "echoes of round " + round + ", " + echoed.size() + " so far", WAIT,
                () -> IntStream.range(0, DEVICES).allMatch(d -> echoed.contains(d + "#" + round)));
    }
}
