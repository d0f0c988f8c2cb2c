package io.hopseal.impl.component;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Proxy;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.hopseal.api.channel.ChannelOptions;
import io.hopseal.api.channel.Resumption;
import io.hopseal.api.channel.SecureChannel;
import io.hopseal.api.routing.Address;
import io.hopseal.api.routing.Message;
import io.hopseal.impl.memory.MemoryNetwork;
import io.hopseal.impl.routing.DefaultRouter;
import io.hopseal.node.HopsealNode;
import io.hopseal.support.LastGoodConfigs;
import io.hopseal.vault.MemoryVault;

/**
 * A core bundle update on a node that ends channels: the channel component is deactivated and activated again (as SCR
 * does when the bundle is updated); with session resumption on, its channels go on without a handshake and the device
 * notices nothing.
 */
class ChannelsComponentResumptionTest {
    @TempDir
    Path dir;

    static ChannelsComponent.Config config(Map<String, Object> values) {
        return (ChannelsComponent.Config) Proxy.newProxyInstance(ChannelsComponent.Config.class.getClassLoader(),
                new Class<?>[] {ChannelsComponent.Config.class}, (p, m, a) -> {
                    String key = m.getName().replace('_', '.');
                    if (values.containsKey(key)) {
                        return values.get(key);
                    }
                    return m.getName().equals("annotationType") ? ChannelsComponent.Config.class
                            : m.invoke(ChannelsComponent.Defaults.INSTANCE);
                });
    }

    @Test
    void anUpdatedChannelComponentResumesItsChannelsWithoutAHandshake() throws Exception {
        Map<String, Object> props = Map.of("service.pid", ChannelsComponent.PID, "listener.name", "api",
                "session.resumption", true, "session.folder", dir.resolve("sessions").toString());
        MemoryVault gatewayKeys = new MemoryVault();
        DefaultRouter router = new DefaultRouter();
        try (MemoryNetwork net = new MemoryNetwork();
             AutoCloseable link = router.attach(net.attach("gw"));
             HopsealNode device = HopsealNode.builder().memory(net, "device").build()) {
            router.register(Address.local("echo"), (m, ctx) -> ctx.reply(m, m.payload()));
            ChannelsComponent c = new ChannelsComponent(router, gatewayKeys, new LastGoodConfigs(dir.resolve("lg")),
                    config(props), props);
            SecureChannel ch = device.channels().connect("/mem/gw/secure/api/service/echo",
                    ChannelOptions.defaults().withKeepAlive(Duration.ofSeconds(30), 3)).get(10, TimeUnit.SECONDS);
            assertThat(echo(ch, "before")).isEqualTo("before");
            long handshakes = c.counters().getOrDefault("handshakes.started", 0L);

            c.deactivate(); // the core bundle is updated
            ChannelsComponent updated = new ChannelsComponent(router, gatewayKeys,
                    new LastGoodConfigs(dir.resolve("lg")), config(props), props);
            try {
                assertThat(updated.counters()).containsEntry("resumption.resumed", 1L);
                assertThat(echo(ch, "after")).isEqualTo("after");
                assertThat(ch.counters()).doesNotContainKey("hints.received");
                assertThat(updated.counters().getOrDefault("handshakes.started", 0L)).isZero();
                assertThat(handshakes).isEqualTo(1);
            } finally {
                updated.deactivate();
            }
        }
    }

    @Test
    void resumptionWithoutAFolderIsRefusedNamingTheFieldAndARelativeFolderIsKeptForTheStateFolder() {
        Map<String, Object> props = Map.of("session.resumption", true, "session.folder", "");
        assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> ChannelsComponent.settings(config(props))))
                .hasMessageContaining("session.resumption needs a session.folder");
        Map<String, Object> relative = Map.of("session.folder", "relative/sessions");
        // the component takes a relative folder in the node's state folder, never in the working directory
        assertThat(ChannelsComponent.settings(config(relative)).sessionFolder())
                .isEqualTo(java.nio.file.Path.of("relative/sessions"));
        assertThat(ChannelsComponent.settings(config(Map.of())).sessionFolder()).as("the default")
                .isEqualTo(java.nio.file.Path.of("sessions"));
    }

    static String echo(SecureChannel ch, String text) throws InterruptedException {
        ch.send(text.getBytes(UTF_8));
        Message m = ch.receive(Duration.ofSeconds(10));
        assertThat(m).as("echo of " + text).isNotNull();
        return new String(m.payload(), UTF_8);
    }
}
