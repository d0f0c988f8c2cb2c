package io.hopseal.transport.lora.component;

import static io.hopseal.transport.lora.component.ComponentTestSupport.bindFakeKuraCrypto;
import static io.hopseal.testsupport.Configs.config;
import static io.hopseal.transport.lora.component.ComponentTestSupport.kuraEncrypted;
import static io.hopseal.testsupport.Logs.logsOf;
import static io.hopseal.testsupport.Configs.with;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.osgi.framework.BundleContext;

import io.hopseal.api.routing.Address;
import io.hopseal.api.routing.Message;
import io.hopseal.api.routing.Route;
import io.hopseal.api.routing.SendResult;
import io.hopseal.api.transport.InboundPort;
import io.hopseal.impl.routing.DefaultRouter;
import io.hopseal.support.InvalidFieldException;
import io.hopseal.support.LastGoodConfigs;
import io.hopseal.support.PropertyTypes;
import io.hopseal.testsupport.Await;
import io.hopseal.transport.lora.LoraConfig;
import io.hopseal.transport.lora.LoraDevice;
import io.hopseal.transport.lora.LoraTestSupport;
import io.hopseal.transport.lora.LoraTransport;
import io.hopseal.transport.lora.fragment.RadioEnvelope;
import io.hopseal.transport.lora.fragment.RouteContext;
import io.hopseal.transport.lora.lorawan.AesKey;
import io.hopseal.transport.lora.lorawan.DataFrame;
import io.hopseal.transport.lora.region.Region;
import io.hopseal.transport.lora.semtech.RxPk;
import io.hopseal.transport.lora.semtech.SemtechPacket;

class LoraComponentsTest {
    static final String NWK = "44024241ed4ce9a68c6a8bc055233fd3";
    static final String APP = "ec925802ae430ca77fd3dd73cb2cc588";

    final DefaultRouter router = new DefaultRouter();
    final LoraTransportComponent transport = new LoraTransportComponent();
    /** The router's binding of the component's Transport service (the RouterComponent makes it in OSGi). */
    AutoCloseable binding;

    @BeforeEach
    void bind() {
        binding = router.attach(transport);
    }

    @AfterEach
    void stop() throws Exception {
        binding.close();
        transport.deactivate();
        Await.until("no hopseal-lora threads", Duration.ofSeconds(5),
                () -> LoraTestSupport.threads(LoraTransport.THREAD_PREFIX).isEmpty());
    }

    static int freeUdpPort() throws Exception {
        try (DatagramSocket s = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
            return s.getLocalPort();
        }
    }

    static LoraTransportComponent.Config tcfg(Object... kv) {
        Object[] all = new Object[kv.length + 2];
        all[0] = "bind_address";
        all[1] = "127.0.0.1";
        System.arraycopy(kv, 0, all, 2, kv.length);
        return config(LoraTransportComponent.Config.class, all);
    }

    static LoraDeviceComponent.Config abp(String eui, Object... more) {
        Object[] base = {"dev_eui", eui, "activation", "ABP", "dev_addr", "26011BDA", "nwk_skey", NWK, "app_skey", APP};
        Object[] all = new Object[base.length + more.length];
        System.arraycopy(base, 0, all, 0, base.length);
        System.arraycopy(more, 0, all, base.length, more.length);
        return config(LoraDeviceComponent.Config.class, all);
    }

    /** No last-good store (as outside OSGi). */
    static final LastGoodConfigs NO_STORE = new LastGoodConfigs(null);
    static final Map<String, Object> TRANSPORT_PROPS = Map.of("service.pid", LoraTransportComponent.PID);
    /** Properties given with a modified configuration where nothing is kept (no store). */
    static final Map<String, Object> NOT_KEPT = Map.of();

    static Map<String, Object> props(String kuraPid) {
        return Map.of("service.pid", LoraDeviceComponent.PID + ".1", "kura.service.pid", kuraPid);
    }

    @Test
    void defaultsMatchTheRegionsAndTheDocumentedValues() throws Exception {
        LoraConfig c = LoraTransportComponent.toLoraConfig(config(LoraTransportComponent.Config.class));
        assertThat(c.port()).isEqualTo(1680);
        assertThat(c.region()).isSameAs(Region.EU868);
        assertThat(c.rx1Delay()).isEqualTo(Duration.ofSeconds(1));
        assertThat(c.rx2Delay()).isEqualTo(Duration.ofSeconds(2));
        assertThat(c.rx2FrequencyHz()).isEqualTo(869_525_000L);
        assertThat(c.rx2DataRate()).isZero();
        assertThat(c.txPowerDbm()).isEqualTo(14);
        LoraConfig us = LoraTransportComponent.toLoraConfig(config(LoraTransportComponent.Config.class, "region", "US915"));
        assertThat(us.rx2FrequencyHz()).isEqualTo(923_300_000L);
        assertThat(us.rx2DataRate()).isEqualTo(8);
    }

    @Test
    void invalidValuesAreRefusedNamingTheProperty() {
        Object[][] bad = {{"region", "AS923"}, {"rx1_delay_s", 0}, {"rx1_dr_offset", 9}, {"net_id", "xyz"},
            {"allowed_gateways", "AA555A00"}, {"rx2_data_rate", 14}, {"rx2_frequency_hz", 915_000_000},
            {"max_message_size", 5000}, {"port", 70_000}, {"bind_address", " "}};
        String[] property = {"region", "rx1.delay.s", "rx1.dr.offset", "net.id", "allowed.gateways", "rx2.data.rate",
            "rx2.frequency.hz", "max.message.size", "port", "bind.address"};
        for (int i = 0; i < bad.length; i++) {
            Object[] kv = bad[i];
            String p = property[i];
            assertThatThrownBy(() -> LoraTransportComponent.toLoraConfig(config(LoraTransportComponent.Config.class, kv)))
                    .as(p).isInstanceOf(IllegalArgumentException.class)
                    .satisfies(e -> assertThat(LoraTransportComponent.describe((IllegalArgumentException) e))
                            .startsWith("property " + p + ":"));
        }
    }

    @Test
    void modifiedConfigurationAppliesLiveAndAnInvalidOneKeepsTheLastGood() throws Exception {
        int p1 = freeUdpPort();
        transport.activate(NO_STORE, tcfg("port", p1), TRANSPORT_PROPS);
        assertThat(transport.transport().localPort()).isEqualTo(p1);
        assertThat(router.transport(Address.LORA)).containsSame(transport);
        LoraDeviceComponent dev = new LoraDeviceComponent(transport);
        dev.activate(null, NO_STORE, abp("70B3D57ED0000001"), props("sensor-1"));
        assertThat(transport.transport().devices()).extracting(LoraDevice::devEui).containsExactly(0x70B3D57ED0000001L);

        String logs = logsOf(() -> transport.modified(tcfg("port", p1, "region", "XX999"), TRANSPORT_PROPS));
        assertThat(logs).contains("property region").contains("previous configuration stays");
        assertThat(transport.transport().config().region()).isSameAs(Region.EU868);
        assertThat(transport.transport().localPort()).isEqualTo(p1);

        int p2 = freeUdpPort();
        transport.modified(tcfg("port", p2, "dedup_window_ms", 50), TRANSPORT_PROPS);
        assertThat(transport.transport().localPort()).isEqualTo(p2);
        assertThat(transport.transport().config().dedupWindow()).isEqualTo(Duration.ofMillis(50));
        assertThat(transport.transport().devices()).hasSize(1); // the device stayed

        // a region change takes devices pinned to the old region out of service, with a message
        LoraDeviceComponent eu = new LoraDeviceComponent(transport);
        eu.activate(null, NO_STORE, abp("70B3D57ED0000002", "region", "EU868"), props("eu-only"));
        String regionLogs = logsOf(() -> transport.modified(tcfg("port", p2, "region", "US915"), TRANSPORT_PROPS));
        assertThat(regionLogs).contains("eu-only").contains("out of service");
        assertThat(transport.transport().devices()).extracting(LoraDevice::devEui).containsExactly(0x70B3D57ED0000001L);
        dev.deactivate();
        assertThat(transport.transport().devices()).isEmpty();
    }

    @Test
    void deviceValidationNamesTheFieldAndKeepsTheLastGoodDevice() throws Exception {
        transport.activate(NO_STORE, tcfg("port", freeUdpPort()), TRANSPORT_PROPS);
        LoraDeviceComponent dev = new LoraDeviceComponent(transport);
        String logs = logsOf(() -> dev.activate(null, NO_STORE, abp("70B3D57ED0000001", "nwk_skey", "1234"),
                props("sensor-1")));
        assertThat(logs).contains("property nwk.skey").contains("32 hex digits").contains("not in service");
        assertThat(logs).doesNotContain(APP); // secrets never logged
        assertThat(transport.transport().devices()).isEmpty();

        dev.modified(abp("70B3D57ED0000001", "route_context", "/tcp/10.0.0.5:4000, /service/api"), NOT_KEPT);
        assertThat(dev.active().routeContext()).containsExactly(Address.tcp("10.0.0.5:4000"), Address.local("api"));
        for (Object[] kv : new Object[][] {{"dev_eui", "70B3D57ED00000"}, {"dev_addr", ""}, {"fport", 0},
            {"activation", "magic"}, {"route_context", "/tcp/a:1/service/b"}, {"region", "US915"}, {"app_skey", ""}}) {
            String l = logsOf(() -> dev.modified(abp("70B3D57ED0000001", kv), NOT_KEPT));
            assertThat(l).as(kv[0].toString()).contains("configuration refused").contains("keeping LoraDevice[70B3D57ED0000001");
        }
        assertThat(dev.active().routeContext()).hasSize(2);
        assertThat(transport.transport().devices()).hasSize(1);

        // OTAA
        LoraDeviceComponent otaa = new LoraDeviceComponent(transport);
        otaa.activate(null, NO_STORE, config(LoraDeviceComponent.Config.class, "dev_eui", "0004A30B001C0530",
                "activation", "OTAA", "app_key", NWK, "app_eui", "70B3D57ED0000000"), props("otaa-1"));
        assertThat(otaa.active().activation()).isEqualTo(LoraDevice.Activation.OTAA);
        assertThat(otaa.active().appEui()).isEqualTo(0x70B3D57ED0000000L);
        assertThat(transport.transport().device(0x0004A30B001C0530L).orElseThrow().active()).isFalse();

        // the same DevEUI from another configuration is refused
        LoraDeviceComponent twin = new LoraDeviceComponent(transport);
        String twinLogs = logsOf(() -> twin.activate(null, NO_STORE, abp("70B3D57ED0000001"), props("sensor-1-copy")));
        assertThat(twinLogs).contains("property dev.eui").contains("already configured by sensor-1");
        assertThat(twin.active()).isNull();
        otaa.deactivate();
        dev.deactivate();
    }

    /**
     * On Kura the key attributes arrive encrypted: each is turned into clear text before it is parsed, and a refusal
     * names the field without echoing the attribute or the key.
     */
    @Test
    void keyAttributesAreDecryptedBeforeUseAndNeverEchoed() {
        java.util.List<String> asked = new java.util.ArrayList<>();
        LoraDeviceComponent.KeyAttributes kura = (field, value) -> {
            asked.add(field);
            if (!value.startsWith("ENC(") || !value.endsWith(")")) {
                throw new InvalidFieldException(field, "cannot be decrypted");
            }
            return new StringBuilder(value.substring(4, value.length() - 1)).reverse().toString();
        };
        String nwkEnc = "ENC(" + new StringBuilder(NWK).reverse() + ")";
        String appEnc = "ENC(" + new StringBuilder(APP).reverse() + ")";
        LoraDevice abp = LoraDeviceComponent.toDevice(abp("70B3D57ED0000001", "nwk_skey", nwkEnc, "app_skey", appEnc),
                kura);
        assertThat(abp.nwkSKey()).isEqualTo(io.hopseal.transport.lora.lorawan.AesKey.ofHex(NWK));
        assertThat(abp.appSKey()).isEqualTo(io.hopseal.transport.lora.lorawan.AesKey.ofHex(APP));
        assertThat(asked).containsExactly("nwkSKey", "appSKey");

        LoraDevice otaa = LoraDeviceComponent.toDevice(config(LoraDeviceComponent.Config.class, "dev_eui",
                "0004A30B001C0530", "activation", "OTAA", "app_key", nwkEnc), kura);
        assertThat(otaa.appKey()).isEqualTo(io.hopseal.transport.lora.lorawan.AesKey.ofHex(NWK));

        // the ciphertext itself is not a key: without decryption it is refused by field name, never echoed
        assertThatThrownBy(() -> LoraDeviceComponent.toDevice(abp("70B3D57ED0000001", "nwk_skey", nwkEnc)))
                .isInstanceOf(InvalidFieldException.class)
                .satisfies(e -> assertThat(((InvalidFieldException) e).field()).isEqualTo("nwkSKey"))
                .message().doesNotContain(nwkEnc).doesNotContain(NWK);
        // a decrypted value that is not a key: refused by field name, the clear text not echoed
        String wrong = "ENC(" + new StringBuilder("zz" + NWK.substring(2)).reverse() + ")";
        assertThatThrownBy(() -> LoraDeviceComponent.toDevice(abp("70B3D57ED0000001", "nwk_skey", nwkEnc,
                "app_skey", wrong), kura))
                .isInstanceOf(InvalidFieldException.class).hasMessageContaining("not hex")
                .satisfies(e -> assertThat(((InvalidFieldException) e).field()).isEqualTo("appSKey"))
                .message().doesNotContain(NWK.substring(2));
    }

    /**
     * A web console stores whatever is typed (region XX999): the running transport refuses it and keeps its settings,
     * and after a restart it runs on the last configuration it accepted instead of the defaults.
     */
    @Test
    void afterARestartAnInvalidStoredTransportConfigurationFallsBackToTheLastGoodOne(@TempDir Path dir)
            throws Exception {
        LastGoodConfigs store = new LastGoodConfigs(dir);
        int port = freeUdpPort();
        Map<String, Object> good = with(TRANSPORT_PROPS, "bind.address", "127.0.0.1", "port", port, "region", "US915");
        Map<String, Object> bad = with(good, "region", "XX999");
        transport.activate(store, PropertyTypes.of(LoraTransportComponent.Config.class, good), good);
        assertThat(transport.transport().localPort()).isEqualTo(port);
        assertThat(logsOf(() -> transport.modified(PropertyTypes.of(LoraTransportComponent.Config.class, bad), bad)))
                .contains("configuration refused, property region");
        assertThat(transport.transport().config().region()).isSameAs(Region.US915);
        transport.deactivate();

        LoraTransportComponent restarted = new LoraTransportComponent();
        try {
            String log = logsOf(() -> restarted.activate(store,
                    PropertyTypes.of(LoraTransportComponent.Config.class, bad), bad));
            assertThat(log).contains("stored configuration refused, property region")
                    .contains("using the last good configuration (US915 on 127.0.0.1:" + port + ") until it is "
                            + "corrected");
            assertThat(restarted.transport().config().region()).isSameAs(Region.US915);
            assertThat(restarted.transport().localPort()).isEqualTo(port);
        } finally {
            restarted.deactivate();
        }

        // without a store (outside OSGi, or before this change) the same restart starts on the defaults
        LoraTransportComponent bare = new LoraTransportComponent();
        try {
            assertThat(logsOf(() -> bare.activate(NO_STORE, PropertyTypes.of(LoraTransportComponent.Config.class, bad),
                    bad))).contains("property region").contains("starting with the default settings instead");
        } finally {
            bare.deactivate();
        }
    }

    /**
     * On Kura, after a restart with an invalid stored device configuration (a DevAddr of 7 digits) the device is in
     * service with its last good configuration: the kept key attributes are Kura's ciphertext, decrypted again as the
     * current ones are, and neither they nor the keys appear in the log or in the store.
     */
    @Test
    void afterARestartAnInvalidStoredDeviceConfigurationFallsBackToTheLastGoodOne(@TempDir Path dir) throws Exception {
        transport.activate(NO_STORE, tcfg("port", freeUdpPort()), TRANSPORT_PROPS);
        LastGoodConfigs store = new LastGoodConfigs(dir);
        Map<String, Object> good = Map.of("service.pid", new String[] {LoraDeviceComponent.PID,
            LoraDeviceComponent.PID + ".7"}, "kura.service.pid", "sensor-1", "dev.eui", "70B3D57ED0000001",
            "activation", "ABP", "dev.addr", "26011BDA", "nwk.skey", kuraEncrypted(NWK), "app.skey", kuraEncrypted(APP),
            "fport", 10);
        Map<String, Object> bad = with(good, "dev.addr", "26011BD");
        LoraDeviceComponent dev = new LoraDeviceComponent(transport);
        BundleContext kura = bindFakeKuraCrypto(dev);
        dev.activate(kura, store, PropertyTypes.of(LoraDeviceComponent.Config.class, good), good);
        assertThat(dev.active().nwkSKey()).isEqualTo(AesKey.ofHex(NWK));
        assertThat(logsOf(() -> dev.modified(PropertyTypes.of(LoraDeviceComponent.Config.class, bad), bad)))
                .contains("configuration refused, property dev.addr").contains("keeping LoraDevice[70B3D57ED0000001");
        dev.deactivate();
        assertThat(transport.transport().devices()).isEmpty();

        LoraDeviceComponent restarted = new LoraDeviceComponent(transport);
        BundleContext kuraAgain = bindFakeKuraCrypto(restarted);
        String log = logsOf(() -> restarted.activate(kuraAgain, store,
                PropertyTypes.of(LoraDeviceComponent.Config.class, bad), bad));
        assertThat(log).contains("sensor-1: stored configuration refused, property dev.addr")
                .contains("using the last good configuration LoraDevice[70B3D57ED0000001, ABP, DevAddr 26011BDA, "
                        + "FPort 10] until it is corrected")
                .doesNotContain(NWK).doesNotContain(APP).doesNotContain(kuraEncrypted(NWK)).doesNotContain("ENC(");
        assertThat(restarted.active().nwkSKey()).isEqualTo(AesKey.ofHex(NWK));
        assertThat(restarted.active().appSKey()).isEqualTo(AesKey.ofHex(APP));
        assertThat(transport.transport().devices()).extracting(LoraDevice::devAddr).containsExactly(0x26011BDA);
        try (Stream<Path> files = Files.list(dir)) { // the store holds what ConfigurationAdmin holds: ciphertext
            for (Path f : files.toList()) {
                assertThat(new String(Files.readAllBytes(f), java.nio.charset.StandardCharsets.ISO_8859_1))
                        .doesNotContain(NWK).doesNotContain(APP);
            }
        }
        restarted.deactivate();

        // without a store (outside OSGi, or before this change) the same restart leaves the device out of service
        LoraDeviceComponent bare = new LoraDeviceComponent(transport);
        BundleContext kuraBare = bindFakeKuraCrypto(bare);
        String bareLog = logsOf(() -> bare.activate(kuraBare, NO_STORE,
                PropertyTypes.of(LoraDeviceComponent.Config.class, bad), bad));
        assertThat(bareLog).contains("property dev.addr").contains("the device is not in service");
        assertThat(bare.active()).isNull();
        assertThat(transport.transport().devices()).isEmpty();
    }

    /** The component gives its transport the counters file: a device's counters outlive the transport. */
    @Test
    void theTransportKeepsFrameCountersInTheComponentsFile(@TempDir Path dir) throws Exception {
        Path file = dir.resolve(LoraTransportComponent.COUNTERS_FILE);
        transport.countersFile(file);
        transport.activate(NO_STORE, tcfg("port", freeUdpPort()), TRANSPORT_PROPS);
        LoraDeviceComponent dev = new LoraDeviceComponent(transport);
        dev.activate(null, NO_STORE, abp("70B3D57ED0000001"), props("sensor-1"));
        transport.deactivate(); // closes the transport, which writes the file
        assertThat(file).exists();
        LoraTransportComponent again = new LoraTransportComponent();
        again.countersFile(file);
        again.activate(NO_STORE, tcfg("port", freeUdpPort()), TRANSPORT_PROPS);
        try {
            LoraDeviceComponent same = new LoraDeviceComponent(again);
            same.activate(null, NO_STORE, abp("70B3D57ED0000001"), props("sensor-1"));
            assertThat(again.transport().counters()).containsEntry("counters.restored", 1L);
        } finally {
            again.deactivate();
        }
    }

    static final long GW = 0xAA555A0000000001L;

    /** An uplink of the ABP device of {@link #abp} through a gateway, as a packet forwarder's PUSH_DATA. */
    static void uplink(DatagramSocket s, int port, long fcnt, String text) throws Exception {
        byte[] env = RadioEnvelope.encode(new Message(Route.parse("/service/sink"), Route.EMPTY,
                text.getBytes(StandardCharsets.UTF_8)), new RouteContext());
        byte[] phy = DataFrame.uplink(0x26011BDA, fcnt, LoraDevice.DEFAULT_FPORT, env)
                .encode(AesKey.ofHex(NWK), AesKey.ofHex(APP));
        RxPk rx = new RxPk(1, null, 868_100_000, 0, 0, 1, "LORA", "SF7BW125", "4/5", -80, 5, phy);
        byte[] pd = new SemtechPacket.PushData(7, GW, List.of(rx), 0, null).encode();
        s.send(new DatagramPacket(pd, pd.length, new InetSocketAddress("127.0.0.1", port)));
    }

    /**
     * The router attaches once, to the component (the Transport service), and stays attached whatever runs behind it:
     * while the port is taken nothing runs and sends are refused; the transport started once the port is free
     * delivers to the router; so does the transport after a reconfiguration that rebinds it to another port. While
     * the router is detached, uplinks are counted and dropped and the device's session goes on.
     */
    @Test
    void theRouterStaysAttachedAcrossARetriedStartAndAReconfiguration() throws Exception {
        List<Message> sink = new CopyOnWriteArrayList<>();
        router.register(Address.local("sink"), (m, ctx) -> sink.add(m));
        Address device = LoraDevice.address(0x70B3D57ED0000001L);
        DatagramSocket squatter = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0));
        int p1 = squatter.getLocalPort();
        logsOf(() -> transport.activate(NO_STORE, tcfg("port", p1, "dedup_window_ms", 0), TRANSPORT_PROPS));
        assertThat(transport.transport()).isNull();
        assertThat(transport.attached()).isTrue();
        assertThat(router.transport(Address.LORA)).containsSame(transport);
        assertThat(transport.send(device, Message.to(Route.EMPTY, new byte[1]))).isEqualTo(SendResult.DROPPED_STOPPED);
        assertThat(transport.counters()).containsEntry("drop.stopped", 1L);
        LoraDeviceComponent dev = new LoraDeviceComponent(transport);
        dev.activate(null, NO_STORE, abp("70B3D57ED0000001"), props("sensor-1"));

        squatter.close();
        Await.until("bound after the port was freed", Duration.ofSeconds(10), () -> transport.transport() != null);
        LoraTransport first = transport.transport();
        assertThat(first.attached()).as("the new transport delivers through the component's port").isTrue();
        try (DatagramSocket gw = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
            uplink(gw, p1, 0, "first");
            Await.until("delivery through the transport started late", Duration.ofSeconds(5), () -> sink.size() == 1);
            assertThat(sink.get(0).returnRoute().first()).isEqualTo(device);

            int p2 = freeUdpPort();
            transport.modified(tcfg("port", p2, "dedup_window_ms", 0), TRANSPORT_PROPS);
            assertThat(transport.transport().localPort()).isEqualTo(p2);
            uplink(gw, p2, 1, "after the reconfiguration");
            Await.until("delivery after the reconfiguration", Duration.ofSeconds(5), () -> sink.size() == 2);
            assertThat(new String(sink.get(1).payload(), StandardCharsets.UTF_8)).isEqualTo("after the reconfiguration");

            binding.close(); // the router's bundle stops: the transport runs on, counting what it cannot deliver
            assertThat(transport.attached()).isFalse();
            uplink(gw, p2, 2, "nobody listens");
            Await.until("the uplink counted as dropped", Duration.ofSeconds(5),
                    () -> transport.counters().getOrDefault(InboundPort.DROP_NO_ROUTER, 0L) == 1);
            assertThat(transport.transport().device(0x70B3D57ED0000001L).orElseThrow().fcntUp()).isEqualTo(2);

            binding = router.attach(transport); // and comes back
            uplink(gw, p2, 3, "back");
            Await.until("delivery to the router that came back", Duration.ofSeconds(5), () -> sink.size() == 3);
            assertThat(new String(sink.get(2).payload(), StandardCharsets.UTF_8)).isEqualTo("back");
        }
        assertThat(transport.transport()).isSameAs(first);
        assertThat(transport.counters()).containsEntry("messages.in", 4L).containsEntry(InboundPort.DROP_NO_ROUTER, 1L);
        dev.deactivate();
    }

    @Test
    void aPortInUseIsRetriedUntilItBinds() throws Exception {
        int port;
        DatagramSocket squatter = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0));
        port = squatter.getLocalPort();
        String logs = logsOf(() -> transport.activate(NO_STORE, tcfg("port", port), TRANSPORT_PROPS));
        assertThat(logs).contains("cannot bind UDP").contains("retrying");
        assertThat(transport.transport()).isNull();
        assertThat(transport.status()).contains("not listening");
        // devices configured meanwhile are kept and applied once bound
        LoraDeviceComponent dev = new LoraDeviceComponent(transport);
        dev.activate(null, NO_STORE, abp("70B3D57ED0000001"), props("early"));
        squatter.close();
        Await.until("bound after the port was freed", Duration.ofSeconds(10), () -> transport.transport() != null);
        assertThat(transport.transport().localPort()).isEqualTo(port);
        assertThat(transport.transport().devices()).hasSize(1);
    }

    @Test
    void deviceBuilderValidation() {
        assertThatThrownBy(() -> LoraDevice.abp(1, 2, null, null).build()).isInstanceOf(InvalidFieldException.class)
                .extracting(e -> ((InvalidFieldException) e).field()).isEqualTo("nwkSKey");
        assertThat(LoraDeviceComponent.routeContext(" ")).isEmpty();
        assertThat(LoraDeviceComponent.routeContext("/service/a,/service/b")).isEqualTo(List.of(Address.local("a"), Address.local("b")));
    }
}
