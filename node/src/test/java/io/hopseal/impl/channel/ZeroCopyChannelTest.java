package io.hopseal.impl.channel;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.hopseal.api.channel.ChannelOptions;
import io.hopseal.api.channel.ListenerOptions;
import io.hopseal.api.channel.SecureChannel;
import io.hopseal.api.routing.Message;
import io.hopseal.api.routing.Payload;
import io.hopseal.api.routing.SendResult;
import io.hopseal.impl.memory.MemoryNetwork;
import io.hopseal.impl.memory.MemoryTransport;
import io.hopseal.node.HopsealNode;
import io.hopseal.testsupport.Await;

/**
 * The zero-copy channel path: bound data opened in place and delivered as a view the receiver owns, and
 * {@link SecureChannel#send(Payload)} sealing in place when the payload has the room (else one copy).
 */
class ZeroCopyChannelTest {
    MemoryNetwork net;
    HopsealNode backend;
    HopsealNode device;
    final List<Message> kept = new CopyOnWriteArrayList<>();
    io.hopseal.api.routing.Registration keepRegistration;

    @BeforeEach
    void setUp() {
        net = new MemoryNetwork();
        backend = HopsealNode.builder().memory(net, "backend").build();
        device = HopsealNode.builder().memory(net, "device").build();
        keepRegistration = backend.service("keep", (m, ctx) -> kept.add(m));
        backend.channels().listen("api", ListenerOptions.defaults());
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

    /** A payload built the way {@code send(Payload)} wants it: the text with the channel's headroom and the tag's room. */
    private static Payload roomy(SecureChannel ch, byte[] text) {
        int room = ch.sendHeadroom();
        byte[] buf = new byte[room + text.length + SecureChannel.SEND_TAILROOM];
        System.arraycopy(text, 0, buf, room, text.length);
        return new Payload(buf, room, text.length, room);
    }

    /**
     * A service that keeps every message it got sees each one unchanged after all the later ones arrived (each body
     * is a view into an array of its own, exactly the plaintext), whichever way it was sent; forged and replayed
     * frames in between are dropped and counted, change nothing, and the channel carries on.
     */
    @Test
    void keptMessagesNeverChangeWhateverArrivesAfterThem() throws Exception {
        SecureChannel ch = open();
        List<byte[]> forged = new CopyOnWriteArrayList<>();
        net.setInterceptor((from, to, frame) -> {
            if (!from.equals("device") || frame.length < 40) {
                return List.of(frame);
            }
            byte[] bad = frame.clone();
            bad[bad.length - 1] ^= 1; // the tag: the open fails after the header checks passed
            forged.add(bad);
            return List.of(bad, frame, frame); // forged, genuine, replayed
        });
        List<String> texts = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            String text = "message number " + i + " " + "x".repeat(i * 7);
            texts.add(text);
            byte[] bytes = text.getBytes(UTF_8);
            SendResult r = i % 2 == 0 ? ch.send(bytes) : ch.send(roomy(ch, bytes));
            assertThat(r).isEqualTo(SendResult.FORWARDED);
        }
        Await.until("40 messages kept", Duration.ofSeconds(5), () -> kept.size() == 40);
        SecureChannel responder = backend.channels().channels().iterator().next();
        Await.until("forged and replayed frames counted", Duration.ofSeconds(5),
                () -> responder.counters().getOrDefault("drop.forged", 0L) == 40
                        && responder.counters().getOrDefault("drop.replay", 0L) == 40);
        IdentityHashMap<byte[], Boolean> arrays = new IdentityHashMap<>();
        for (int i = 0; i < 40; i++) {
            Payload body = kept.get(i).body();
            assertThat(body.length()).isEqualTo(texts.get(i).getBytes(UTF_8).length);
            assertThat(new String(kept.get(i).payload(), UTF_8)).isEqualTo(texts.get(i));
            assertThat(kept.get(i).securePeer()).isEqualTo(device.identifier());
            arrays.put(body.array(), Boolean.TRUE);
        }
        assertThat(arrays).as("every message in an array of its own").hasSize(40);
        assertThat(forged).hasSize(40);
    }

    /**
     * {@code send(Payload)} with the channel's headroom and the tag's tailroom seals over the caller's array (it then
     * holds ciphertext: the array was handed over) and the link frames it in that array's headroom; with less room the
     * bytes are copied once and the caller's array is left as it was. Both arrive intact.
     */
    @Test
    void sendPayloadSealsInPlaceOnlyWithTheRoom() throws Exception {
        SecureChannel ch = open();
        MemoryTransport link = device.transport(MemoryTransport.class).orElseThrow();
        long framedBefore = link.counters().getOrDefault("frames.in_place", 0L);
        byte[] text = "sealed where it lies".getBytes(UTF_8);

        Payload roomy = roomy(ch, text);
        assertThat(ch.send(roomy)).isEqualTo(SendResult.FORWARDED);
        assertThat(java.util.Arrays.copyOfRange(roomy.array(), roomy.offset(), roomy.offset() + text.length))
                .as("sealed over the plaintext").isNotEqualTo(text);

        int room = ch.sendHeadroom();
        byte[] tight = new byte[room + text.length + SecureChannel.SEND_TAILROOM - 1]; // one byte short of the tag
        System.arraycopy(text, 0, tight, room, text.length);
        byte[] tightBefore = tight.clone();
        assertThat(ch.send(new Payload(tight, room, text.length, room))).isEqualTo(SendResult.FORWARDED);
        byte[] shallow = new byte[room - 1 + text.length + SecureChannel.SEND_TAILROOM]; // one byte short in front
        System.arraycopy(text, 0, shallow, room - 1, text.length);
        byte[] shallowBefore = shallow.clone();
        assertThat(ch.send(new Payload(shallow, room - 1, text.length, room - 1))).isEqualTo(SendResult.FORWARDED);
        assertThat(tight).as("copied, not sealed in place").isEqualTo(tightBefore);
        assertThat(shallow).as("copied, not sealed in place").isEqualTo(shallowBefore);

        Await.until("three messages kept", Duration.ofSeconds(5), () -> kept.size() == 3);
        for (Message m : kept) {
            assertThat(m.payload()).isEqualTo(text);
        }
        // all three framed in place by the link: the copies were sealed into a buffer with the headroom
        assertThat(link.counters().getOrDefault("frames.in_place", 0L) - framedBefore).isEqualTo(3);
    }

    /**
     * Bound data goes straight to the bound service's registration, resolved once per channel end, with the router's
     * checks still applied: a policy the peer does not satisfy refuses it (counted), and a service that re-registers at
     * the same address gets the next message (the old registration is never used again).
     */
    @Test
    void boundDeliveryKeepsTheRoutersChecksAndFollowsReRegistration() throws Exception {
        SecureChannel ch = open();
        assertThat(ch.send("one".getBytes(UTF_8))).isEqualTo(SendResult.FORWARDED);
        Await.until("first message kept", Duration.ofSeconds(5), () -> kept.size() == 1);

        backend.accessControl().set("keep", io.hopseal.impl.access.Policy.parse("subject.role = \"admin\""));
        SecureChannel responder = backend.channels().channels().iterator().next();
        ch.send("refused".getBytes(UTF_8));
        Await.until("refusal counted", Duration.ofSeconds(5),
                () -> responder.counters().getOrDefault("deliver.drop.access_denied", 0L) == 1);
        assertThat(backend.router().counters()).containsEntry("drop.access_denied", 1L);
        backend.accessControl().remove("keep");

        List<Message> second = new CopyOnWriteArrayList<>();
        keepRegistration.close();
        backend.service("keep", (m, ctx) -> second.add(m));
        ch.send("two".getBytes(UTF_8));
        Await.until("the new registration got it", Duration.ofSeconds(5), () -> second.size() == 1);
        assertThat(second.get(0).payload()).isEqualTo("two".getBytes(UTF_8));
        assertThat(kept).hasSize(1);
    }
}
