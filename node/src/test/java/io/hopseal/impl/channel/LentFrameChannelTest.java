package io.hopseal.impl.channel;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Arrays;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.hopseal.api.channel.ChannelOptions;
import io.hopseal.api.channel.ListenerOptions;
import io.hopseal.api.channel.SecureChannel;
import io.hopseal.api.routing.Address;
import io.hopseal.api.routing.BorrowingWorker;
import io.hopseal.api.routing.Message;
import io.hopseal.api.routing.Payload;
import io.hopseal.api.routing.SendResult;
import io.hopseal.api.transport.Counters;
import io.hopseal.api.transport.FrameRelease;
import io.hopseal.api.transport.InboundPort;
import io.hopseal.api.transport.InboundSink;
import io.hopseal.api.transport.Transport;
import io.hopseal.node.HopsealNode;
import io.hopseal.testsupport.Await;

/**
 * A sealed frame lent all the way (transport SPI 2.4): the device's channel seals into an array from its pool, a
 * link that shares memory hands that very array to the backend with the release, the backend's channel end opens it
 * in place. When the bound service borrows ({@link BorrowingWorker}) the array comes back to the device's pool once
 * {@code handle} returned, holding no plaintext, and the next message reuses it; when the service may keep messages
 * nothing comes back and what it kept stays intact.
 */
class LentFrameChannelTest {
    static final int SIZE = 2000;

    /** Two ends that hand each other the sender's array itself, on the receiver's own thread. */
    static final class SharedMemoryLink {
        final Map<Address, End> ends = new ConcurrentHashMap<>();
        final AtomicInteger lent = new AtomicInteger();
        final AtomicInteger returned = new AtomicInteger();
        /** Bytes of the plaintext's pattern left in each frame's range when it came back. */
        final List<Integer> patternLeft = new CopyOnWriteArrayList<>();
        volatile byte pattern;

        End join(String name) {
            End e = new End(Address.of(Address.MEMORY, name));
            ends.put(e.self, e);
            return e;
        }

        final class End implements Transport {
            final Address self;
            final InboundPort port = new InboundPort(new Counters());
            final ExecutorService thread = Executors.newSingleThreadExecutor();

            End(Address self) {
                this.self = self;
            }

            public int addressType() { return Address.MEMORY; }
            public String name() { return "shared-memory"; }
            public void attach(InboundSink s) { port.attach(s); }
            public void detach(InboundSink s) { port.detach(s); }
            public Map<String, Long> counters() { return Map.of(); }

            public SendResult send(Address nextHop, Message m) {
                return send(nextHop, m, null);
            }

            public SendResult send(Address nextHop, Message m, FrameRelease release) {
                End peer = ends.get(nextHop);
                if (peer == null) {
                    if (release != null) {
                        release.release();
                    }
                    return SendResult.DROPPED_LINK_DOWN;
                }
                Message in = m.withReturnRoute(m.returnRoute().prepend(self));
                FrameRelease back = null;
                if (release != null) {
                    lent.incrementAndGet();
                    Payload frame = m.body();
                    back = () -> {
                        int left = 0;
                        for (int i = frame.offset(); i < frame.offset() + frame.length(); i++) {
                            left += frame.array()[i] == pattern ? 1 : 0;
                        }
                        patternLeft.add(left);
                        returned.incrementAndGet();
                        release.release();
                    };
                }
                FrameRelease r = back;
                peer.thread.execute(() -> peer.port.deliver(in, null, r));
                return SendResult.FORWARDED;
            }

            void close() {
                thread.shutdownNow();
            }
        }
    }

    final SharedMemoryLink link = new SharedMemoryLink();
    HopsealNode device;
    HopsealNode backend;
    FramePool pool;
    final List<String> wrong = new CopyOnWriteArrayList<>();
    final AtomicInteger handled = new AtomicInteger();
    final Set<byte[]> arrays = Collections.synchronizedSet(Collections.newSetFromMap(new IdentityHashMap<>()));
    final List<Message> kept = new CopyOnWriteArrayList<>();

    @BeforeEach
    void setUp() throws Exception {
        SharedMemoryLink.End d = link.join("device");
        SharedMemoryLink.End b = link.join("backend");
        device = HopsealNode.builder().transport(() -> d).build();
        backend = HopsealNode.builder().transport(() -> b).build();
        backend.service("borrow", (BorrowingWorker) (m, ctx) -> {
            byte[] body = m.body().toArray();
            byte[] want = new byte[SIZE];
            Arrays.fill(want, link.pattern);
            if (!Arrays.equals(body, want)) {
                wrong.add("message " + handled.get());
            }
            arrays.add(m.body().array());
            handled.incrementAndGet();
        });
        backend.service("keep", (m, ctx) -> {
            kept.add(m);
            handled.incrementAndGet();
        });
        backend.channels().listen("api", ListenerOptions.defaults());
        pool = device.channels().framePool();
    }

    @AfterEach
    void tearDown() {
        device.close();
        backend.close();
        for (SharedMemoryLink.End e : link.ends.values()) {
            e.close();
        }
    }

    private SecureChannel open(String service) throws Exception {
        return device.channels().connect("/mem/backend/secure/api/service/" + service, ChannelOptions.defaults())
                .get(5, TimeUnit.SECONDS);
    }

    private static byte[] text(byte pattern) {
        byte[] t = new byte[SIZE];
        Arrays.fill(t, pattern);
        return t;
    }

    @Test
    void aBorrowingServiceGivesEachFrameBackWipedAndTheNextMessageReusesIt() throws Exception {
        SecureChannel ch = open("borrow");
        long made = pool.made();
        for (int i = 0; i < 30; i++) {
            link.pattern = (byte) (0x40 + i);
            assertThat(ch.send(text(link.pattern))).isEqualTo(SendResult.FORWARDED);
            int n = i + 1;
            Await.until("message " + n + " handled and its frame back", Duration.ofSeconds(5),
                    () -> handled.get() == n && link.returned.get() == n);
        }
        assertThat(wrong).as("messages that arrived changed").isEmpty();
        assertThat(link.lent).hasValue(30);
        assertThat(link.returned).as("each lent frame came back once").hasValue(30);
        assertThat(link.patternLeft).as("plaintext bytes left in each frame given back").allMatch(n -> n < 16);
        assertThat(pool.releasedAgain()).isZero();
        assertThat(pool.made() - made).as("arrays the pool had to make for 30 messages").isLessThanOrEqualTo(1);
        assertThat(arrays).as("arrays the service was handed").hasSizeLessThanOrEqualTo(2);
    }

    @Test
    void aServiceThatMayKeepMessagesNeverHasTheirArraysTakenBack() throws Exception {
        SecureChannel ch = open("keep");
        long made = pool.made();
        for (int i = 0; i < 20; i++) {
            link.pattern = (byte) (0x40 + i);
            assertThat(ch.send(text(link.pattern))).isEqualTo(SendResult.FORWARDED);
        }
        Await.until("20 messages kept", Duration.ofSeconds(5), () -> kept.size() == 20);
        assertThat(link.lent).hasValue(20);
        assertThat(link.returned).as("frames given back while the service holds them").hasValue(0);
        assertThat(pool.made() - made).as("a new array for every message").isEqualTo(20);
        for (int i = 0; i < 20; i++) {
            assertThat(kept.get(i).payload()).as("kept message %d after all the later sends", i)
                    .isEqualTo(text((byte) (0x40 + i)));
        }
    }
}
