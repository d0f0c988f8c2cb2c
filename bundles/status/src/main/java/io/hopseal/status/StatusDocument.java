package io.hopseal.status;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.osgi.framework.ServiceReference;

import io.hopseal.api.channel.SecureChannel;
import io.hopseal.api.channel.SecureChannelService;
import io.hopseal.api.routing.Address;
import io.hopseal.api.routing.Router;
import io.hopseal.api.transport.Transport;

/**
 * The JSON status document (shape in {@link StatusServlet}), independent of how it is served: the Jakarta servlet of
 * the embedded gateway and the JAX-RS resource of Kura ({@link io.hopseal.status.kura.KuraStatusResource}) both
 * return it. No secrets: no keys, no payloads, no passphrases.
 */
public final class StatusDocument {
    private static final String LISTENER_PREFIX = "listener.";

    private StatusDocument() {
    }

    /** The status document; parts whose service is null are {@code null}. */
    public static String render(Router router, SecureChannelService channels, ServiceReference<?> channelsRef) {
        Json j = new Json().beginObject();
        Map<String, Long> channelCounters = null;
        if (channels != null) {
            j.field("identity", channels.identity().identifier().toString());
            channelCounters = safeCounters(channels::counters);
            writeListeners(j, channelsRef, channelCounters);
            writeChannels(j, channels);
        } else {
            j.name("identity").nullValue();
            j.name("listeners").nullValue();
            j.name("channels").nullValue();
        }
        if (router != null) {
            List<Transport> transports = new ArrayList<>(router.transports());
            transports.sort(Comparator.comparingInt(Transport::addressType));
            j.name("routes").beginObject();
            j.name("local").beginArray();
            List<String> local = new ArrayList<>();
            for (Address a : router.localAddresses()) {
                local.add(a.toString());
            }
            local.sort(null);
            local.forEach(j::value);
            j.endArray();
            j.name("transports").beginArray();
            for (Transport t : transports) {
                j.beginObject().field("type", Address.typeName(t.addressType())).field("name", safeName(t)).endObject();
            }
            j.endArray().endObject();
            j.name("transports").beginArray();
            for (Transport t : transports) {
                j.beginObject().field("name", safeName(t)).field("type", Address.typeName(t.addressType()));
                String status;
                try {
                    status = t.status();
                } catch (RuntimeException e) {
                    status = "unavailable: " + e.getClass().getSimpleName();
                }
                j.field("status", status);
                j.counters("counters", safeCounters(t::counters));
                j.endObject();
            }
            j.endArray();
        } else {
            j.name("routes").nullValue();
            j.name("transports").nullValue();
        }
        j.name("counters").beginObject();
        if (router != null) {
            j.counters("router", safeCounters(router::counters));
        } else {
            j.name("router").nullValue();
        }
        if (channelCounters != null) {
            Map<String, Long> service = new TreeMap<>(channelCounters);
            service.keySet().removeIf(k -> k.startsWith(LISTENER_PREFIX));
            j.counters("channels", service);
        } else {
            j.name("channels").nullValue();
        }
        j.endObject();
        return j.endObject().toString();
    }

    private static void writeListeners(Json j, ServiceReference<?> ref, Map<String, Long> counters) {
        j.name("listeners").beginArray();
        Object name = ref == null ? null : ref.getProperty("listener.name");
        if (name instanceof String n && !n.isBlank()) {
            Address a = Address.local(n.strip());
            Object trust = ref.getProperty("trust");
            j.beginObject().field("address", a.toString()).field("route", "/secure/" + a.encodedValueText());
            j.field("trust", trust == null ? null : String.valueOf(trust));
            Map<String, Long> own = new TreeMap<>();
            String prefix = LISTENER_PREFIX + n.strip() + ".";
            counters.forEach((k, v) -> {
                if (k.startsWith(prefix)) {
                    own.put(k.substring(prefix.length()), v);
                }
            });
            j.counters("counters", own);
            j.endObject();
        }
        j.endArray();
    }

    private static void writeChannels(Json j, SecureChannelService channels) {
        List<SecureChannel> list = new ArrayList<>(channels.channels());
        list.sort(Comparator.comparing(c -> c.address().toString()));
        j.name("channels").beginArray();
        for (SecureChannel c : list) {
            j.beginObject().field("address", c.address().toString());
            String peer;
            try {
                peer = c.peer() == null ? null : c.peer().toString();
            } catch (RuntimeException handshaking) {
                peer = null;
            }
            j.field("peer", peer).field("state", String.valueOf(c.state())).field("initiator", c.isInitiator());
            j.field("protocol", c.protocolName()).field("peerRoute", String.valueOf(c.peerRoute()));
            j.counters("counters", safeCounters(c::counters));
            j.endObject();
        }
        j.endArray();
    }

    private static Map<String, Long> safeCounters(java.util.function.Supplier<Map<String, Long>> s) {
        try {
            return new TreeMap<>(s.get());
        } catch (RuntimeException e) {
            return Map.of();
        }
    }

    private static String safeName(Transport t) {
        try {
            return t.name();
        } catch (RuntimeException e) {
            return t.getClass().getSimpleName();
        }
    }
}
