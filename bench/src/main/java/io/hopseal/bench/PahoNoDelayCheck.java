package io.hopseal.bench;

import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

import javax.net.SocketFactory;

import org.eclipse.paho.mqttv5.client.IMqttToken;
import org.eclipse.paho.mqttv5.client.MqttAsyncClient;
import org.eclipse.paho.mqttv5.client.MqttCallback;
import org.eclipse.paho.mqttv5.client.MqttConnectionOptions;
import org.eclipse.paho.mqttv5.client.MqttDisconnectResponse;
import org.eclipse.paho.mqttv5.client.persist.MemoryPersistence;
import org.eclipse.paho.mqttv5.common.MqttException;
import org.eclipse.paho.mqttv5.common.MqttMessage;
import org.eclipse.paho.mqttv5.common.packet.MqttProperties;

/**
 * Where {@link MqttProbe}'s 40/80 ms round trips at QoS 1 come from, with Paho alone (no Hopseal code): a requester
 * publishes at QoS 1, an echoer answers at QoS 1, one message in flight, through a local Mosquitto. Four cases: the
 * broker's {@code set_tcp_nodelay} off (Mosquitto's default) or on, and the Paho clients' sockets with Nagle's
 * algorithm (Paho's default socket factory) or with {@code TCP_NODELAY} (a socket factory that sets it). Prints p50
 * and p99 of the round trip per case ({@link MqttProbe} adds the same table to its section).
 *
 * <pre>
 * java -cp bench/target/hopseal-bench.jar io.hopseal.bench.PahoNoDelayCheck [MESSAGES]
 * </pre>
 */
public final class PahoNoDelayCheck {
    private PahoNoDelayCheck() {
    }

    public static void main(String[] args) throws Exception {
        System.out.print(table(args.length > 0 ? Integer.parseInt(args[0]) : 60));
        System.exit(0);
    }

    /** The four cases as a markdown table. */
    static String table(int messages) throws Exception {
        Path dir = Files.createTempDirectory("hopseal-paho-nodelay");
        StringBuilder md = new StringBuilder("| Mosquitto `set_tcp_nodelay` | Paho sockets `TCP_NODELAY` | QoS 1 "
                + "round trip p50 µs | p99 µs |\n|---|---|---|---|\n");
        String saved = System.getProperty("hopseal.bench.mqtt.brokerNoDelay", "true");
        try {
            for (boolean brokerNoDelay : new boolean[] {false, true}) {
                System.setProperty("hopseal.bench.mqtt.brokerNoDelay", Boolean.toString(brokerNoDelay));
                try (BenchBroker broker = BenchBroker.start(dir, false)) {
                    for (boolean clientNoDelay : new boolean[] {false, true}) {
                        List<Double> rtt = run(broker.uri(), clientNoDelay, messages);
                        md.append(String.format(Locale.ROOT, "| %s | %s | %,.0f | %,.0f |%n", brokerNoDelay ? "true"
                                : "false (default)", clientNoDelay ? "true" : "false (Paho's default)",
                                TcpPathProbe.percentile(rtt, 0.5), TcpPathProbe.percentile(rtt, 0.99)));
                    }
                }
            }
        } finally {
            System.setProperty("hopseal.bench.mqtt.brokerNoDelay", saved);
        }
        return md.toString();
    }

    static List<Double> run(String uri, boolean noDelay, int messages) throws Exception {
        Semaphore back = new Semaphore(0);
        MqttAsyncClient echoer = client(uri, "echoer", noDelay, null);
        MqttAsyncClient requester = client(uri, "requester", noDelay, (t, m) -> back.release());
        echoer.setCallback(callback((t, m) -> {
            try {
                echoer.publish("bench/reply", m.getPayload(), 1, false);
            } catch (MqttException e) {
                throw new IllegalStateException(e);
            }
        }));
        echoer.subscribe("bench/request", 1).waitForCompletion(10_000);
        requester.subscribe("bench/reply", 1).waitForCompletion(10_000);
        List<Double> rtt = new ArrayList<>();
        byte[] payload = new byte[64];
        for (int i = 0; i < messages + 10; i++) {
            long t0 = System.nanoTime();
            requester.publish("bench/request", payload, 1, false);
            if (!back.tryAcquire(10, TimeUnit.SECONDS)) {
                throw new IllegalStateException("no echo");
            }
            if (i >= 10) { // the first ten warm up
                rtt.add((System.nanoTime() - t0) / 1e3);
            }
        }
        for (MqttAsyncClient c : new MqttAsyncClient[] {echoer, requester}) {
            c.disconnect().waitForCompletion(5_000);
            c.close();
        }
        return rtt;
    }

    interface Arrived {
        void arrived(String topic, MqttMessage m);
    }

    static MqttAsyncClient client(String uri, String id, boolean noDelay, Arrived arrived) throws MqttException {
        MqttAsyncClient c = new MqttAsyncClient(uri, id, new MemoryPersistence());
        MqttConnectionOptions o = new MqttConnectionOptions();
        if (noDelay) {
            o.setSocketFactory(new NoDelaySockets());
        }
        if (arrived != null) {
            c.setCallback(callback(arrived));
        }
        c.connect(o).waitForCompletion(10_000);
        return c;
    }

    static MqttCallback callback(Arrived arrived) {
        return new MqttCallback() {
            @Override
            public void messageArrived(String topic, MqttMessage message) {
                arrived.arrived(topic, message);
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
        };
    }

    /** Plain sockets with Nagle's algorithm off (Paho creates an unconnected socket, then connects it). */
    static final class NoDelaySockets extends SocketFactory {
        static Socket noDelay(Socket s) throws IOException {
            s.setTcpNoDelay(true);
            return s;
        }

        @Override
        public Socket createSocket() throws IOException {
            return noDelay(new Socket());
        }

        @Override
        public Socket createSocket(String host, int port) throws IOException {
            return noDelay(new Socket(host, port));
        }

        @Override
        public Socket createSocket(String host, int port, InetAddress local, int localPort) throws IOException {
            return noDelay(new Socket(host, port, local, localPort));
        }

        @Override
        public Socket createSocket(InetAddress host, int port) throws IOException {
            return noDelay(new Socket(host, port));
        }

        @Override
        public Socket createSocket(InetAddress host, int port, InetAddress local, int localPort) throws IOException {
            return noDelay(new Socket(host, port, local, localPort));
        }
    }
}
