package io.hopseal.transport.mqtt;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.hopseal.api.channel.ChannelOptions;
import io.hopseal.api.channel.SecureChannel;
import io.hopseal.node.HopsealNode;
import io.hopseal.testsupport.Await;

/**
 * Horizontal scale-out: three backend instances (separate JVMs) answer for one listener name through an MQTT 5 shared
 * subscription; {@value #DEVICES} device channels open through it, each instance takes a share, and every channel
 * sticks to its instance (the instance's own topic is in the return route). One instance is SIGKILLed: the devices
 * it held open new channels, which land on the two survivors, and no message is delivered twice.
 */
class MqttScaleOutTest {
    static final int DEVICES = 300;
    static final int INSTANCES = 3;
    static final Duration WAIT = Duration.ofSeconds(60);

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
    void instancesShareTheListenerAndTakeOverTheDevicesOfOneThatIsKilled() throws Exception {
        broker = Mosquitto.in(dir).start();
        for (int i = 0; i < INSTANCES; i++) {
            instances.add(instance(i));
        }
        Await.until("three instances subscribed", WAIT, () -> ready.size() == INSTANCES);

        MqttTransport mqtt = new MqttTransport();
        try (HopsealNode devices = HopsealNode.builder().transport(() -> mqtt).build()) {
            mqtt.putLink(MqttEndToEndTest.fast(MqttLinkConfig.of("dev", broker.uri(), "devices")));
            Await.until("device link", WAIT, () -> mqtt.connected("dev"));
            SecureChannel[] channels = open(devices, allDevices());
            Map<String, Set<String>> echoed = new ConcurrentHashMap<>();
            exchange(channels, allDevices(), 0, echoed, Duration.ofSeconds(30));
            assertThat(echoed.get("0")).hasSize(DEVICES);

            Map<Integer, List<Integer>> byInstance = new HashMap<>();
            for (int d = 0; d < DEVICES; d++) {
                byInstance.computeIfAbsent(instanceOf(channels[d]), k -> new ArrayList<>()).add(d);
            }
            assertThat(byInstance.keySet()).as("every instance takes a share").containsExactlyInAnyOrder(0, 1, 2);

            instances.get(0).destroyForcibly(); // SIGKILL: no MQTT DISCONNECT, no channel close
            instances.get(0).waitFor(10, TimeUnit.SECONDS);
            List<Integer> orphans = byInstance.get(0);
            exchange(channels, allDevices(), 1, echoed, Duration.ofSeconds(3));
            assertThat(echoed.get("1")).as("the survivors' devices are unaffected")
                    .hasSize(DEVICES - orphans.size());
            // the devices of the killed instance: no answer, so (as a device's session keep-alive would) they open a
            // new channel through the listener name, which the shared subscription hands to a survivor
            SecureChannel[] fresh = open(devices, orphans);
            for (int d : orphans) {
                channels[d] = fresh[d];
                assertThat(instanceOf(channels[d])).isIn(1, 2);
            }
            exchange(channels, orphans, 1, echoed, Duration.ofSeconds(30));
            assertThat(echoed.get("1")).hasSize(DEVICES);
        }
        Await.until("the instances reported every delivery", WAIT,
                () -> deliveries.keySet().stream().filter(k -> k.endsWith("#1")).count() == DEVICES);
        deliveries.forEach((payload, at) -> assertThat(at).as("deliveries of " + payload).hasSize(1));
        assertThat(deliveries).hasSize(2 * DEVICES);
    }

    static List<Integer> allDevices() {
        List<Integer> all = new ArrayList<>();
        for (int d = 0; d < DEVICES; d++) {
            all.add(d);
        }
        return all;
    }

    static SecureChannel[] open(HopsealNode node, List<Integer> which) throws Exception {
        SecureChannel[] out = new SecureChannel[DEVICES];
        List<CompletableFuture<SecureChannel>> pending = new ArrayList<>();
        for (int d : which) {
            pending.add(node.channels().connect("/mqtt/dev:api/secure/api/service/echo", ChannelOptions.defaults())
                    .toCompletableFuture());
        }
        int i = 0;
        for (int d : which) {
            out[d] = pending.get(i++).get(60, TimeUnit.SECONDS);
        }
        return out;
    }

    /** The instance a channel sticks to: {@code /mqtt/dev:be-<i>} first in its route to the peer. */
    static int instanceOf(SecureChannel ch) {
        String hop = ch.peerRoute().first().valueText();
        assertThat(hop).startsWith("dev:be-");
        return Integer.parseInt(hop.substring("dev:be-".length()));
    }

    /** Sends {@code <device>#<round>} on each channel and collects the echoes that come back within {@code wait}. */
    static void exchange(SecureChannel[] channels, List<Integer> which, int round, Map<String, Set<String>> echoed,
            Duration wait) throws InterruptedException {
        Set<String> got = echoed.computeIfAbsent(String.valueOf(round), k -> ConcurrentHashMap.newKeySet());
        for (int d : which) {
            channels[d].setReceiver(m -> got.add(new String(m.payload(), UTF_8)));
        }
        for (int d : which) {
            channels[d].send((d + "#" + round).getBytes(UTF_8));
        }
        long expected = got.size() + which.size();
        try {
            Await.until("echoes of round " + round, wait, () -> got.size() >= expected);
        } catch (AssertionError e) {
            // some channels lead to a dead instance: the caller checks which answered
        }
    }
}
