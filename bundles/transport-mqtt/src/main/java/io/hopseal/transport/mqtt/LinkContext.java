package io.hopseal.transport.mqtt;

import java.util.concurrent.ScheduledExecutorService;

import io.hopseal.api.routing.Address;
import io.hopseal.api.routing.Message;
import io.hopseal.api.routing.Route;
import io.hopseal.api.transport.Counters;
import io.hopseal.api.transport.Envelope;
import io.hopseal.api.transport.InboundPort;
import io.hopseal.api.transport.MalformedMessageException;

/**
 * What a {@link BrokerLink} shares with its transport: the counters, the timer thread and the inbound path. Every
 * received MQTT message goes through {@link #receive}, whatever client brought it; its bytes are hostile.
 */
public final class LinkContext {
    private final Counters counters;
    private final InboundPort port;
    private final ScheduledExecutorService timer;
    /** Where each link's messages came in, by link name (the link's configuration names it; absent: not named). */
    private final java.util.concurrent.ConcurrentHashMap<String, io.hopseal.api.transport.Ingress> ingresses =
            new java.util.concurrent.ConcurrentHashMap<>();

    LinkContext(Counters counters, InboundPort port, ScheduledExecutorService timer) {
        this.counters = counters;
        this.port = port;
        this.timer = timer;
    }

    public Counters counters() {
        return counters;
    }

    /** Names the ingress of link {@code link}'s messages (null: not named); applies to the next message. */
    void ingress(String link, io.hopseal.api.transport.Ingress in) {
        if (in == null) {
            ingresses.remove(link);
        } else {
            ingresses.put(link, in);
        }
    }

    public ScheduledExecutorService timer() {
        return timer;
    }

    /**
     * Takes one received MQTT message of the link {@code link}: a retained message (a stale frame the broker replays
     * to every new subscriber), a topic that names no valid sender or a payload that is no envelope is dropped and
     * counted; otherwise the message goes to the router with {@code /mqtt/<link>:<sender>} in front of its return
     * route. Never throws for what a peer sent.
     */
    public void receive(String link, MqttTopics topics, String topic, byte[] payload, boolean retained) {
        receive(link, topics, null, topic, payload, retained);
    }

    /** The same, putting fragments back together with {@code fragments} (null: fragments are malformed). */
    public void receive(String link, MqttTopics topics, LinkFragments fragments, String topic, byte[] payload,
            boolean retained) {
        try {
            if (retained) {
                counters.increment("drop.retained");
                return;
            }
            String src = topics.sender(topic);
            if (src == null || payload == null) {
                counters.increment("drop.bad_topic");
                return;
            }
            byte[] frame = fragments == null ? payload : fragments.accept(src, payload);
            if (frame == null) {
                return; // a fragment of a message still incomplete (or dropped and counted by the reassembler)
            }
            Message m;
            try {
                m = Envelope.decode(frame, 0, frame.length);
            } catch (MalformedMessageException | RuntimeException e) {
                counters.increment("drop.malformed");
                return;
            }
            counters.increment("messages.in");
            counters.add("bytes.in", frame.length);
            Route back;
            try {
                back = m.returnRoute().prepend(Address.of(Address.MQTT, MqttTopics.addressValue(link, src)));
            } catch (IllegalArgumentException e) {
                counters.increment("drop.route_too_long");
                return;
            }
            port.deliver(m.withReturnRoute(back), ingresses.get(link));
        } catch (VirtualMachineError e) {
            throw e;
        } catch (Throwable e) { // NOPMD: nothing a peer sends may end the client's callback thread
            counters.increment(InboundPort.DROP_ROUTER_EXCEPTION);
        }
    }
}
