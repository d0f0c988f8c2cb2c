package io.hopseal.impl.component;

import static io.hopseal.impl.component.ComponentTestSupport.NO_STORE;
import static io.hopseal.impl.component.ComponentTestSupport.typed;
import static io.hopseal.testsupport.Logs.logsOf;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.hopseal.api.routing.Address;
import io.hopseal.api.routing.Message;
import io.hopseal.api.routing.Route;
import io.hopseal.api.routing.SendResult;
import io.hopseal.api.transport.InboundSink;
import io.hopseal.api.transport.Transport;
import io.hopseal.impl.routing.ForwardPolicy;
import io.hopseal.support.LastGoodConfigs;

/** The router's forwarding allow list as DS drives it (plain objects, no framework). */
class RouterComponentTest {
    /** A TCP transport that records where it was asked to send. */
    static final class Recording implements Transport {
        final List<Address> sentTo = new ArrayList<>();
        InboundSink sink;

        public int addressType() { return Address.TCP; }
        public String name() { return "recording"; }
        public void attach(InboundSink s) { sink = s; }
        public void detach(InboundSink s) { if (sink == s) { sink = null; } }
        public int linkHeadroom() { return 0; }
        public SendResult send(Address nextHop, Message m) { sentTo.add(nextHop); return SendResult.FORWARDED; }
        public Map<String, Long> counters() { return Map.of(); }
    }

    private static Map<String, Object> stored(String... allow) {
        return Map.of("service.pid", RouterComponent.PID, "forward.allow", allow);
    }

    private static RouterComponent.Config config(Map<String, Object> properties) {
        return typed(RouterComponent.Config.class, properties);
    }

    /** What a transport hands the router: a message from a neighbour on its link. */
    private static SendResult fromLink(Recording t, String to) {
        return t.sink.deliver(new Message(Route.parse(to), Route.parse("/tcp/10.9.9.9:50000"), new byte[] {1}));
    }

    /** As SCR builds it: constructor (with the configuration), then the transports are bound. */
    private static RouterComponent start(LastGoodConfigs store, Map<String, Object> properties, Recording t) {
        RouterComponent c = new RouterComponent(store, config(properties), properties);
        c.bindTransport(t);
        return c;
    }

    @Test
    void aFreshRouterForwardsNothingFromLinks() {
        Recording t = new Recording();
        RouterComponent c = start(NO_STORE, Map.of("service.pid", RouterComponent.PID), t);
        assertThat(c.forwardPolicy()).isSameAs(ForwardPolicy.DENY_ALL);
        assertThat(fromLink(t, "/tcp/127.0.0.1:16001")).isEqualTo(SendResult.DROPPED_FORWARD_DENIED);
        assertThat(fromLink(t, "/tcp/127.0.0.1:16001")).isEqualTo(SendResult.DROPPED_FORWARD_DENIED);
        assertThat(t.sentTo).isEmpty();
        assertThat(c.counters()).containsEntry("drop.forward_denied", 2L);
        assertThat(c.send(Message.to(Route.parse("/tcp/127.0.0.1:16001"), new byte[1])))
                .as("the node's own messages are not restricted").isEqualTo(SendResult.FORWARDED);
    }

    @Test
    void aChangedListAppliesWithoutARestartAndABadOneKeepsTheLastGoodList(@TempDir Path dir) {
        LastGoodConfigs store = new LastGoodConfigs(dir);
        Recording t = new Recording();
        RouterComponent c = start(store, stored("tcp:127.0.0.1:5000"), t);
        assertThat(fromLink(t, "/tcp/127.0.0.1:5000")).isEqualTo(SendResult.FORWARDED);
        assertThat(fromLink(t, "/tcp/127.0.0.1:6000")).isEqualTo(SendResult.DROPPED_FORWARD_DENIED);

        c.modified(config(stored("tcp:127.0.0.1:6000", "serial:*")), stored("tcp:127.0.0.1:6000", "serial:*"));
        assertThat(t.sink).as("the same router, the transport still bound").isNotNull();
        assertThat(fromLink(t, "/tcp/127.0.0.1:6000")).isEqualTo(SendResult.FORWARDED);
        assertThat(fromLink(t, "/tcp/127.0.0.1:5000")).isEqualTo(SendResult.DROPPED_FORWARD_DENIED);

        String log = logsOf(() -> c.modified(config(stored("tcp:127.0.0.1:6000", "tcp:10.0.0.5")),
                stored("tcp:127.0.0.1:6000", "tcp:10.0.0.5")));
        assertThat(log).contains("configuration refused, forward.allow: 'tcp:10.0.0.5' needs a port")
                .contains("the previous configuration stays in force (forward from links to tcp:127.0.0.1:6000, serial:*)");
        assertThat(fromLink(t, "/tcp/127.0.0.1:6000")).isEqualTo(SendResult.FORWARDED);

        // emptied (or the configuration deleted): deny all again
        c.modified(config(Map.of("service.pid", RouterComponent.PID)), Map.of("service.pid", RouterComponent.PID));
        assertThat(fromLink(t, "/tcp/127.0.0.1:6000")).isEqualTo(SendResult.DROPPED_FORWARD_DENIED);
        c.modified(config(stored("tcp:127.0.0.1:6000")), stored("tcp:127.0.0.1:6000"));
        c.deactivate();

        // a restart with an invalid stored list runs on the last good one, and says so
        Recording t2 = new Recording();
        String startLog = logsOf(() -> start(store, stored("tcp:*.*:1"), t2));
        assertThat(startLog).contains("stored configuration refused, forward.allow: 'tcp:*.*:1'")
                .contains("using the last good configuration (forward from links to tcp:127.0.0.1:6000)");
        assertThat(fromLink(t2, "/tcp/127.0.0.1:6000")).isEqualTo(SendResult.FORWARDED);

        // without a last good one: deny all
        Recording t3 = new Recording();
        String bareLog = logsOf(() -> start(NO_STORE, stored("bogus"), t3));
        assertThat(bareLog).contains("forwarding nothing from links until it is corrected");
        assertThat(fromLink(t3, "/tcp/127.0.0.1:6000")).isEqualTo(SendResult.DROPPED_FORWARD_DENIED);
    }

    @Test
    void aDeactivatedRouterTakesNothingNewButFinishesWhatItIsRouting() {
        Recording t = new Recording();
        RouterComponent c = start(NO_STORE, stored("tcp:127.0.0.1:5000"), t);
        InboundSink sink = t.sink;
        c.deactivate();
        c.unbindTransport(t); // SCR unbinds after deactivating
        assertThat(t.sink).as("detached: nothing new comes in").isNull();
        // a reader thread that was already inside the old router when it was deactivated
        assertThat(sink.deliver(new Message(Route.parse("/tcp/127.0.0.1:5000"), Route.parse("/tcp/10.9.9.9:1"),
                new byte[1]))).isEqualTo(SendResult.FORWARDED);
        assertThat(t.sentTo).containsExactly(Address.tcp("127.0.0.1:5000"));
    }

    @Test
    void aSingleStringWithSeveralEntriesIsAcceptedAsAList() {
        Map<String, Object> props = Map.of("service.pid", RouterComponent.PID, "forward.allow", "tcp:a.example:1, tcp:b.example:2");
        RouterComponent c = start(NO_STORE, props, new Recording());
        assertThat(c.forwardPolicy().patterns()).containsExactly("tcp:a.example:1", "tcp:b.example:2");
    }
}
