package io.hopseal.impl.component;

import static io.hopseal.impl.component.ComponentTestSupport.NO_STORE;
import static io.hopseal.testsupport.Logs.logsOf;
import static io.hopseal.impl.component.ComponentTestSupport.typed;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.hopseal.api.routing.Address;
import io.hopseal.api.routing.Message;
import io.hopseal.api.routing.Route;
import io.hopseal.support.LastGoodConfigs;
import io.hopseal.impl.routing.DefaultRouter;

/** The echo service's configuration, as DS would drive it (plain objects, no framework). */
class EchoComponentTest {
    private final DefaultRouter router = new DefaultRouter();

    /** Properties as ConfigurationAdmin holds them, with the component's own. */
    private static Map<String, Object> stored(String name, boolean secureOnly) {
        return Map.of("service.pid", EchoComponent.PID, "name", name, "secure.only", secureOnly);
    }

    private static EchoComponent.Config config(Map<String, Object> properties) {
        return typed(EchoComponent.Config.class, properties);
    }

    /** Sends a plaintext message to {@code /service/<name>}. */
    private void sendPlaintext(String name) {
        router.send(Message.to(Route.parse("/service/" + name), new byte[] {1}));
    }

    /**
     * A web console stores whatever is typed (name "bad name!"): the running service refuses it and stays where it
     * is, and after a restart it runs on the last configuration it accepted (name and secure.only) instead of the
     * default name.
     */
    @Test
    void afterARestartAnInvalidStoredConfigurationFallsBackToTheLastGoodOne(@TempDir Path dir) {
        LastGoodConfigs store = new LastGoodConfigs(dir);
        EchoComponent echo = new EchoComponent(router, store, config(stored("ping", false)), stored("ping", false));
        assertThat(echo.address()).isEqualTo(Address.local("ping"));
        String refused = logsOf(() -> echo.modified(config(stored("bad name!", true)), stored("bad name!", true)));
        assertThat(refused).contains("configuration refused, invalid name 'bad name!'");
        assertThat(echo.address()).isEqualTo(Address.local("ping"));
        echo.deactivate();

        EchoComponent[] restarted = new EchoComponent[1];
        String log = logsOf(() -> restarted[0] = new EchoComponent(router, store, config(stored("bad name!", true)),
                stored("bad name!", true)));
        try {
            assertThat(log).contains("stored configuration refused, invalid name 'bad name!'")
                    .contains("using the last good configuration (name ping, secure.only false) until it is corrected");
            assertThat(restarted[0].address()).isEqualTo(Address.local("ping"));
            sendPlaintext("ping");
            assertThat(restarted[0].echoed()).as("secure.only false, as last accepted").isEqualTo(1);
        } finally {
            restarted[0].deactivate();
        }

        // without a store (outside OSGi, or before this change) the same restart uses the default name
        EchoComponent[] bare = new EchoComponent[1];
        String bareLog = logsOf(() -> bare[0] = new EchoComponent(router, NO_STORE, config(stored("bad name!", true)),
                stored("bad name!", true)));
        try {
            assertThat(bareLog).contains("invalid name 'bad name!'; using the default 'echo'");
            assertThat(bare[0].address()).isEqualTo(Address.local("echo"));
            sendPlaintext("echo");
            assertThat(router.counters()).as("secure.only true, as stored: the router drops the plain message")
                    .containsEntry("drop.access_denied", 1L);
            assertThat(bare[0].echoed()).isZero();
        } finally {
            bare[0].deactivate();
        }
    }
}
