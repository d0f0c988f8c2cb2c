package io.hopseal.transport.lora;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.hopseal.api.routing.Address;
import io.hopseal.api.routing.Message;
import io.hopseal.api.routing.Route;
import io.hopseal.impl.routing.DefaultRouter;
import io.hopseal.testsupport.Await;
import io.hopseal.transport.lora.fragment.RadioEnvelope;
import io.hopseal.transport.lora.fragment.RouteContext;
import io.hopseal.transport.lora.region.Region;
import io.hopseal.transport.lora.sim.SimAir;
import io.hopseal.transport.lora.sim.SimDevice;
import io.hopseal.transport.lora.sim.SimForwarder;

/** The transport keeps frame counters in a file across a restart (a new transport on the same file). */
class CountersFileTest {
    static final long GW = 0xAA555A0000000001L;

    final List<Message> sink = new CopyOnWriteArrayList<>();

    LoraTransport start(DefaultRouter router, Path file) throws Exception {
        LoraTransport lora = new LoraTransport(LoraTestSupport.fastConfig().build(), file);
        router.attach(lora);
        lora.addDevice(CoreHarness.abp());
        return lora;
    }

    byte[] envelope(String text) {
        return RadioEnvelope.encode(new Message(Route.parse("/service/sink"), Route.of(Address.local("cdev01")),
                text.getBytes(StandardCharsets.UTF_8)), new RouteContext());
    }

    @Test
    void countersSurviveARestartInAnOwnerOnlyFileAndADamagedFileIsSetAside(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("lora-counters.bin");
        DefaultRouter router = new DefaultRouter();
        router.register(Address.local("sink"), (m, ctx) -> sink.add(m));
        LoraTransport lora = start(router, file);
        SimAir air = new SimAir(1);
        SimForwarder fwd = new SimForwarder(GW, lora.localAddress(), air, Region.EU868, Duration.ofMillis(200));
        SimDevice device = new SimDevice(LoraTestSupport.fastDevice(CoreHarness.abp(), 5), air);
        air.link(device, fwd, new SimAir.Link(-70, 9));
        try {
            Await.until("forwarder seen", Duration.ofSeconds(5), () -> lora.gateways().size() == 1);
            for (int i = 0; i < 3; i++) {
                device.send(100, envelope("m" + i), false);
            }
            Await.until("three uplinks delivered", Duration.ofSeconds(5), () -> sink.size() == 3);
            // written within about a second while the transport runs, not only at close
            Await.until("the counters file", Duration.ofSeconds(5), () -> Files.exists(file));
        } finally {
            fwd.close();
            lora.close();
        }
        if (Files.getFileStore(file).supportsFileAttributeView("posix")) {
            assertThat(Files.getPosixFilePermissions(file))
                    .isEqualTo(Set.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE));
        }
        List<SavedCounters> saved = SavedCounters.decode(Files.readAllBytes(file));
        assertThat(saved).singleElement().satisfies(c -> assertThat(c.fcntUp()).isEqualTo(2));

        LoraTransport again = start(new DefaultRouter(), file);
        try {
            assertThat(again.device(CoreHarness.DEV_EUI).orElseThrow().fcntUp()).isEqualTo(2);
            assertThat(again.device(CoreHarness.DEV_EUI).orElseThrow().fcntDown())
                    .isEqualTo(saved.get(0).fcntDown() + LoraTransport.DOWNLINK_MARGIN);
        } finally {
            again.close();
        }

        Files.write(file, new byte[] {1, 2, 3});
        LoraTransport fresh = start(new DefaultRouter(), file);
        try {
            assertThat(fresh.device(CoreHarness.DEV_EUI).orElseThrow().fcntUp()).isEqualTo(-1);
            assertThat(Files.readAllBytes(dir.resolve("lora-counters.bin.damaged"))).containsExactly(1, 2, 3);
        } finally {
            fresh.close();
        }
    }
}
