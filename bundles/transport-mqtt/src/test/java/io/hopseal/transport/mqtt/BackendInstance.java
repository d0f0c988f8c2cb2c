package io.hopseal.transport.mqtt;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.PrintStream;
import java.time.Duration;
import java.util.List;

import io.hopseal.api.channel.ListenerOptions;
import io.hopseal.node.HopsealNode;
import io.hopseal.testsupport.Await;

/**
 * One backend instance as its own process (for {@link MqttScaleOutTest}, which SIGKILLs one): a node with an MQTT
 * link that answers for the listener {@code api} through the shared subscription and on its own topic id, and an echo
 * service that prints {@code D <payload>} for every message delivered to it. Prints {@code READY} once subscribed;
 * exits when its standard input closes (so it never outlives the test).
 *
 * <p>Arguments: broker URI, topic id.
 */
public final class BackendInstance {
    private BackendInstance() {
    }

    public static void main(String[] args) throws Exception {
        PrintStream out = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), true, UTF_8);
        System.setOut(System.err); // only our lines on stdout
        MqttTransport mqtt = new MqttTransport();
        try (HopsealNode node = HopsealNode.builder().transport(() -> mqtt).build()) {
            node.service("echo", (m, ctx) -> {
                String text = new String(m.payload(), UTF_8);
                synchronized (out) {
                    out.println("D " + text);
                }
                ctx.reply(m, m.payload());
            });
            node.channels().listen("api", ListenerOptions.defaults());
            mqtt.putLink(MqttEndToEndTest.fast(MqttLinkConfig.of("cloud", args[0], args[1])
                    .withListeners(List.of("api"))));
            // through the shared helper: a link that never connects ends this process with a message, not a hang
            Await.until("this backend instance's MQTT link 'cloud' connected", Duration.ofSeconds(30),
                    () -> mqtt.connected("cloud"));
            synchronized (out) {
                out.println("READY");
            }
            while (System.in.read() >= 0) {
                // until the test closes our stdin
            }
        }
    }
}
