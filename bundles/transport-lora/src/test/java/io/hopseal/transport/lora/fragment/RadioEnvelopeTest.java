package io.hopseal.transport.lora.fragment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HexFormat;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.Test;

import io.hopseal.api.routing.Address;
import io.hopseal.api.routing.Message;
import io.hopseal.api.routing.Route;
import io.hopseal.api.transport.Envelope;

class RadioEnvelopeTest {
    static final Route TO_API = Route.parse("/tcp/10.0.0.5:4000/service/api");
    static final Address DEV_CHAN = Address.local("cabcde");
    static final Address BACKEND_CHAN = Address.local("cvwxyz");

    @Test
    void compactEncodingIsSmallAndExact() throws Exception {
        RouteContext dev = new RouteContext();
        RouteContext gw = new RouteContext();
        Message m1 = new Message(TO_API, Route.of(DEV_CHAN), new byte[33]);
        byte[] e1 = RadioEnvelope.encode(m1, dev);
        // header 1 + tcp ipv4 (1+6) + "api" (1+3) + "cabcde" (1+6) = 19, plus payload
        assertThat(e1).hasSize(19 + 33);
        assertThat(HexFormat.of().formatHex(e1, 0, 19)).isEqualTo("2" + "2" + "e00a0000050fa0" + "03617069" + "06636162636465");
        assertThat(RadioEnvelope.decode(e1, gw)).isEqualTo(m1);
        assertThat(Envelope.encodedLength(m1) - 33).isEqualTo(1 + 1 + 2 + 13 + 2 + 3 + 1 + 2 + 6);

        // the reply uses back-references for what the device sent
        Message m2 = new Message(Route.of(DEV_CHAN), Route.parse("/tcp/10.0.0.5:4000").append(BACKEND_CHAN), new byte[198]);
        byte[] e2 = RadioEnvelope.encode(m2, gw);
        assertThat(e2).hasSize(1 + 2 + 2 + 7 + 198);
        assertThat(RadioEnvelope.decode(e2, dev)).isEqualTo(m2);

        // and now both directions are compact
        Message m3 = new Message(Route.parse("/tcp/10.0.0.5:4000").append(BACKEND_CHAN), Route.of(DEV_CHAN), new byte[166]);
        byte[] e3 = RadioEnvelope.encode(m3, dev);
        assertThat(e3).hasSize(1 + 2 + 2 + 2 + 166);
        assertThat(RadioEnvelope.decode(e3, gw)).isEqualTo(m3);
    }

    @Test
    void staticContextEntriesTakeOneByte() throws Exception {
        List<Address> statics = List.of(Address.tcp("backend.example.com:4000"), Address.local("api"));
        RouteContext dev = new RouteContext(statics, true);
        RouteContext gw = new RouteContext(statics, true);
        Message m = new Message(Route.parse("/tcp/backend.example.com:4000/service/api"), Route.of(DEV_CHAN), new byte[33]);
        byte[] e = RadioEnvelope.encode(m, dev);
        assertThat(e).hasSize(1 + 1 + 1 + 7 + 33);
        assertThat(e[1]).isEqualTo((byte) 0xC0);
        assertThat(e[2]).isEqualTo((byte) 0xC1);
        assertThat(RadioEnvelope.decode(e, gw)).isEqualTo(m);
        // an entry the receiver does not have is refused
        assertThatThrownBy(() -> RadioEnvelope.decode(e, new RouteContext(List.of(statics.get(0)), true)))
                .isInstanceOf(FrameFormatException.class).hasMessageContaining("static");
    }

    @Test
    void everyAddressFormRoundTrips() throws Exception {
        List<Address> addrs = List.of(Address.local("x"), Address.local("a".repeat(63)), Address.local("b".repeat(64)),
                Address.tcp("[::1]:4000"), Address.tcp("10.0.0.5:04000"), Address.tcp("010.0.0.5:4000"),
                Address.tcp("255.255.255.255:65535"), Address.of(Address.UDP, "1.2.3.4:5"), Address.of(Address.LORA, "70B3D57ED0000001"),
                Address.of(Address.MEMORY, "backend"), Address.of(200, new byte[255]), Address.of(Address.SERIAL, "ttyUSB0"));
        RouteContext a = new RouteContext(List.of(), false);
        RouteContext b = new RouteContext(List.of(), false);
        Message m = new Message(Route.of(addrs.subList(0, 7)), Route.of(addrs.subList(7, addrs.size())), new byte[] {9});
        assertThat(RadioEnvelope.decode(RadioEnvelope.encode(m, a), b)).isEqualTo(m);
        // canonical IPv4 gets the 6-byte form only when the text round-trips exactly
        assertThat(RadioEnvelope.ipv4HostPort("10.0.0.5:4000".getBytes())).hasSize(6);
        assertThat(RadioEnvelope.ipv4HostPort("10.0.0.5:04000".getBytes())).isNull();
        assertThat(RadioEnvelope.ipv4HostPort("10.0.0.256:4000".getBytes())).isNull();
        assertThat(RadioEnvelope.ipv4HostPort("10.0.0.5:0".getBytes())).isNull();
        assertThat(RadioEnvelope.ipv4HostPort("host:4000".getBytes())).isNull();
    }

    @Test
    void aPayloadViewIsEncodedAsExactlyItsOwnBytes() throws Exception {
        // a message whose body is a view into a larger array (an opened frame, a pooled buffer) carries only the view
        byte[] frame = {1, 2, 3, 10, 11, 12, 13, 4, 5};
        Message view = new Message(Route.of(Address.local("svc")), Route.of(Address.tcp("10.0.0.5:4000")),
                new io.hopseal.api.routing.Payload(frame, 3, 4, 3));
        Message copy = new Message(view.onwardRoute(), view.returnRoute(), new byte[] {10, 11, 12, 13});
        byte[] e = RadioEnvelope.encode(view, new RouteContext(List.of(), false));
        assertThat(e).isEqualTo(RadioEnvelope.encode(copy, new RouteContext(List.of(), false)));
        assertThat(RadioEnvelope.decode(e, new RouteContext(List.of(), false)).payload()).containsExactly(10, 11, 12, 13);
    }

    @Test
    void longRoutesUseCountBytes() throws Exception {
        Address[] hops = new Address[32];
        for (int i = 0; i < 32; i++) {
            hops[i] = Address.local("h" + i);
        }
        Message m = new Message(Route.of(hops), Route.of(List.of(hops).subList(0, 7)), new byte[0]);
        byte[] e = RadioEnvelope.encode(m, new RouteContext());
        assertThat(e[0] & 0xff).isEqualTo(0x7E);
        assertThat(RadioEnvelope.decode(e, new RouteContext())).isEqualTo(m);
    }

    @Test
    void plainEnvelopesAreAcceptedAsIs() throws Exception {
        Message m = new Message(TO_API, Route.of(DEV_CHAN), new byte[] {1, 2, 3});
        byte[] plain = RadioEnvelope.encodePlain(m);
        assertThat(plain[0]).isEqualTo((byte) 1);
        assertThat(RadioEnvelope.decode(plain, new RouteContext())).isEqualTo(m);
    }

    @Test
    void malformedInputIsRefusedNeverMisread() {
        for (String hex : List.of("", "80", "03", "21", "2000", "20ff", "20ff0000", "2040", "20e0010203", "20e00a00000500"
                + "00", "20c5", "20e5", "7e", "7e21", "0140")) {
            byte[] b = HexFormat.of().parseHex(hex);
            assertThatThrownBy(() -> RadioEnvelope.decode(b, new RouteContext())).as(hex)
                    .isInstanceOf(FrameFormatException.class);
        }
        Random r = new Random(3);
        for (int i = 0; i < 20_000; i++) {
            byte[] b = new byte[r.nextInt(40)];
            r.nextBytes(b);
            try {
                RadioEnvelope.decode(b, new RouteContext());
            } catch (FrameFormatException e) {
                // fine: refused
            }
        }
    }

    @Test
    void referencesTheReceiverCannotResolveExactlyAreRefused() throws Exception {
        RouteContext dev = new RouteContext();
        RouteContext gw = new RouteContext();
        // gw learns DEV_CHAN from the device
        RadioEnvelope.decode(RadioEnvelope.encode(new Message(Route.EMPTY, Route.of(DEV_CHAN), new byte[0]), dev), gw);
        byte[] ref = RadioEnvelope.encode(new Message(Route.of(DEV_CHAN), Route.EMPTY, new byte[0]), gw);
        assertThat(ref).hasSize(3);
        // a device that never sent DEV_CHAN (restarted) refuses the reference
        assertThatThrownBy(() -> RadioEnvelope.decode(ref, new RouteContext()))
                .isInstanceOf(FrameFormatException.class)
                .extracting(e -> ((FrameFormatException) e).reason()).isEqualTo(FrameFormatException.Reason.ROUTE_REFERENCE);
        assertThat(RadioEnvelope.decode(ref, dev).onwardRoute().first()).isEqualTo(DEV_CHAN);
        // after the device sent 40 other addresses, DEV_CHAN was evicted: refused, not resolved to another address
        for (int i = 0; i < 40; i++) {
            RadioEnvelope.encode(new Message(Route.of(Address.local("other" + i)), Route.EMPTY, new byte[0]), dev);
        }
        assertThatThrownBy(() -> RadioEnvelope.decode(ref, dev)).isInstanceOf(FrameFormatException.class);
        assertThat(dev.learnedEntries()).isLessThanOrEqualTo(RouteContext.MINE_CAPACITY + RouteContext.THEIRS_CAPACITY
                + RouteContext.TOMBSTONE_CAPACITY);
    }

    @Test
    void twoOwnAddressesWithTheSameTagMakeTheTagAmbiguous() throws Exception {
        // find two local names whose 14-bit tags collide
        java.util.Map<Integer, Address> seen = new java.util.HashMap<>();
        Address a = null;
        Address b = null;
        for (int i = 0; a == null; i++) {
            Address x = Address.local("n" + i);
            Address prev = seen.putIfAbsent(RouteContext.tag(x), x);
            if (prev != null) {
                a = prev;
                b = x;
            }
        }
        RouteContext dev = new RouteContext();
        RouteContext gw = new RouteContext();
        RadioEnvelope.decode(RadioEnvelope.encode(new Message(Route.EMPTY, Route.of(a, b), new byte[0]), dev), gw);
        byte[] ref = RadioEnvelope.encode(new Message(Route.of(a), Route.EMPTY, new byte[0]), gw);
        assertThat(ref).hasSize(3);
        assertThatThrownBy(() -> RadioEnvelope.decode(ref, dev)).hasMessageContaining("ambiguous");
    }
}
