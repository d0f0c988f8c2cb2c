package io.hopseal.bench;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import io.hopseal.api.channel.ChannelOptions;
import io.hopseal.api.channel.HandshakePattern;
import io.hopseal.api.channel.ListenerOptions;
import io.hopseal.api.channel.SecureChannel;
import io.hopseal.api.routing.Route;
import io.hopseal.impl.memory.MemoryNetwork;
import io.hopseal.node.HopsealNode;
import io.hopseal.api.transport.Envelope;

/**
 * Bytes on the wire, measured from real frames: Hopseal handshakes and transport messages between two nodes on an
 * in-memory link (every frame is encoded as it would be on a real link), and JDK TLS 1.3 records from SSLEngine.
 */
public final class WireBytes {
    private WireBytes() {
    }

    /** One frame seen on the link: channel-layer bytes (the envelope's payload) and the whole envelope. */
    public record Frame(String from, int channelBytes, int envelopeBytes) {
    }

    /** Hopseal measurements. */
    public record Hopseal(Map<String, List<Frame>> handshakes, Map<Integer, Frame> dataFirst,
                          Map<Integer, Frame> dataAfter300) {
        public int handshakeBytes(String pattern) {
            return sum(handshakes.get(pattern));
        }

        public int handshakeEnvelopeBytes(String pattern) {
            int n = 0;
            for (Frame f : handshakes.get(pattern)) {
                n += f.envelopeBytes();
            }
            return n;
        }

        /** Channel-layer bytes added to a message of this size (counter 0). */
        public int overhead(int payload) {
            return dataFirst.get(payload).channelBytes() - payload;
        }
    }

    static int sum(List<Frame> frames) {
        int n = 0;
        for (Frame f : frames) {
            n += f.channelBytes();
        }
        return n;
    }

    public static final int[] PAYLOADS = {10, 64, 1024, 16384};

    /** Runs XX, KK and IK handshakes and bound data messages between two in-memory nodes and records every frame. */
    public static Hopseal measureHopseal() throws Exception {
        Map<String, List<Frame>> hs = new LinkedHashMap<>();
        Map<Integer, Frame> first = new LinkedHashMap<>();
        Map<Integer, Frame> later = new LinkedHashMap<>();
        try (MemoryNetwork net = new MemoryNetwork();
             HopsealNode backend = HopsealNode.builder().memory(net, "backend").build();
             HopsealNode device = HopsealNode.builder().memory(net, "device").build()) {
            backend.service("echo", (m, ctx) -> ctx.reply(m, m.payload()));
            backend.channels().listen("api", ListenerOptions.defaults());
            List<Frame> log = new CopyOnWriteArrayList<>();
            net.setInterceptor((from, to, f) -> {
                try {
                    log.add(new Frame(from, Envelope.decode(f).payload().length, f.length));
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
                return List.of(f);
            });
            for (HandshakePattern p : HandshakePattern.values()) {
                log.clear();
                ChannelOptions o = ChannelOptions.defaults();
                if (p != HandshakePattern.XX) {
                    o = o.withPattern(p).withExpectedPeer(backend.identifier());
                }
                SecureChannel ch = device.channels().connect(Route.parse("/mem/backend/service/api"), o)
                        .get(10, TimeUnit.SECONDS);
                settle(log, p == HandshakePattern.XX ? 3 : 2);
                hs.put(p.name(), List.copyOf(log));
                ch.close();
                settle(log, log.size() + 1);
            }
            SecureChannel bound = device.channels().connect("/mem/backend/secure/api/service/echo",
                    ChannelOptions.defaults()).get(10, TimeUnit.SECONDS);
            settle(log, 3);
            for (int size : PAYLOADS) {
                log.clear();
                bound.send(new byte[size]);
                if (bound.receive(Duration.ofSeconds(10)) == null) {
                    throw new IllegalStateException("no echo");
                }
                first.put(size, deviceFrame(log));
            }
            for (int i = 0; i < 300; i++) {
                bound.send(new byte[1]);
                bound.receive(Duration.ofSeconds(10));
            }
            for (int size : PAYLOADS) {
                log.clear();
                bound.send(new byte[size]);
                bound.receive(Duration.ofSeconds(10));
                later.put(size, deviceFrame(log));
            }
            bound.close();
        }
        return new Hopseal(hs, first, later);
    }

    private static Frame deviceFrame(List<Frame> log) {
        for (Frame f : log) {
            if (f.from().equals("device")) {
                return f;
            }
        }
        throw new IllegalStateException("no frame from the device in " + log);
    }

    private static void settle(List<Frame> log, int atLeast) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (log.size() < atLeast && System.nanoTime() < end) {
            Thread.sleep(5);
        }
        Thread.sleep(50); // anything else in flight
    }

    /** TLS 1.3 measurements. */
    public record Tls(String suite, long handshakeBytes, long clientBytes, long serverBytes, long ticketBytes,
                      List<Integer> flights, Map<Integer, Integer> recordOverhead, long serverAuthOnlyBytes) {
        public int overhead(int payload) {
            return recordOverhead.get(payload);
        }
    }

    public static Tls measureTls() throws Exception {
        TlsPair p = new TlsPair.Factory(true).newPair().handshake();
        Map<Integer, Integer> over = new LinkedHashMap<>();
        for (int size : PAYLOADS) {
            int wire = p.transfer(ByteBuffer.allocate(size));
            over.put(size, wire - size);
        }
        TlsPair s = new TlsPair.Factory(false).newPair().handshake();
        return new Tls(p.cipherSuite(), p.handshakeBytes(), p.clientHandshakeBytes(), p.serverHandshakeBytes(),
                p.postHandshakeBytes(), new ArrayList<>(p.handshakeFlights()), over, s.handshakeBytes());
    }

    /** OSCORE measurements, or the failure that prevented them. */
    public record Oscore(Map<Integer, OscoreOverhead.Result> results, String error) {
    }

    public static Oscore measureOscore() {
        Map<Integer, OscoreOverhead.Result> m = new LinkedHashMap<>();
        try {
            for (int size : PAYLOADS) {
                if (size <= 1024) {
                    m.put(size, OscoreOverhead.measure(size));
                }
            }
            return new Oscore(m, null);
        } catch (Throwable t) {
            return new Oscore(m, t.toString());
        }
    }
}
