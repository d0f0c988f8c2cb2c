package io.hopseal.transport.lora;

import static io.hopseal.transport.lora.CoreHarness.DEV_EUI;
import static io.hopseal.transport.lora.CoreHarness.up;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.Test;

import io.hopseal.api.routing.Address;
import io.hopseal.api.routing.Message;
import io.hopseal.api.routing.Route;
import io.hopseal.transport.lora.fragment.RadioEnvelope;
import io.hopseal.transport.lora.fragment.RouteContext;
import io.hopseal.transport.lora.lorawan.AesKey;
import io.hopseal.transport.lora.lorawan.JoinRequest;
import io.hopseal.transport.lora.region.DataRate;
import io.hopseal.transport.lora.region.Region;

/** Frame counters and DevNonces across a restart of the network core (a new core fed the saved state). */
class SavedCountersTest {
    static final long GW = 0xAA555A0000000001L;
    static final DataRate DR5 = Region.EU868.uplinkDataRate(5);
    static final Route TO_API = Route.parse("/tcp/10.0.0.5:4000/service/api");

    static byte[] hello() {
        return RadioEnvelope.encode(new Message(TO_API, Route.of(Address.local("cdev01")), new byte[4]),
                new RouteContext());
    }

    static Message toDevice() {
        return new Message(Route.of(Address.local("cdev01")), Route.parse("/tcp/10.0.0.5:4000/service/cback1"),
                new byte[3]);
    }

    static CoreHarness restarted(List<SavedCounters> saved) {
        CoreHarness h = new CoreHarness(CoreHarness.config().build());
        h.core.restoreCounters(SavedCounters.decode(SavedCounters.encode(saved)), LoraTransport.DOWNLINK_MARGIN);
        h.core.putDevice(CoreHarness.abp());
        h.pullData(GW);
        return h;
    }

    @Test
    void anAbpDeviceKeepsItsCountersAcrossARestart() throws Exception {
        CoreHarness h = new CoreHarness(CoreHarness.config().build());
        h.core.putDevice(CoreHarness.abp());
        h.pullData(GW);
        for (int fcnt = 0; fcnt < 3; fcnt++) {
            h.core.send(LoraDevice.address(DEV_EUI), toDevice(), h.now, h);
            h.rx(GW, up(fcnt, 100, hello()), 1_000_000L * (fcnt + 1), 868_100_000, DR5, -80, 7);
            h.advance(Duration.ofMillis(300)); // past the dedup window: the class A window opens
            h.advance(Duration.ofSeconds(3));
        }
        assertThat(h.delivered).hasSize(3);
        assertThat(h.core.deviceInfo(DEV_EUI).fcntDown()).as("%s", h.counters.snapshot()).isEqualTo(3);
        assertThat(h.core.countersChanged()).isTrue();
        List<SavedCounters> saved = h.core.countersToSave();
        assertThat(h.core.countersChanged()).isFalse();

        CoreHarness after = restarted(saved);
        assertThat(after.core.deviceInfo(DEV_EUI).fcntUp()).isEqualTo(2);
        assertThat(after.core.deviceInfo(DEV_EUI).fcntDown()).isEqualTo(3 + LoraTransport.DOWNLINK_MARGIN);
        assertThat(after.counter("counters.restored")).isEqualTo(1);
        // an uplink recorded before the restart is a replay now
        after.rx(GW, up(1, 100, hello()), 9_000_000, 868_100_000, DR5, -80, 7);
        after.advance(Duration.ofMillis(300));
        assertThat(after.counter("drop.replay")).isEqualTo(1);
        assertThat(after.delivered).isEmpty();
        // the next downlink carries a counter the device has never seen
        after.core.send(LoraDevice.address(DEV_EUI), toDevice(), after.now, after);
        after.rx(GW, up(3, 100, hello()), 20_000_000, 868_100_000, DR5, -80, 7);
        after.advance(Duration.ofMillis(300));
        after.advance(Duration.ofSeconds(3));
        assertThat(after.delivered).hasSize(1);
        assertThat(CoreHarness.down(after.pullResps().get(0).txpk().data(), 2).fcnt())
                .isEqualTo(3 + LoraTransport.DOWNLINK_MARGIN);

        // the same device configured with other keys starts a new session: the saved counters are not used
        CoreHarness rekeyed = new CoreHarness(CoreHarness.config().build());
        rekeyed.core.restoreCounters(saved, LoraTransport.DOWNLINK_MARGIN);
        rekeyed.core.putDevice(LoraDevice.abp(DEV_EUI, CoreHarness.DEV_ADDR,
                AesKey.ofHex("000102030405060708090a0b0c0d0e0f"), CoreHarness.APP).build());
        assertThat(rekeyed.core.deviceInfo(DEV_EUI).fcntUp()).isEqualTo(-1);
        assertThat(rekeyed.core.deviceInfo(DEV_EUI).fcntDown()).isZero();
        assertThat(rekeyed.counter("counters.restored")).isZero();
    }

    @Test
    void raisingTheCounterResetLetsADeviceWhoseCountersStartedOverBeHeardAgain() {
        CoreHarness h = new CoreHarness(CoreHarness.config().build());
        h.core.putDevice(CoreHarness.abp());
        h.pullData(GW);
        h.rx(GW, up(40, 100, hello()), 1_000_000, 868_100_000, DR5, -80, 7);
        h.advance(Duration.ofMillis(300));
        List<SavedCounters> saved = h.core.countersToSave();

        CoreHarness after = restarted(saved); // the device lost its counters meanwhile and starts from 0
        after.rx(GW, up(0, 100, hello()), 2_000_000, 868_100_000, DR5, -80, 7);
        after.advance(Duration.ofMillis(300));
        assertThat(after.counter("drop.replay")).isEqualTo(1);
        LoraDevice raised = LoraDevice.abp(DEV_EUI, CoreHarness.DEV_ADDR, CoreHarness.NWK, CoreHarness.APP)
                .counterReset(1).build();
        after.core.putDevice(raised); // the operator raises "Frame counter reset"
        after.advance(Duration.ofSeconds(11)); // past the duplicate-suppression memory of the refused frame
        after.rx(GW, up(0, 100, hello()), 30_000_000, 868_100_000, DR5, -80, 7);
        after.advance(Duration.ofMillis(300));
        assertThat(after.delivered).hasSize(1);

        // and a gateway restarted with the old saved counters does not apply them to the raised generation
        CoreHarness again = new CoreHarness(CoreHarness.config().build());
        again.core.restoreCounters(saved, LoraTransport.DOWNLINK_MARGIN);
        again.core.putDevice(raised);
        assertThat(again.core.deviceInfo(DEV_EUI).fcntUp()).isEqualTo(-1);
    }

    @Test
    void aRemovedDeviceConfiguredAgainContinuesAndUnconfiguredOnesAreKept() {
        CoreHarness h = new CoreHarness(CoreHarness.config().build());
        h.core.putDevice(CoreHarness.abp());
        h.pullData(GW);
        h.rx(GW, up(7, 100, hello()), 1_000_000, 868_100_000, DR5, -80, 7);
        h.advance(Duration.ofMillis(300));
        h.core.removeDevice(DEV_EUI); // e.g. its bundle is updated
        assertThat(h.core.countersToSave()).extracting(SavedCounters::fcntUp).containsExactly(7L);
        h.core.putDevice(CoreHarness.abp());
        assertThat(h.core.deviceInfo(DEV_EUI).fcntUp()).isEqualTo(7);
    }

    @Test
    void anOtaaDeviceKeepsItsUsedDevNonces() {
        AesKey appKey = AesKey.ofHex("2b7e151628aed2a6abf7158809cf4f3c");
        long eui = 0x0004A30B001C0530L;
        CoreHarness h = new CoreHarness(CoreHarness.config().build());
        h.core.putDevice(LoraDevice.otaa(eui, appKey).build());
        h.pullData(GW);
        byte[] req = new JoinRequest(0x70B3D57ED0000000L, eui, 0x1234).encode(appKey);
        h.rx(GW, req, 50_000, 868_100_000, DR5, -80, 7);
        h.advance(Duration.ofMillis(300));
        assertThat(h.counter("join.accepted")).isEqualTo(1);

        CoreHarness after = new CoreHarness(CoreHarness.config().build());
        after.core.restoreCounters(h.core.countersToSave(), LoraTransport.DOWNLINK_MARGIN);
        after.core.putDevice(LoraDevice.otaa(eui, appKey).build());
        after.pullData(GW);
        after.rx(GW, req, 60_000_000, 868_100_000, DR5, -80, 7); // a recorded join-request replayed after the restart
        after.advance(Duration.ofMillis(300));
        assertThat(after.counter("drop.join_devnonce_replay")).isEqualTo(1);
        assertThat(after.counter("join.accepted")).isZero();
    }

    @Test
    void theFileFormatRoundTripsAndRefusesEveryDamagedFile() {
        List<SavedCounters> all = List.of(new SavedCounters(1, 2, 3, 4, new int[] {5, 6}),
                new SavedCounters(7, 8, -1, 0, new int[0]));
        byte[] b = SavedCounters.encode(all);
        List<SavedCounters> back = SavedCounters.decode(b);
        assertThat(back).hasSize(2);
        assertThat(back.get(0).devNonces()).containsExactly(5, 6);
        assertThat(back.get(1).fcntUp()).isEqualTo(-1);
        int refused = 0;
        for (int cut = 0; cut < b.length; cut++) {
            byte[] truncated = Arrays.copyOf(b, cut);
            assertThatThrownBy(() -> SavedCounters.decode(truncated)).isInstanceOf(IllegalArgumentException.class);
            refused++;
        }
        byte[] huge = b.clone();
        ByteBuffer.wrap(huge).putInt(5, Integer.MAX_VALUE); // device count far beyond the file
        assertThatThrownBy(() -> SavedCounters.decode(huge)).isInstanceOf(IllegalArgumentException.class);
        byte[] badCounter = b.clone();
        ByteBuffer.wrap(badCounter).putLong(9 + 16, 0x1_0000_0000L); // fcntUp beyond 32 bits
        assertThatThrownBy(() -> SavedCounters.decode(badCounter)).isInstanceOf(IllegalArgumentException.class);
        byte[] trailing = Arrays.copyOf(b, b.length + 1);
        assertThatThrownBy(() -> SavedCounters.decode(trailing)).isInstanceOf(IllegalArgumentException.class);
        System.out.println("saved counters: " + refused + " truncations refused");
    }
}
