package io.hopseal.transport.lora.fragment;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

import com.code_intelligence.jazzer.junit.FuzzTest;

import io.hopseal.api.routing.Address;
import io.hopseal.api.routing.Message;
import io.hopseal.api.routing.Route;
import io.hopseal.api.transport.Envelope;
import io.hopseal.api.transport.MalformedMessageException;
import io.hopseal.testsupport.FuzzSeeds;
import io.hopseal.testsupport.FuzzTarget;

/**
 * What a LoRaWAN device (or anyone holding its session keys) puts in FRMPayloads on the Hopseal FPort: fragments
 * for {@link Reassembler}, and the radio envelope ({@link RadioEnvelope}, plain or compact with route references)
 * that the whole message holds.
 *
 * <p>{@link #reassemble}: input is a script of frames {@code fcnt step u8 ‖ time step u8 (×1 s) ‖ length u8 ‖ payload}.
 * Contract: never throws; a message is never longer than the maximum; the buffer never holds more; the completed
 * messages are exactly what a reference model of the fragment header rules gives; and afterwards a genuine
 * fragmented message ({@link OutboundMessage}) in the next frames completes exactly.
 *
 * <p>{@link #radioEnvelope}: {@link RadioEnvelope#decode} against a receiver context that knows static entries and
 * the addresses it sent gives a message or {@link FrameFormatException}, nothing else; a refused envelope leaves the
 * context as it was (what it learned); a decoded message's plain form decodes to the same message.
 *
 * <p>Seeds: {@code FragmentFuzzTestInputs/<method>/}, written by {@link #writeSeeds()} from the real encoders.
 */
class FragmentFuzzTest {
    static final FuzzTarget REASSEMBLE = FuzzTarget.named("lora FragmentFuzzTest#reassemble");
    static final FuzzTarget RADIO = FuzzTarget.named("lora FragmentFuzzTest#radioEnvelope");
    static final int MAX_MESSAGE = 600;
    static final long TIMEOUT = 20_000_000_000L;
    static final List<Address> STATICS = List.of(Address.local("api"), Address.tcp("10.0.0.5:4000"),
            Address.of(Address.LORA, new byte[] {0x70, (byte) 0xB3, (byte) 0xD5, 0x7E, (byte) 0xD0, 0, 0, 1}));

    @BeforeAll
    static void warmUp() throws Exception {
        FragmentFuzzTest t = new FragmentFuzzTest();
        FuzzTarget.warmUp(() -> seeds("reassemble").values().forEach(t::reassemble),
                () -> seeds("radioEnvelope").values().forEach(t::radioEnvelope), () -> t.radioEnvelope(new byte[] {0x7e}));
    }

    @AfterAll
    static void report() {
        REASSEMBLE.print();
        RADIO.print();
    }

    @FuzzTest
    void reassemble(byte[] input) {
        List<String> counted = new ArrayList<>();
        Reassembler r = new Reassembler(MAX_MESSAGE, TIMEOUT, counted::add);
        Model model = new Model();
        long fcnt = 0;
        long now = 0;
        int p = 0;
        while (p + 3 <= input.length) {
            fcnt += input[p] & 0x03; // 0: a repeated counter, 1: the next frame, 2-3: frames lost
            now += (input[p + 1] & 0xff) * 1_000_000_000L;
            int len = Math.min(input[p + 2] & 0xff, input.length - p - 3);
            byte[] payload = java.util.Arrays.copyOfRange(input, p + 3, p + 3 + len);
            p += 3 + len;
            long mark = FuzzTarget.allocated();
            byte[] out = r.accept(fcnt, payload, now);
            REASSEMBLE.within(mark, 4L * MAX_MESSAGE + 16 * 1024);
            byte[] expected = model.accept(fcnt, payload, now);
            assertThat(out).as("frame %d at fcnt %d", counted.size(), fcnt).isEqualTo(expected);
            assertThat(r.bufferedBytes()).isBetween(0, MAX_MESSAGE);
            if (out != null) {
                assertThat(out.length).isLessThanOrEqualTo(MAX_MESSAGE);
            }
        }
        // a genuine message in the following frames
        byte[] message = new byte[150];
        for (int i = 0; i < message.length; i++) {
            message[i] = (byte) i;
        }
        message[0] = RadioEnvelope.PLAIN;
        OutboundMessage m = new OutboundMessage(message, now);
        byte[] whole = null;
        while (!m.done()) {
            byte[] got = r.accept(++fcnt, m.nextFrame(51), now);
            if (got != null) {
                whole = got;
            }
        }
        assertThat(whole).isEqualTo(message);
        REASSEMBLE.accepted();
    }

    /** The fragment rules of docs/lora.md, written out plainly. */
    static final class Model {
        ByteArrayOutputStream buf;
        long last = -1;
        int next;
        long started;

        byte[] accept(long fcnt, byte[] payload, long now) {
            if (buf != null && now - started >= TIMEOUT) {
                buf = null;
            }
            if (payload.length == 0) {
                buf = null;
                return null;
            }
            int h = payload[0] & 0xff;
            if ((h & 0x80) == 0) {
                buf = null;
                last = fcnt;
                return payload;
            }
            int index = h & 0x3f;
            boolean end = (h & 0x40) != 0;
            if (buf != null && (fcnt != last + 1 || index != next)) {
                buf = null;
            }
            last = fcnt;
            if (buf == null) {
                if (index != 0) {
                    return null;
                }
                buf = new ByteArrayOutputStream();
                next = 0;
                started = now;
            }
            if (buf.size() + payload.length - 1 > MAX_MESSAGE) {
                buf = null;
                return null;
            }
            buf.write(payload, 1, payload.length - 1);
            next++;
            if (end) {
                byte[] whole = buf.toByteArray();
                buf = null;
                return whole;
            }
            return null;
        }
    }

    @FuzzTest
    void radioEnvelope(byte[] input) {
        RouteContext ctx = receiver();
        int learned = ctx.learnedEntries();
        long mark = FuzzTarget.allocated();
        Message m;
        try {
            m = RadioEnvelope.decode(input, ctx);
        } catch (FrameFormatException refused) {
            RADIO.refused(mark, 64L * input.length + 64 * 1024);
            assertThat(ctx.learnedEntries()).as("a refused envelope teaches nothing").isEqualTo(learned);
            return;
        }
        RADIO.accepted(mark, 64L * input.length + 64 * 1024);
        assertThat(m.onwardRoute().size()).isLessThanOrEqualTo(Route.MAX_HOPS);
        assertThat(m.returnRoute().size()).isLessThanOrEqualTo(Route.MAX_HOPS);
        byte[] plain = RadioEnvelope.encodePlain(m);
        try {
            Message back = Envelope.decode(plain);
            assertThat(back.onwardRoute()).isEqualTo(m.onwardRoute());
            assertThat(back.returnRoute()).isEqualTo(m.returnRoute());
            assertThat(back.payload()).isEqualTo(m.payload());
        } catch (MalformedMessageException e) {
            throw new AssertionError("the plain form of a decoded radio envelope does not decode", e);
        }
        // and the compact form, between a fresh pair of contexts, gives the same message
        RouteContext sender = new RouteContext(STATICS, true);
        RouteContext receiver = new RouteContext(STATICS, true);
        try {
            Message again = RadioEnvelope.decode(RadioEnvelope.encode(m, sender), receiver);
            assertThat(again.onwardRoute()).isEqualTo(m.onwardRoute());
            assertThat(again.returnRoute()).isEqualTo(m.returnRoute());
            assertThat(again.payload()).isEqualTo(m.payload());
        } catch (FrameFormatException e) {
            throw new AssertionError("the compact form of a decoded radio envelope does not decode: " + e.getMessage(), e);
        }
    }

    /** A gateway-side context that has sent a few addresses (so back-references resolve). */
    static RouteContext receiver() {
        RouteContext ctx = new RouteContext(STATICS, true);
        RadioEnvelope.encode(new Message(Route.parse("/tcp/10.0.0.9:5000/service/c7x2qa"), Route.parse("/service/abc"),
                new byte[] {1}), ctx);
        return ctx;
    }

    static Map<String, byte[]> seeds(String method) {
        Map<String, byte[]> out = new LinkedHashMap<>();
        if (method.equals("reassemble")) {
            byte[] env = new byte[130];
            env[0] = RadioEnvelope.PLAIN;
            for (int i = 1; i < env.length; i++) {
                env[i] = (byte) (i * 3);
            }
            OutboundMessage m = new OutboundMessage(env, 0);
            ByteArrayOutputStream s = new ByteArrayOutputStream();
            while (!m.done()) {
                byte[] f = m.nextFrame(51);
                s.write(1);
                s.write(1);
                s.write(f.length);
                s.writeBytes(f);
            }
            out.put("one-message-in-51-byte-frames", s.toByteArray());
            byte[] all = s.toByteArray();
            ByteArrayOutputStream lost = new ByteArrayOutputStream();
            lost.writeBytes(all);
            lost.write(2); // a frame lost in the middle of the next message
            lost.write(0);
            lost.write(3);
            lost.writeBytes(new byte[] {(byte) 0x81, 9, 9});
            out.put("then-an-orphan", lost.toByteArray());
            out.put("unfragmented", new byte[] {1, 0, 4, 0x01, 0, 0, 7});
        } else {
            RouteContext sender = new RouteContext(STATICS, true);
            // what the device sends after it learned what the gateway sent (mirrors receiver())
            try {
                RadioEnvelope.decode(RadioEnvelope.encode(new Message(Route.parse("/tcp/10.0.0.9:5000/service/c7x2qa"),
                        Route.parse("/service/abc"), new byte[] {1}), receiver()), sender);
            } catch (FrameFormatException e) {
                throw new AssertionError(e);
            }
            out.put("compact-references", RadioEnvelope.encode(new Message(Route.parse("/service/abc/service/api"),
                    Route.parse("/tcp/10.0.0.9:5000/service/c7x2qa"), new byte[] {0x40, 0, 9}), sender));
            out.put("compact-statics", RadioEnvelope.encode(new Message(Route.parse("/service/api/service/echo"),
                    Route.parse("/lora/70B3D57ED0000001/service/c1"), new byte[] {0x10, 1, 2}), new RouteContext(STATICS, true)));
            out.put("compact-tcp4", RadioEnvelope.encode(new Message(Route.parse("/tcp/192.168.7.1:4000/udp/10.1.1.1:1700/t200/x"),
                    Route.EMPTY, new byte[0]), new RouteContext(STATICS, true)));
            out.put("plain", RadioEnvelope.encodePlain(new Message(Route.parse("/service/api"), Route.parse("/serial/s1"),
                    new byte[] {0x20})));
        }
        return out;
    }

    @Test
    @EnabledIfSystemProperty(named = "fuzz.writeSeeds", matches = "true")
    void writeSeeds() {
        for (String m : new String[] {"reassemble", "radioEnvelope"}) {
            seeds(m).forEach((name, bytes) -> FuzzSeeds.write(FragmentFuzzTest.class, m, name, bytes));
        }
    }
}
