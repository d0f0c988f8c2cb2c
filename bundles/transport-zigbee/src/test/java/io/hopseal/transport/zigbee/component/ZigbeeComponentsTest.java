package io.hopseal.transport.zigbee.component;

import static io.hopseal.testsupport.Configs.config;
import static io.hopseal.testsupport.Configs.with;
import static io.hopseal.testsupport.Logs.logsOf;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.hopseal.api.routing.Address;
import io.hopseal.api.routing.Message;
import io.hopseal.api.routing.Route;
import io.hopseal.api.routing.SendResult;
import io.hopseal.api.transport.InboundPort;
import io.hopseal.impl.routing.DefaultRouter;
import io.hopseal.support.LastGoodConfigs;
import io.hopseal.support.PropertyTypes;
import io.hopseal.testsupport.Await;
import io.hopseal.transport.zigbee.ZigbeeAddresses;
import io.hopseal.transport.zigbee.ZigbeeModule;
import io.hopseal.transport.zigbee.ZigbeeTransport;
import io.hopseal.transport.zigbee.ZigbeeTransportConfig;
import io.hopseal.transport.zigbee.sim.SimulatedXBee;
import io.hopseal.testsupport.PtyPair;
import io.hopseal.transport.zigbee.sim.ZigbeeDevice;
import io.hopseal.transport.zigbee.xbee.ApiMode;

/**
 * The DS components driven as SCR would drive them (activate, modified, deactivate with configuration objects), outside
 * a framework: a module started from its factory configuration, reconfigured live, invalid values refused, and
 * deactivation closing everything. (Resolution and wiring in Felix/Equinox are for the Pax Exam tests.)
 */
class ZigbeeComponentsTest {
    static final long COORD = 0x0013A20040C0FFEEL;
    static final long DEV = 0x0013A20041DE71CEL;

    @TempDir
    Path dir;
    PtyPair pair;
    SimulatedXBee sim;
    final DefaultRouter router = new DefaultRouter();
    ZigbeeTransportComponent transport;
    ZigbeeModuleComponent module;

    @BeforeAll
    static void socat() {
        PtyPair.assumeSocat();
    }

    @AfterEach
    void tearDown() throws Exception {
        if (module != null) {
            module.deactivate();
        }
        if (transport != null) {
            transport.deactivate();
        }
        if (sim != null) {
            sim.close();
        }
        if (pair != null) {
            pair.close();
        }
    }

    /** No last-good store (as outside OSGi). */
    static final LastGoodConfigs NO_STORE = new LastGoodConfigs(null);
    static final Map<String, Object> TRANSPORT_PROPS = Map.of("service.pid", ZigbeeTransportComponent.PID);
    /** As SCR gives them for a factory configuration: the component's pid and the configuration's. */
    static final Map<String, Object> MODULE_PROPS = Map.of("service.pid", new String[] { ZigbeeModuleComponent.PID,
        ZigbeeModuleComponent.PID + ".1" }, "kura.service.pid", "xbee coordinator");

    /** A transport component the router has bound (attached to), as the whiteboard does with its service. */
    ZigbeeTransportComponent newTransport() {
        ZigbeeTransportComponent c = new ZigbeeTransportComponent();
        router.attach(c);
        return c;
    }

    /** A simulated XBee (API mode 2, NP 84) on a pty pair, and the transport with quick AT timeouts and backoff. */
    void startWithASimulatedXBee() throws Exception {
        pair = new PtyPair(dir, "xbee-module", "xbee-host").plug();
        sim = new SimulatedXBee(pair.a(), COORD, ApiMode.API_ESCAPED, 84);
        transport = newTransport();
        transport.activate(NO_STORE, config(ZigbeeTransportComponent.Config.class, Map.of("at_timeout_ms", 100,
                "reconnect_backoff_max_ms", 200)), TRANSPORT_PROPS);
    }

    @Test
    void factoryConfigurationStartsAModuleAndChangesApplyLive() throws Exception {
        startWithASimulatedXBee();
        assertThat(router.transport(Address.ZIGBEE)).containsSame(transport);
        assertThat(transport.transport().config().atTimeout()).isEqualTo(Duration.ofMillis(100));

        module = new ZigbeeModuleComponent(transport);
        Map<String, Object> v = new HashMap<>(Map.of("port_name", pair.b().toString(), "baud_rate", 115200,
                "api_mode", 2));
        module.activate(NO_STORE, config(ZigbeeModuleComponent.Config.class, v), MODULE_PROPS);
        ZigbeeModule m = module.module();
        assertThat(m.name()).isEqualTo("xbee-coordinator");
        assertThat(m.awaitReady(Duration.ofSeconds(5))).as(transport.status()).isTrue();
        assertThat(transport.status()).contains("xbee-coordinator").contains("ready").contains("NP 84");
        assertThat(transport.counters()).containsEntry("modules.ready", 1L);

        // live: payload override and API mode (the module's AP changed too)
        sim.setMode(ApiMode.API);
        v.put("api_mode", 1);
        v.put("max_payload", 60);
        module.modified(config(ZigbeeModuleComponent.Config.class, v), MODULE_PROPS);
        assertThat(module.module()).isSameAs(m);
        Await.until("ready in API mode 1", Duration.ofSeconds(3), () -> m.state() == ZigbeeModule.State.READY
                && m.apiMode() == ApiMode.API);
        assertThat(m.maxPayload()).isEqualTo(60);

        // an invalid value is refused, naming the property; the module keeps running
        v.put("api_mode", 3);
        String log = logsOf(() -> module.modified(config(ZigbeeModuleComponent.Config.class, v), MODULE_PROPS));
        assertThat(log).contains("api.mode").contains("must be 1 or 2").contains("previous settings stay in force");
        assertThat(m.config().apiMode()).isEqualTo(ApiMode.API);
        v.put("api_mode", 1);
        v.put("max_payload", 300);
        log = logsOf(() -> module.modified(config(ZigbeeModuleComponent.Config.class, v), MODULE_PROPS));
        assertThat(log).contains("max.payload").contains("0 (read ATNP) or 3..255");

        // transport settings apply live too; an invalid one is refused
        log = logsOf(() -> transport.modified(config(ZigbeeTransportComponent.Config.class, Map.of("max_attempts", 0)),
                TRANSPORT_PROPS));
        assertThat(log).contains("max.attempts").contains("previous configuration stays in force");
        transport.modified(config(ZigbeeTransportComponent.Config.class, Map.of("max_attempts", 7)), TRANSPORT_PROPS);
        assertThat(transport.transport().config().maxAttempts()).isEqualTo(7);

        module.deactivate();
        module = null;
        assertThat(transport.transport().modules()).isEmpty();
        transport.deactivate();
        assertThat(transport.send(ZigbeeAddresses.of(COORD), new Message(Route.EMPTY, Route.EMPTY, new byte[1])))
                .isEqualTo(SendResult.DROPPED_STOPPED);
        transport = null;
        Await.until("threads gone", Duration.ofSeconds(3), () -> Thread.getAllStackTraces().keySet().stream()
                .noneMatch(t -> t.isAlive() && (t.getName().startsWith("hopseal-zigbee-")
                        || t.getName().contains("-zigbee-"))));
    }

    /**
     * The router attaches once, to the component (its Transport service); new transport settings, or a new transport
     * behind the same component, keep delivering to it without the router doing anything again.
     */
    @Test
    void theAttachedRouterStaysAttachedAcrossReconfigurationAndANewTransport() throws Exception {
        startWithASimulatedXBee();
        LinkedBlockingQueue<Message> sink = new LinkedBlockingQueue<>();
        router.register(Address.local("sink"), (msg, ctx) -> sink.add(msg));
        ZigbeeDevice device = new ZigbeeDevice(DEV, 0x1234, sim, 84);
        Map<String, Object> v = Map.of("port_name", pair.b().toString(), "baud_rate", 115200, "api_mode", 2);
        module = new ZigbeeModuleComponent(transport);
        module.activate(NO_STORE, config(ZigbeeModuleComponent.Config.class, v), MODULE_PROPS);
        assertThat(module.module().awaitReady(Duration.ofSeconds(5))).as(transport.status()).isTrue();
        upArrives(device, sink, 1);

        // new transport settings: applied live, still delivered
        transport.modified(config(ZigbeeTransportComponent.Config.class, Map.of("max_attempts", 7, "at_timeout_ms",
                100)), TRANSPORT_PROPS);
        assertThat(transport.transport().config().maxAttempts()).isEqualTo(7);
        assertThat(transport.attached()).isTrue();
        upArrives(device, sink, 2);

        // the transport behind the service replaced (deactivated and activated again): the router was not asked again
        ZigbeeTransport before = transport.transport();
        module.deactivate();
        transport.deactivate();
        transport.activate(NO_STORE, config(ZigbeeTransportComponent.Config.class, Map.of("at_timeout_ms", 100,
                "reconnect_backoff_max_ms", 200)), TRANSPORT_PROPS);
        assertThat(transport.transport()).isNotSameAs(before);
        module = new ZigbeeModuleComponent(transport);
        module.activate(NO_STORE, config(ZigbeeModuleComponent.Config.class, v), MODULE_PROPS);
        assertThat(module.module().awaitReady(Duration.ofSeconds(5))).as(transport.status()).isTrue();
        upArrives(device, sink, 3);
        assertThat(transport.counters()).containsEntry(InboundPort.DROP_NO_ROUTER, 0L);
    }

    /** The device sends one message to the gateway's /service/sink: it arrives there. */
    static void upArrives(ZigbeeDevice device, LinkedBlockingQueue<Message> sink, int marker) throws Exception {
        assertThat(device.send(ZigbeeAddresses.of(COORD), new Message(Route.of(Address.local("sink")), Route.EMPTY,
                new byte[] { (byte) marker }))).isEqualTo(SendResult.FORWARDED);
        Message m = sink.poll(5, TimeUnit.SECONDS);
        assertThat(m).as("message %d", marker).isNotNull();
        assertThat(m.payload()).containsExactly(marker);
    }

    /**
     * A web console stores whatever is typed (api.mode 3): the running module refuses it and keeps its settings, and
     * after a restart it runs on the last configuration it accepted instead of not starting at all.
     */
    @Test
    void afterARestartAnInvalidStoredModuleConfigurationFallsBackToTheLastGoodOne() throws Exception {
        startWithASimulatedXBee();
        LastGoodConfigs store = new LastGoodConfigs(dir.resolve("last-good"));
        Map<String, Object> good = with(MODULE_PROPS, "port.name", pair.b().toString(), "baud.rate", 115200,
                "api.mode", 2, "max.payload", 60);
        Map<String, Object> bad = with(good, "api.mode", 3);
        module = new ZigbeeModuleComponent(transport);
        module.activate(store, PropertyTypes.of(ZigbeeModuleComponent.Config.class, good), good);
        assertThat(module.module().awaitReady(Duration.ofSeconds(5))).as(transport.status()).isTrue();
        String refused = logsOf(() -> module.modified(PropertyTypes.of(ZigbeeModuleComponent.Config.class, bad), bad));
        assertThat(refused).contains("configuration refused, invalid property api.mode");
        assertThat(module.module().config().apiMode()).isEqualTo(ApiMode.API_ESCAPED);
        module.deactivate();

        module = new ZigbeeModuleComponent(transport);
        String log = logsOf(() -> module.activate(store, PropertyTypes.of(ZigbeeModuleComponent.Config.class, bad),
                bad));
        assertThat(log).contains("stored configuration refused, invalid property api.mode: apiMode must be 1 or 2, was 3")
                .contains("using the last good configuration xbee-coordinator = " + pair.b() + "@115200")
                .contains("API mode 2, max payload 60 B").contains("until it is corrected");
        ZigbeeModule m = module.module();
        assertThat(m.awaitReady(Duration.ofSeconds(5))).as(transport.status()).isTrue();
        assertThat(m.maxPayload()).isEqualTo(60);
        module.deactivate();

        // without a store (outside OSGi, or before this change) the same restart leaves the module stopped
        module = new ZigbeeModuleComponent(transport);
        String bareLog = logsOf(() -> module.activate(NO_STORE,
                PropertyTypes.of(ZigbeeModuleComponent.Config.class, bad), bad));
        assertThat(bareLog).contains("module not started").contains("api.mode");
        assertThat(module.module()).isNull();
    }

    /** The transport's settings likewise: the last good ones after a restart, else the defaults. */
    @Test
    void afterARestartAnInvalidStoredTransportConfigurationFallsBackToTheLastGoodOne() throws Exception {
        LastGoodConfigs store = new LastGoodConfigs(dir.resolve("last-good"));
        Map<String, Object> good = with(TRANSPORT_PROPS, "max.attempts", 7, "at.timeout.ms", 250);
        Map<String, Object> bad = with(good, "max.attempts", 0);
        transport = newTransport();
        transport.activate(store, PropertyTypes.of(ZigbeeTransportComponent.Config.class, good), good);
        ZigbeeTransportConfig accepted = transport.transport().config();
        assertThat(accepted.maxAttempts()).isEqualTo(7);
        assertThat(logsOf(() -> transport.modified(PropertyTypes.of(ZigbeeTransportComponent.Config.class, bad), bad)))
                .contains("configuration refused, invalid property max.attempts");
        assertThat(transport.transport().config()).isEqualTo(accepted);
        transport.deactivate();

        transport = newTransport();
        String log = logsOf(() -> transport.activate(store,
                PropertyTypes.of(ZigbeeTransportComponent.Config.class, bad), bad));
        assertThat(log).contains("stored configuration refused, invalid property max.attempts")
                .contains("using the last good configuration " + accepted + " until it is corrected");
        assertThat(transport.transport().config()).isEqualTo(accepted);
        transport.deactivate();

        // without a store: the defaults, as before
        transport = newTransport();
        assertThat(logsOf(() -> transport.activate(NO_STORE,
                PropertyTypes.of(ZigbeeTransportComponent.Config.class, bad), bad)))
                .contains("starting with the default settings instead");
        assertThat(transport.transport().config()).isEqualTo(ZigbeeTransportConfig.DEFAULTS);
    }

    @Test
    void anInvalidNewConfigurationIsNotStartedAndSaysWhy() {
        transport = newTransport();
        transport.activate(NO_STORE, config(ZigbeeTransportComponent.Config.class, Map.of()), TRANSPORT_PROPS);
        module = new ZigbeeModuleComponent(transport);
        String log = logsOf(() -> module.activate(NO_STORE, config(ZigbeeModuleComponent.Config.class,
                Map.of("port_name", " ", "baud_rate", 9600)), Map.of("service.pid", "x")));
        assertThat(log).contains("module not started").contains("port.name");
        assertThat(module.module()).isNull();
        assertThat(ZigbeeModuleComponent.moduleName("gw/xbee~1")).isEqualTo("gw-xbee-1");
        assertThat(ZigbeeModuleComponent.moduleName(null)).isNull();
    }
}
