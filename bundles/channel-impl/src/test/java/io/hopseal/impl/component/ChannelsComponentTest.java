package io.hopseal.impl.component;

import static io.hopseal.impl.component.ComponentTestSupport.NO_STORE;
import static io.hopseal.testsupport.Logs.logsOf;
import static io.hopseal.impl.component.ComponentTestSupport.typed;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.hopseal.api.channel.ChannelListener;
import io.hopseal.api.channel.ChannelOptions;
import io.hopseal.support.LastGoodConfigs;
import io.hopseal.impl.routing.DefaultRouter;
import io.hopseal.vault.MemoryVault;

/** The secure channel service's configuration, as DS would drive it (plain objects, no framework). */
class ChannelsComponentTest {
    private final DefaultRouter router = new DefaultRouter();
    private final MemoryVault vault = new MemoryVault();

    /** Properties as ConfigurationAdmin holds them, with the component's own. */
    private static Map<String, Object> stored(int replayWindow) {
        return Map.of("service.pid", ChannelsComponent.PID, "listener.name", "gw", "handshake.timeout.s", 60,
                "replay.window", replayWindow, "Vault.target", ChannelsComponent.DEFAULT_VAULT_TARGET);
    }

    private static ChannelsComponent.Config config(Map<String, Object> properties) {
        return typed(ChannelsComponent.Config.class, properties);
    }

    private static ChannelListener onlyListener(ChannelsComponent c) {
        assertThat(c.listeners()).hasSize(1);
        return c.listeners().iterator().next();
    }

    /**
     * A web console stores whatever is typed (replay.window 100): the running service refuses it and keeps its
     * listener, and after a restart it runs on the last configuration it accepted instead of that field's default.
     */
    @Test
    void afterARestartAnInvalidStoredConfigurationFallsBackToTheLastGoodOne(@TempDir Path dir) {
        LastGoodConfigs store = new LastGoodConfigs(dir);
        ChannelsComponent c = new ChannelsComponent(router, vault, store, config(stored(2048)), stored(2048));
        String good = c.settingsText();
        assertThat(good).contains("listener=/secure/gw").contains("handshake.timeout.s=60")
                .contains("replay.window=2048");
        String refused = logsOf(() -> c.modified(config(stored(100)), stored(100)));
        assertThat(refused).contains("configuration refused, invalid replay.window");
        assertThat(c.settingsText()).isEqualTo(good);
        c.deactivate();

        ChannelsComponent[] restarted = new ChannelsComponent[1];
        String log = logsOf(() -> restarted[0] = new ChannelsComponent(router, vault, store, config(stored(100)),
                stored(100)));
        try {
            assertThat(log).contains("stored configuration refused, invalid replay.window")
                    .contains("using the last good configuration " + good + " until it is corrected");
            assertThat(restarted[0].settingsText()).isEqualTo(good);
            assertThat(onlyListener(restarted[0]).options().replayWindow()).isEqualTo(2048);
        } finally {
            restarted[0].deactivate();
        }

        // without a store (outside OSGi, or before this change) the same restart uses that field's default
        ChannelsComponent[] bare = new ChannelsComponent[1];
        String bareLog = logsOf(() -> bare[0] = new ChannelsComponent(router, vault, NO_STORE, config(stored(100)),
                stored(100)));
        try {
            assertThat(bareLog).contains("invalid replay.window").contains("using the default for replay.window");
            assertThat(bare[0].settingsText()).contains("listener=/secure/gw").contains("handshake.timeout.s=60")
                    .contains("replay.window=" + ChannelOptions.DEFAULT_REPLAY_WINDOW);
            assertThat(onlyListener(bare[0]).options().replayWindow()).isEqualTo(ChannelOptions.DEFAULT_REPLAY_WINDOW);
        } finally {
            bare[0].deactivate();
        }
    }

    /** The idle timeout reaches the listener; a negative one is refused by name and the listener keeps its own. */
    @Test
    void theIdleTimeoutIsCheckedAndReachesTheListener() {
        Map<String, Object> props = new java.util.HashMap<>(stored(1024));
        props.put("idle.timeout.s", 3600L);
        ChannelsComponent c = new ChannelsComponent(router, vault, NO_STORE, config(props), props);
        try {
            assertThat(c.settingsText()).contains("idle.timeout.s=3600");
            assertThat(onlyListener(c).options().idleTimeout()).isEqualTo(java.time.Duration.ofHours(1));
            Map<String, Object> bad = new java.util.HashMap<>(props);
            bad.put("idle.timeout.s", -5L);
            assertThat(logsOf(() -> c.modified(config(bad), bad))).contains("invalid idle.timeout.s");
            assertThat(onlyListener(c).options().idleTimeout()).isEqualTo(java.time.Duration.ofHours(1));
            Map<String, Object> off = new java.util.HashMap<>(props);
            off.put("idle.timeout.s", 0L);
            c.modified(config(off), off);
            assertThat(onlyListener(c).options().idleTimeout()).as("0 keeps silent channels").isNull();
        } finally {
            c.deactivate();
        }
    }
}
