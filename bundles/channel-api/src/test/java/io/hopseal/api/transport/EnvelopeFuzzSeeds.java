package io.hopseal.api.transport;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.hopseal.api.routing.Address;
import io.hopseal.api.routing.Message;
import io.hopseal.api.routing.Route;
import io.hopseal.api.routing.RouteFuzzTest;
import io.hopseal.testsupport.FuzzSeeds;

/**
 * Seed inputs for the channel-api fuzz targets ({@link EnvelopeFuzzTest}, {@code RouteFuzzTest}), made by the real
 * encoders. Regenerate with {@code -Dtest='*FuzzTest#writeSeeds' -Dfuzz.writeSeeds=true} (README, "Fuzzing") and
 * commit the files under src/test/resources.
 */
final class EnvelopeFuzzSeeds {

    static final String[] ROUTES = {
            "/tcp/10.0.0.5:4000/secure/api/service/echo",
            "/zigbee/0013A20040A1B2C3/serial/%2Fdev%2FttyUSB0/lora/70b3d57ed0000001",
            "/tcp/[::1]:4000/tcp/backend.example:5000/secure/api",
            "/mem/backend/service/c7x2qa",
            "/udp/10.1.2.3:1700/t200/x/worker/relays/service/forward_to_gw-1",
            "/serial/ttyUSB0/service/%25%20%7F",
            "/",
    };

    static Map<String, byte[]> envelopes() {
        Map<String, byte[]> out = new LinkedHashMap<>();
        byte[] message1 = new byte[33];
        message1[0] = 0x10;
        out.put("empty-routes-empty-payload", Envelope.encode(new Message(Route.EMPTY, Route.EMPTY, new byte[0])));
        out.put("handshake-message1-at-backend", Envelope.encode(new Message(Route.parse("/service/api"),
                Route.parse("/tcp/192.168.1.20:40312/serial/dev-7/service/c7x2qa"), message1)));
        out.put("data-to-gateway", Envelope.encode(new Message(Route.parse("/tcp/10.0.0.5:4000/secure/api/service/echo"),
                Route.parse("/service/c12ab"), "hello".getBytes(StandardCharsets.UTF_8))));
        out.put("radio-hops", Envelope.encode(new Message(Route.parse(ROUTES[1]), Route.parse("/lora/70B3D57ED0000002"),
                new byte[] {0x40, 0, 1, 2, 3})));
        List<Address> many = new ArrayList<>();
        for (int i = 0; i < Route.MAX_HOPS; i++) {
            many.add(Address.of(i * 8, new byte[] {(byte) i}));
        }
        out.put("max-hops-both-ways", Envelope.encode(new Message(Route.of(many), Route.of(many), new byte[] {7})));
        byte[] longValue = new byte[Address.MAX_VALUE_LENGTH];
        for (int i = 0; i < longValue.length; i++) {
            longValue[i] = (byte) i;
        }
        out.put("longest-value", Envelope.encode(new Message(Route.of(Address.of(255, longValue)), Route.EMPTY, new byte[0])));
        return out;
    }

    static List<byte[]> seeds() {
        return new ArrayList<>(envelopes().values());
    }

    /** Writes every channel-api seed (run through {@code EnvelopeFuzzTest#writeSeeds}). */
    static void write() {
        envelopes().forEach((name, bytes) -> FuzzSeeds.write(EnvelopeFuzzTest.class, "decode", name, bytes));
        for (int i = 0; i < ROUTES.length; i++) {
            byte[] text = ROUTES[i].getBytes(StandardCharsets.UTF_8);
            FuzzSeeds.write(RouteFuzzTest.class, "parse", "route-" + i, text);
        }
        int i = 0;
        for (byte[] e : envelopes().values()) {
            // the wire form of a route: the onward route of each envelope, from its count byte on
            try {
                Route r = Envelope.decode(e).onwardRoute();
                byte[] wire = new byte[Envelope.routeLength(r)];
                Envelope.writeRoute(r, wire, 0);
                FuzzSeeds.write(RouteFuzzTest.class, "wireRouteToText", "wire-route-" + i++, wire);
            } catch (MalformedMessageException ex) {
                throw new AssertionError(ex);
            }
        }
    }
}
