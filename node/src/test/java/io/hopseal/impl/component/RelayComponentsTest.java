package io.hopseal.impl.component;

import static io.hopseal.testsupport.Await.until;
import static io.hopseal.testsupport.Logs.logsOf;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.hopseal.api.channel.ChannelOptions;
import io.hopseal.api.channel.ListenerOptions;
import io.hopseal.api.channel.SecureChannel;
import io.hopseal.api.routing.Address;
import io.hopseal.api.routing.Message;
import io.hopseal.impl.memory.MemoryNetwork;
import io.hopseal.node.HopsealNode;

/** The relay components as DS drives them: a relay node, a gateway nobody can dial, a backend reaching it by name. */
class RelayComponentsTest {
    MemoryNetwork net;
    HopsealNode relay;
    HopsealNode gateway;
    HopsealNode backend;
    RelaysComponent relays;
    RelayRegistrationComponent registration;

    @BeforeEach
    void setUp() {
        net = new MemoryNetwork();
        relay = HopsealNode.builder().memory(net, "relay").build();
        gateway = HopsealNode.builder().memory(net, "gw").build();
        backend = HopsealNode.builder().memory(net, "backend").build();
        relay.channels().listen("api", ListenerOptions.defaults());
        gateway.channels().listen("api", ListenerOptions.defaults());
        gateway.service("echo", (m, ctx) -> ctx.reply(m, m.payload()));
        // nothing dials the gateway
        net.setInterceptor((from, to, frame) -> to.equals("gw") && !from.equals("relay") ? List.of() : List.of(frame));
    }

    @AfterEach
    void tearDown() {
        if (registration != null) {
            registration.deactivate();
        }
        if (relays != null) {
            relays.deactivate();
        }
        backend.close();
        gateway.close();
        relay.close();
        net.close();
    }

    private static Map<String, Object> relaysConfig(boolean enabled, int ttl) {
        return new HashMap<>(Map.of("service.pid", RelaysComponent.PID, "enabled", enabled, "ttl.s", ttl));
    }

    private static Map<String, Object> registrationConfig(String name) {
        return new HashMap<>(Map.of("service.pid", RelayRegistrationComponent.PID + ".1", "relay.route",
                "/mem/relay/secure/api", "name", name, "refresh.s", 5, "keepalive.s", 0));
    }


    private String echoThroughRelay(String name, String text) throws Exception {
        SecureChannel ch = backend.channels().connect("/mem/relay/service/forward_to_" + name + "/secure/api/service/echo",
                ChannelOptions.defaults().withExpectedPeer(gateway.identifier())).get(10, TimeUnit.SECONDS);
        try {
            ch.send(text.getBytes(UTF_8));
            Message m = ch.receive(Duration.ofSeconds(5));
            assertThat(m).isNotNull();
            return new String(m.payload(), UTF_8);
        } finally {
            ch.close();
        }
    }

    @Test
    void aGatewayRegisteredByConfigurationIsReachedByNameAndFollowsRenames() throws Exception {
        relays = new RelaysComponent(relay.router(), new io.hopseal.support.LastGoodConfigs(null), io.hopseal.support.PropertyTypes.of(RelaysComponent.Config.class,
                relaysConfig(true, 60)), relaysConfig(true, 60));
        Map<String, Object> props = registrationConfig("g1");
        registration = new RelayRegistrationComponent(gateway.channels(), gateway.router(), new io.hopseal.support.LastGoodConfigs(null),
                io.hopseal.support.PropertyTypes.of(RelayRegistrationComponent.Config.class, props), props);
        until("the gateway registered", Duration.ofSeconds(15), () -> registration.lastResult().startsWith("registered"));
        assertThat(registration.lastResult()).contains("/service/forward_to_g1").contains(relay.identifier().toString());
        assertThat(relays.relays().names()).containsEntry("g1", gateway.identifier());
        assertThat(echoThroughRelay("g1", "by name")).isEqualTo("by name");

        Map<String, Object> renamed = registrationConfig("g2");
        registration.modified(io.hopseal.support.PropertyTypes.of(RelayRegistrationComponent.Config.class, renamed), renamed);
        until("registered under the new name", Duration.ofSeconds(15), () -> relays.relays().names().containsKey("g2"));
        assertThat(echoThroughRelay("g2", "renamed")).isEqualTo("renamed");

        Map<String, Object> bad = registrationConfig("no spaces allowed");
        assertThat(logsOf(() -> registration.modified(io.hopseal.support.PropertyTypes.of(RelayRegistrationComponent.Config.class, bad), bad)))
                .contains("configuration refused, invalid name");
        assertThat(echoThroughRelay("g2", "still g2")).isEqualTo("still g2");
    }

    @Test
    void relaysAreOffUntilEnabledAndABadLifetimeIsRefusedByName() throws Exception {
        relays = new RelaysComponent(relay.router(), new io.hopseal.support.LastGoodConfigs(null), io.hopseal.support.PropertyTypes.of(RelaysComponent.Config.class,
                relaysConfig(false, 90)), relaysConfig(false, 90));
        assertThat(relays.relays()).isNull();
        assertThat(relay.router().localAddresses()).doesNotContain(Address.local("relays"));
        relays.modified(io.hopseal.support.PropertyTypes.of(RelaysComponent.Config.class, relaysConfig(true, 90)), relaysConfig(true, 90));
        assertThat(relay.router().localAddresses()).contains(Address.local("relays"));
        assertThat(logsOf(() -> relays.modified(io.hopseal.support.PropertyTypes.of(RelaysComponent.Config.class, relaysConfig(true, 5)),
                relaysConfig(true, 5)))).contains("configuration refused, invalid ttl.s");
        assertThat(relays.relays()).isNotNull();
        relays.modified(io.hopseal.support.PropertyTypes.of(RelaysComponent.Config.class, relaysConfig(false, 90)), relaysConfig(false, 90));
        assertThat(relay.router().localAddresses()).doesNotContain(Address.local("relays"));
    }
}
