package io.hopseal.impl.channel;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.hopseal.api.channel.ChannelOptions;
import io.hopseal.api.channel.ListenerOptions;
import io.hopseal.api.channel.SecureChannel;
import io.hopseal.api.routing.Address;
import io.hopseal.api.routing.Message;
import io.hopseal.api.routing.Payload;
import io.hopseal.api.routing.SendResult;
import io.hopseal.api.transport.FrameRelease;
import io.hopseal.api.transport.InboundSink;
import io.hopseal.api.transport.Transport;
import io.hopseal.impl.memory.MemoryNetwork;
import io.hopseal.impl.memory.MemoryTransport;
import io.hopseal.node.HopsealNode;
import io.hopseal.testsupport.Await;

/**
 * Pooled send frames end to end (device → backend over a {@link MemoryNetwork}): the device's link is a
 * {@link Link} around its memory transport that can hold frames in a queue (a TCP writer that has not written them
 * yet), write them, refuse, throw, release twice or never release. The pool lends an array to one frame at a time:
 * a queued frame keeps its bytes whatever is sent after it, each frame is released once, and what a failing or
 * non-releasing transport keeps is left to the garbage collector, never lent twice.
 */
class PooledSendFrameTest {
    /** A payload size whose frames are pooled. */
    static final int SIZE = 2000;

    enum Mode { WRITE, HOLD, THROW, NO_RELEASE, RELEASE_TWICE }

    /** The device's link: its memory transport plus a queue of frames not yet written. */
    static final class Link implements Transport {
        record Held(Address hop, Message message, FrameRelease release, byte[] bytes) {
        }

        final MemoryTransport wire;
        final List<Held> held = new CopyOnWriteArrayList<>();
        volatile Mode mode = Mode.WRITE;

        Link(MemoryTransport wire) {
            this.wire = wire;
        }

        @Override
        public SendResult send(Address nextHop, Message message, FrameRelease release) {
            switch (mode) {
                case HOLD -> {
                    Payload b = message.body();
                    held.add(new Held(nextHop, message, release,
                            Arrays.copyOfRange(b.array(), b.offset(), b.offset() + b.length())));
                    return SendResult.FORWARDED;
                }
                case THROW -> throw new IllegalStateException("transport failure (test)");
                case NO_RELEASE -> {
                    return wire.send(nextHop, message);
                }
                case RELEASE_TWICE -> {
                    SendResult r = wire.send(nextHop, message, release);
                    release.release();
                    return r;
                }
                default -> {
                    return wire.send(nextHop, message, release);
                }
            }
        }

        /** Writes the queued frames in order (the memory wire copies each, then releases it). */
        void flush() {
            for (Held h : held) {
                wire.send(h.hop(), h.message(), h.release());
            }
            held.clear();
        }

        @Override
        public SendResult send(Address nextHop, Message message) {
            return wire.send(nextHop, message);
        }

        @Override
        public int addressType() {
            return wire.addressType();
        }

        @Override
        public String name() {
            return wire.name();
        }

        @Override
        public void attach(InboundSink sink) {
            wire.attach(sink);
        }

        @Override
        public void detach(InboundSink sink) {
            wire.detach(sink);
        }

        @Override
        public Map<String, Long> counters() {
            return wire.counters();
        }
    }

    MemoryNetwork net;
    HopsealNode backend;
    HopsealNode device;
    Link link;
    FramePool pool;
    final List<Message> kept = new CopyOnWriteArrayList<>();
    final List<byte[]> sent = new ArrayList<>();

    @BeforeEach
    void setUp() throws Exception {
        net = new MemoryNetwork();
        backend = HopsealNode.builder().memory(net, "backend").build();
        device = HopsealNode.builder().transport(() -> link = new Link(net.attach("device"))).build();
        backend.service("keep", (m, ctx) -> kept.add(m));
        backend.channels().listen("api", ListenerOptions.defaults());
        pool = device.channels().framePool();
    }

    @AfterEach
    void tearDown() {
        device.close();
        backend.close();
        net.close();
    }

    private SecureChannel open() throws Exception {
        return device.channels().connect("/mem/backend/secure/api/service/keep", ChannelOptions.defaults())
                .get(5, TimeUnit.SECONDS);
    }

    private SendResult send(SecureChannel ch) {
        byte[] text = new byte[SIZE];
        Arrays.fill(text, (byte) sent.size());
        text[0] = (byte) (sent.size() >> 8);
        sent.add(text);
        return ch.send(text);
    }

    private void awaitKeptInOrder() throws InterruptedException {
        Await.until(sent.size() + " messages kept", Duration.ofSeconds(5), () -> kept.size() == sent.size());
        for (int i = 0; i < sent.size(); i++) {
            assertThat(kept.get(i).payload()).as("message %d", i).isEqualTo(sent.get(i));
        }
    }

    /**
     * Ten frames wait in the link's queue: each in an array of its own, each unchanged after the later sends; none is
     * back in the pool before it is written. Written, each is released once and arrives whole; the next sends reuse
     * the pool's arrays (no new array), and the kept messages still read as sent.
     */
    @Test
    void aQueuedFrameKeepsItsBytesUntilWrittenAndIsReleasedOnce() throws Exception {
        SecureChannel ch = open();
        long made = pool.made();
        link.mode = Mode.HOLD;
        for (int i = 0; i < 10; i++) {
            assertThat(send(ch)).isEqualTo(SendResult.FORWARDED);
        }
        assertThat(link.held).hasSize(10);
        IdentityHashMap<byte[], Boolean> arrays = new IdentityHashMap<>();
        for (Link.Held h : link.held) {
            arrays.put(h.message().body().array(), Boolean.TRUE);
            Payload b = h.message().body();
            assertThat(Arrays.copyOfRange(b.array(), b.offset(), b.offset() + b.length()))
                    .as("a queued frame after later sends").isEqualTo(h.bytes());
        }
        assertThat(arrays).as("every queued frame in an array of its own").hasSize(10);
        assertThat(pool.released()).isZero();
        assertThat(pool.made() - made).isEqualTo(10);

        link.flush();
        awaitKeptInOrder();
        assertThat(pool.released()).isEqualTo(10);
        assertThat(pool.releasedAgain()).isZero();
        assertThat(pool.idle()).isEqualTo(FramePool.SLOTS);

        link.mode = Mode.WRITE;
        long madeBefore = pool.made();
        for (int i = 0; i < 20; i++) {
            assertThat(send(ch)).isEqualTo(SendResult.FORWARDED);
        }
        assertThat(pool.made()).as("written frames come back: no new array").isEqualTo(madeBefore);
        assertThat(pool.released()).isEqualTo(30);
        awaitKeptInOrder();
    }

    /**
     * A transport that never releases (the SPI's default) or throws leaves its arrays to the garbage collector: each
     * send gets a new array, the messages arrive whole, nothing is released. A link that is down releases at once. A
     * transport that releases twice cannot put an array into the pool twice.
     */
    @Test
    void failedAndNonReleasingSendsNeverLendAnArrayTwice() throws Exception {
        SecureChannel ch = open();
        link.mode = Mode.NO_RELEASE;
        long made = pool.made();
        for (int i = 0; i < 6; i++) {
            assertThat(send(ch)).isEqualTo(SendResult.FORWARDED);
        }
        awaitKeptInOrder();
        assertThat(pool.made() - made).as("nothing came back: a new array per send").isEqualTo(6);
        assertThat(pool.released()).isZero();

        link.mode = Mode.THROW;
        assertThat(ch.send(new byte[SIZE])).isEqualTo(SendResult.DROPPED_LINK_DOWN);
        assertThat(pool.released()).isZero();

        link.mode = Mode.RELEASE_TWICE;
        for (int i = 0; i < 6; i++) {
            assertThat(send(ch)).isEqualTo(SendResult.FORWARDED);
        }
        awaitKeptInOrder();
        assertThat(pool.released()).isEqualTo(6);
        assertThat(pool.releasedAgain()).isEqualTo(6);
        assertThat(pool.idle()).isEqualTo(1);
        link.mode = Mode.HOLD;
        send(ch);
        send(ch);
        assertThat(link.held.get(0).message().body().array())
                .as("the one idle array is lent once").isNotSameAs(link.held.get(1).message().body().array());
        link.flush();
        awaitKeptInOrder();

        link.mode = Mode.WRITE;
        backend.transport(MemoryTransport.class).orElseThrow().close(); // the backend's end of the wire is gone
        long released = pool.released();
        assertThat(ch.send(new byte[SIZE])).isEqualTo(SendResult.DROPPED_LINK_DOWN);
        assertThat(pool.released() - released).as("a refused frame is released at once").isEqualTo(1);
        assertThat(pool.releasedAgain()).isEqualTo(6);
    }
}
