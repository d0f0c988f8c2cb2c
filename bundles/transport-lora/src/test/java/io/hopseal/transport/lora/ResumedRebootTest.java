package io.hopseal.transport.lora;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.hopseal.api.channel.ChannelOptions;
import io.hopseal.api.channel.ListenerOptions;
import io.hopseal.api.channel.SecureChannel;
import io.hopseal.api.routing.Address;
import io.hopseal.impl.memory.MemoryNetwork;
import io.hopseal.impl.routing.DefaultRouter;
import io.hopseal.node.HopsealNode;
import io.hopseal.testsupport.Await;
import io.hopseal.transport.lora.fragment.RouteContext;
import io.hopseal.transport.lora.lorawan.AesKey;
import io.hopseal.transport.lora.region.Region;
import io.hopseal.transport.lora.sim.LoraDeviceTransport;
import io.hopseal.transport.lora.sim.SimAir;
import io.hopseal.transport.lora.sim.SimDevice;
import io.hopseal.transport.lora.sim.SimForwarder;
import io.hopseal.vault.MemoryVault;

/**
 * A class A device at EU868 DR0 that reboots sends its next 20-byte reading in one uplink frame: its channel resumes
 * from its sealed session file (no handshake, no downlink), over real LoRaWAN frames and Semtech UDP to a gateway and on
 * to the backend. The radio's LoRaWAN session (frame counters and the route context learned in it) survives the reboot
 * as a real device keeps it.
 */
class ResumedRebootTest {
    static final long GW_EUI = 0xAA555A0000000002L;
    static final String ROUTE = "/lora/00/mem/backend/secure/api/service/telemetry";

    @TempDir
    Path state;

    @Test
    void aRebootedDeviceSendsItsNextReadingInOneUplinkFrameAtDr0() throws Exception {
        LoraDevice dev = LoraDevice.abp(0x70B3D57ED0000B00L, 0x26011C00,
                AesKey.ofHex("2b7e151628aed2a6abf7158809cf4f3c"), AesKey.ofHex("00112233445566778899aabbccddeeff"))
                // the static route context docs/lora.md recommends at DR0: the backend's address is never sent
                .routeContext(List.of(Address.of(Address.MEMORY, "backend"))).build();
        List<String> readings = new CopyOnWriteArrayList<>();
        MemoryVault deviceKeys = new MemoryVault(); // the device's vault survives its reboots (a file on a real device)
        // no withResumption: over a LoRaWAN hop, a node with a state folder resumes by default
        ChannelOptions options = ChannelOptions.defaults().withHandshakeTimeout(Duration.ofSeconds(60));
        try (MemoryNetwork net = new MemoryNetwork();
             HopsealNode backend = HopsealNode.builder().memory(net, "backend").build()) {
            backend.service("telemetry", (m, ctx) -> readings.add(new String(m.payload())));
            backend.channels().listen("api", ListenerOptions.defaults());
            DefaultRouter gatewayRouter = new DefaultRouter();
            try (LoraTransport lora = new LoraTransport(LoraTestSupport.fastConfig().build());
                 AutoCloseable loraBinding = gatewayRouter.attach(lora);
                 AutoCloseable memBinding = gatewayRouter.attach(net.attach("gateway"))) {
                lora.addDevice(dev);
                SimAir air = new SimAir(77);
                try (SimForwarder fwd = new SimForwarder(GW_EUI, lora.localAddress(), air, Region.EU868,
                        Duration.ofMillis(200))) {
                    SimDevice radio = new SimDevice(LoraTestSupport.fastDevice(dev, 0), air);
                    // kept with the radio's LoRaWAN session (frame counters) across the reboot, as a device keeps both
                    RouteContext kept = new RouteContext(dev.routeContext(), true);
                    Await.until("forwarder connected", Duration.ofSeconds(5), () -> !lora.gateways().isEmpty());
                    try (HopsealNode device = deviceNode(deviceKeys, radio, kept)) {
                        SecureChannel ch = device.channels().connect(ROUTE, options).get(60, TimeUnit.SECONDS);
                        ch.send("reading 00001 21.5 C".getBytes());
                        Await.until("the first reading", Duration.ofSeconds(20), () -> readings.size() == 1);
                    } // the device reboots: its node stops (the session stays sealed in its state folder)

                    Map<String, Long> before = lora.counters();
                    try (HopsealNode device = deviceNode(deviceKeys, radio, kept)) {
                        SecureChannel ch = device.channels().connect(ROUTE, options).get(5, TimeUnit.SECONDS);
                        assertThat(device.channels().counters()).containsEntry("resumption.resumed", 1L);
                        byte[] reading = "reading 00002 21.7 C".getBytes();
                        assertThat(reading).hasSize(20);
                        ch.send(reading);
                        Await.until("the reading after the reboot", Duration.ofSeconds(20), () -> readings.size() == 2);
                    }
                    Map<String, Long> after = lora.counters();
                    assertThat(after.get("uplink.frames") - before.get("uplink.frames"))
                            .as("uplink frames for the reading after the reboot").isEqualTo(1);
                    assertThat(after.getOrDefault("downlink.frames", 0L) - before.getOrDefault("downlink.frames", 0L))
                            .as("downlink frames: no handshake").isZero();
                    assertThat(readings).containsExactly("reading 00001 21.5 C", "reading 00002 21.7 C");
                }
            }
        }
    }

    private HopsealNode deviceNode(MemoryVault keys, SimDevice radio, RouteContext kept) {
        return HopsealNode.builder().vault(keys).stateFolder(state).transport(() -> new LoraDeviceTransport(radio,
                LoraDeviceTransport.Options.of(radio.device()).withPollInterval(null), kept)) // a sensor: uplinks only
                                                                                  // with a reading (or FPending)
                .build();
    }
}
