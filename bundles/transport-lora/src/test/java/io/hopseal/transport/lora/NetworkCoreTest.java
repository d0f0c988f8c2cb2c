package io.hopseal.transport.lora;

import static io.hopseal.transport.lora.CoreHarness.DEV_ADDR;
import static io.hopseal.transport.lora.CoreHarness.DEV_EUI;
import static io.hopseal.transport.lora.CoreHarness.up;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.hopseal.api.routing.Address;
import io.hopseal.api.routing.Message;
import io.hopseal.api.routing.Route;
import io.hopseal.api.routing.SendResult;
import io.hopseal.transport.lora.fragment.OutboundMessage;
import io.hopseal.transport.lora.fragment.RadioEnvelope;
import io.hopseal.transport.lora.fragment.RouteContext;
import io.hopseal.transport.lora.lorawan.AesKey;
import io.hopseal.transport.lora.lorawan.DataFrame;
import io.hopseal.transport.lora.lorawan.JoinAccept;
import io.hopseal.transport.lora.lorawan.JoinRequest;
import io.hopseal.transport.lora.lorawan.SessionKeys;
import io.hopseal.transport.lora.region.DataRate;
import io.hopseal.transport.lora.region.Region;
import io.hopseal.transport.lora.semtech.SemtechPacket;
import io.hopseal.transport.lora.semtech.TxPk;

class NetworkCoreTest {
    static final long GW1 = 0xAA555A0000000001L;
    static final long GW2 = 0xAA555A0000000002L;
    static final Region EU = Region.EU868;
    static final DataRate DR5 = EU.uplinkDataRate(5);
    static final DataRate DR0 = EU.uplinkDataRate(0);
    static final Address DEV = LoraDevice.address(DEV_EUI);
    static final Route TO_API = Route.parse("/tcp/10.0.0.5:4000/service/api");

    final RouteContext deviceCtx = new RouteContext();

    CoreHarness harness(LoraConfig.Builder b) {
        CoreHarness h = new CoreHarness(b.build());
        h.core.putDevice(CoreHarness.abp());
        h.pullData(GW1);
        h.pullData(GW2);
        h.sent.clear();
        return h;
    }

    byte[] hello(int size) {
        return RadioEnvelope.encode(new Message(TO_API, Route.of(Address.local("cdev01")), new byte[size]), deviceCtx);
    }

    Message toDevice(int size) {
        return toDevice(size, 0);
    }

    Message toDevice(int size, int tag) {
        byte[] p = new byte[size];
        if (size > 0) {
            p[0] = (byte) tag;
        }
        return new Message(Route.of(Address.local("cdev01")), Route.parse("/tcp/10.0.0.5:4000/service/cback1"), p);
    }

    @Test
    void uplinkFromTwoGatewaysIsDeliveredOnceWithTheDevEuiPrepended() {
        CoreHarness h = harness(CoreHarness.config());
        byte[] phy = up(0, 100, hello(20));
        h.rx(GW1, phy, 1_000_000, 868_100_000, DR5, -110, -5.0);
        h.rx(GW2, phy, 7_000_000, 868_100_000, DR5, -60, 9.5);
        assertThat(h.delivered).isEmpty(); // still collecting copies
        h.advance(Duration.ofMillis(200));
        assertThat(h.delivered).hasSize(1);
        Message m = h.delivered.get(0);
        assertThat(m.onwardRoute()).isEqualTo(TO_API);
        assertThat(m.returnRoute()).isEqualTo(Route.of(DEV, Address.local("cdev01")));
        assertThat(m.payload()).hasSize(20);
        assertThat(h.counter("uplink.duplicates")).isEqualTo(1);
        // both gateways got a PUSH_ACK
        assertThat(h.sent.stream().filter(s -> s.packet() instanceof SemtechPacket.PushAck)).hasSize(2);
        // a copy arriving after processing is a late duplicate, not a replay
        h.rx(GW1, phy, 1_000_500, 868_100_000, DR5, -110, -5.0);
        h.advance(Duration.ofMillis(200));
        assertThat(h.delivered).hasSize(1);
        assertThat(h.counter("uplink.duplicates_late")).isEqualTo(1);
        // the reply goes to the gateway that heard the device best (GW2), in its RX1
        assertThat(h.core.send(DEV, toDevice(10), h.now, h)).isEqualTo(SendResult.FORWARDED);
        CoreHarness.Sent s = h.lastPullResp();
        assertThat(s.to()).isEqualTo(CoreHarness.pull(GW2));
        assertThat(((SemtechPacket.PullResp) s.packet()).txpk().tmst()).isEqualTo(8_000_000L);
    }

    @Test
    void eu868DownlinkInRx1AtTmstPlusOneSecondOnTheUplinkFrequency() throws Exception {
        CoreHarness h = harness(CoreHarness.config());
        h.core.send(DEV, toDevice(10), h.now, h); // queued: no window yet
        assertThat(h.pullResps()).isEmpty();
        long tmst = 4_294_000_000L; // the counter wraps in the RX1 delay
        h.rx(GW1, up(0, 100, hello(5)), tmst, 868_300_000, DR5, -80, 7);
        h.advance(Duration.ofMillis(200));
        List<SemtechPacket.PullResp> prs = h.pullResps();
        assertThat(prs).hasSize(1);
        TxPk t = prs.get(0).txpk();
        assertThat(t.imme()).isFalse();
        assertThat(t.tmst()).isEqualTo((tmst + 1_000_000L) & 0xFFFF_FFFFL);
        assertThat(t.freqHz()).isEqualTo(868_300_000L);
        assertThat(t.datr()).isEqualTo("SF7BW125");
        assertThat(t.codr()).isEqualTo("4/5");
        assertThat(t.ipol()).isTrue();
        assertThat(t.powe()).isEqualTo(14);
        DataFrame f = CoreHarness.down(t.data(), -1);
        assertThat(f.mtype().isDataDown()).isTrue();
        assertThat(f.devAddr()).isEqualTo(DEV_ADDR);
        assertThat(f.fcnt()).isZero();
        assertThat(f.fport()).isEqualTo(100);
        assertThat(f.fPending()).isFalse();
        Message m = RadioEnvelope.decode(f.payload(), deviceCtx);
        assertThat(m.payload()).hasSize(10);
        assertThat(m.onwardRoute()).isEqualTo(Route.of(Address.local("cdev01")));
        assertThat(h.counter("downlink.rx1")).isEqualTo(1);
    }

    @Test
    void rx1OffsetAndRx2WhenTheMessageComesAfterTheRx1Deadline() throws Exception {
        CoreHarness h = harness(CoreHarness.config().rx1DrOffset(2));
        h.rx(GW1, up(0, 100, hello(5)), 1000, 868_500_000, DR5, -80, 7);
        h.advance(Duration.ofMillis(200));
        assertThat(h.pullResps()).isEmpty(); // window open, nothing to send yet
        // arrives 950 ms after the uplink: too late for RX1 (needs 100 ms lead), in time for RX2
        h.advance(Duration.ofMillis(750));
        h.core.send(DEV, toDevice(10), h.now, h);
        TxPk t = h.pullResps().get(0).txpk();
        assertThat(t.tmst()).isEqualTo(1000 + 2_000_000L);
        assertThat(t.freqHz()).isEqualTo(869_525_000L);
        assertThat(t.datr()).isEqualTo("SF12BW125");
        assertThat(h.counter("downlink.rx2")).isEqualTo(1);
        // within RX1 the offset applies: DR5 - 2 = DR3
        h.rx(GW1, up(1, 100, hello(5)), 5_000_000, 868_500_000, DR5, -80, 7);
        h.advance(Duration.ofMillis(200));
        h.core.send(DEV, toDevice(11), h.now, h);
        TxPk t2 = h.pullResps().get(1).txpk();
        assertThat(t2.tmst()).isEqualTo(6_000_000L);
        assertThat(t2.datr()).isEqualTo("SF9BW125");
        assertThat(t2.freqHz()).isEqualTo(868_500_000L);
        // after RX2 has passed, a message waits for the next uplink
        h.rx(GW1, up(2, 100, hello(5)), 9_000_000, 868_500_000, DR5, -80, 7);
        h.advance(Duration.ofMillis(2000));
        assertThat(h.core.send(DEV, toDevice(12), h.now, h)).isEqualTo(SendResult.FORWARDED);
        assertThat(h.pullResps()).hasSize(2);
        assertThat(h.core.deviceInfo(DEV_EUI).queuedMessages()).isEqualTo(1);
    }

    @Test
    void us915UsesItsDownlinkChannelsAndDataRates() throws Exception {
        CoreHarness h = new CoreHarness(CoreHarness.config().region(Region.US915).build());
        h.core.putDevice(CoreHarness.abp());
        h.pullData(GW1);
        Region us = Region.US915;
        // uplink on channel 9 (904.1 MHz) at DR2 (SF8BW125): RX1 on 923.9 MHz at DR12 (SF8BW500)
        h.rx(GW1, up(0, 100, hello(5)), 100, 904_100_000, us.uplinkDataRate(2), -80, 7);
        h.advance(Duration.ofMillis(200));
        h.core.send(DEV, toDevice(10), h.now, h);
        TxPk t = h.pullResps().get(0).txpk();
        assertThat(t.freqHz()).isEqualTo(923_900_000L);
        assertThat(t.datr()).isEqualTo("SF8BW500");
        assertThat(t.tmst()).isEqualTo(1_000_100L);
        assertThat(t.powe()).isEqualTo(20);
        // late: RX2 at 923.3 MHz DR8
        h.rx(GW1, up(1, 100, hello(5)), 10_000_000, 905_300_000, us.uplinkDataRate(3), -80, 7);
        h.advance(Duration.ofMillis(950));
        h.core.send(DEV, toDevice(11), h.now, h);
        TxPk t2 = h.pullResps().get(1).txpk();
        assertThat(t2.freqHz()).isEqualTo(923_300_000L);
        assertThat(t2.datr()).isEqualTo("SF12BW500");
        assertThat(t2.tmst()).isEqualTo(12_000_000L);
    }

    @Test
    void largeMessagesAreFragmentedOnePieceperWindowWithFPending() throws Exception {
        CoreHarness h = harness(CoreHarness.config());
        h.core.send(DEV, toDevice(198), h.now, h);
        h.core.send(DEV, toDevice(20), h.now, h);
        byte[] whole = null;
        io.hopseal.transport.lora.fragment.Reassembler r = new io.hopseal.transport.lora.fragment.Reassembler(4096,
                Long.MAX_VALUE / 4, n -> { });
        long last = -1;
        int frames = 0;
        for (int fcnt = 0; fcnt < 20 && h.core.deviceInfo(DEV_EUI).queuedMessages() > 0; fcnt++) {
            h.rx(GW1, up(fcnt, fcnt == 0 ? 100 : -1, fcnt == 0 ? hello(5) : null), fcnt * 10_000_000L, 868_100_000, DR0, -80, 7);
            h.advance(Duration.ofMillis(200));
            TxPk t = h.pullResps().get(frames).txpk();
            assertThat(t.data().length).isLessThanOrEqualTo(51 + 13);
            DataFrame f = CoreHarness.down(t.data(), last);
            last = f.fcnt();
            assertThat(f.fcnt()).isEqualTo(frames);
            frames++;
            byte[] env = r.accept(f.fcnt(), f.payload(), 0);
            if (env != null && whole == null) {
                whole = env;
            }
            boolean more = h.core.deviceInfo(DEV_EUI).queuedMessages() > 0;
            assertThat(f.fPending()).isEqualTo(more);
        }
        // 198 + 22 envelope bytes at 50 per fragment = 5 frames, then the 20-byte message unfragmented (42 bytes)
        assertThat(frames).isEqualTo(6);
        assertThat(RadioEnvelope.decode(whole, deviceCtx).payload()).hasSize(198);
        assertThat(h.counter("downlink.fragments")).isEqualTo(5);
        assertThat(h.counter("downlink.unfragmented")).isEqualTo(1);
    }

    @Test
    void txAckErrorSendsTheSameFrameAgainInRx2() throws Exception {
        CoreHarness h = harness(CoreHarness.config());
        h.rx(GW1, up(0, 100, hello(5)), 1000, 868_100_000, DR5, -80, 7);
        h.advance(Duration.ofMillis(200));
        h.core.send(DEV, toDevice(10), h.now, h);
        SemtechPacket.PullResp first = h.pullResps().get(0);
        h.txAck(GW1, first.token(), "TOO_LATE");
        assertThat(h.counter("downlink.tx_error.too_late")).isEqualTo(1);
        SemtechPacket.PullResp second = h.pullResps().get(1);
        assertThat(second.txpk().tmst()).isEqualTo(1000 + 2_000_000L);
        assertThat(second.txpk().freqHz()).isEqualTo(869_525_000L);
        assertThat(CoreHarness.down(second.txpk().data(), -1).fcnt())
                .isEqualTo(CoreHarness.down(first.txpk().data(), -1).fcnt());
        h.txAck(GW1, second.token(), "NONE");
        assertThat(h.counter("downlink.tx_ok")).isEqualTo(1);
        // an unknown token is counted, nothing else
        h.txAck(GW1, 0xFFFF ^ second.token(), "NONE");
        assertThat(h.counter("drop.tx_ack_unknown")).isEqualTo(1);
    }

    @Test
    void dutyCycleRefusesAndCountsDownlinksThatWouldExceedTheSubBandBudget() {
        // RX2 moved into g1 too, so both windows share the 1 % budget (36 s/h)
        CoreHarness h = harness(CoreHarness.config().rx2FrequencyHz(868_500_000L).downlinkQueueBytes(8192).downlinkTtl(Duration.ofHours(3)));
        for (int i = 0; i < 20; i++) {
            // 22 envelope bytes + 29 = 51: one full frame each
            assertThat(h.core.send(DEV, toDevice(29, i), h.now, h)).isEqualTo(SendResult.FORWARDED);
        }
        int fcnt = 0;
        for (int i = 0; i < 20; i++) {
            h.rx(GW1, up(fcnt++, -1, null), i * 10_000_000L, 868_100_000, DR0, -80, 7);
            h.advance(Duration.ofMillis(200));
            h.advance(Duration.ofMillis(2800));
        }
        // each 51-byte frame at SF12 takes ~2.8 s: 12 fit in 36 s
        assertThat(h.pullResps()).hasSize(12);
        assertThat(h.counter("downlink.refused.duty_cycle")).isGreaterThanOrEqualTo(8);
        assertThat(h.counter("downlink.deferred")).isEqualTo(8);
        assertThat(h.core.deviceInfo(DEV_EUI).queuedMessages()).isEqualTo(8);
        assertThat(h.core.dutyCycle().usedMillis(GW1, 868_100_000L, h.now / 1_000_000)).isLessThanOrEqualTo(36_000);
        // an hour later the budget is back
        h.advance(Duration.ofMinutes(61));
        h.pullData(GW1); // the forwarder's keep-alive (a gateway silent for 2 min gets no downlinks)
        h.rx(GW1, up(fcnt, -1, null), 0, 868_100_000, DR0, -80, 7);
        h.advance(Duration.ofMillis(200));
        assertThat(h.pullResps()).hasSize(13);
    }

    @Test
    void badFramesAreCountedAndChangeNothing() {
        CoreHarness h = harness(CoreHarness.config());
        byte[] good = up(5, 100, hello(5));
        byte[] badMic = good.clone();
        badMic[badMic.length - 1] ^= 1;
        h.rx(GW1, badMic, 1, 868_100_000, DR5, -80, 7);
        byte[] otherAddr = io.hopseal.transport.lora.lorawan.DataFrame.uplink(0x11111111, 0, 100, new byte[3])
                .encode(CoreHarness.NWK, CoreHarness.APP);
        h.rx(GW1, otherAddr, 2, 868_100_000, DR5, -80, 7);
        h.rx(GW1, new byte[] {0x40, 1, 2}, 3, 868_100_000, DR5, -80, 7);
        h.advance(Duration.ofMillis(200));
        assertThat(h.counter("drop.mic")).isEqualTo(1);
        assertThat(h.counter("drop.unknown_devaddr")).isEqualTo(1);
        assertThat(h.counter("drop.malformed_frame")).isEqualTo(1);
        assertThat(h.delivered).isEmpty();
        assertThat(h.core.deviceInfo(DEV_EUI).fcntUp()).isEqualTo(-1);
        // the genuine frame still goes through, and replaying it later is refused
        h.rx(GW1, good, 4, 868_100_000, DR5, -80, 7);
        h.advance(Duration.ofMillis(200));
        assertThat(h.delivered).hasSize(1);
        h.advance(Duration.ofSeconds(11)); // out of the late-duplicate memory
        h.rx(GW1, good, 5, 868_100_000, DR5, -80, 7);
        h.advance(Duration.ofMillis(200));
        assertThat(h.counter("drop.replay")).isEqualTo(1);
        assertThat(h.delivered).hasSize(1);
        // CRC errors and unknown data rates
        io.hopseal.transport.lora.semtech.RxPk crc = new io.hopseal.transport.lora.semtech.RxPk(1, null, 868_100_000, 0, 0,
                -1, "LORA", "SF7BW125", "4/5", -80, 7, good);
        h.receive(CoreHarness.push(GW1), new SemtechPacket.PushData(9, GW1, List.of(crc), 0, null).encode());
        io.hopseal.transport.lora.semtech.RxPk sf6 = new io.hopseal.transport.lora.semtech.RxPk(1, null, 868_100_000, 0, 0,
                1, "LORA", "SF6BW125", "4/5", -80, 7, good);
        h.receive(CoreHarness.push(GW1), new SemtechPacket.PushData(9, GW1, List.of(sf6), 0, null).encode());
        assertThat(h.counter("drop.crc")).isEqualTo(1);
        assertThat(h.counter("drop.unknown_datarate")).isEqualTo(1);
    }

    @Test
    void frameCounterRolloverAtTheServer() {
        CoreHarness h = harness(CoreHarness.config());
        long[] counters = {0xFFFD, 0xFFFE, 0xFFFF, 0x1_0000, 0x1_0001};
        for (long c : counters) {
            h.rx(GW1, up(c, 100, hello(5 + (int) (c & 3))), c, 868_100_000, DR5, -80, 7);
            h.advance(Duration.ofMillis(200));
        }
        assertThat(h.delivered).hasSize(5);
        assertThat(h.core.deviceInfo(DEV_EUI).fcntUp()).isEqualTo(0x1_0001L);
        // a frame from before the rollover is a replay
        h.advance(Duration.ofSeconds(11));
        h.rx(GW1, up(0xFFFF, 100, hello(6)), 1, 868_100_000, DR5, -80, 7);
        h.advance(Duration.ofMillis(200));
        assertThat(h.counter("drop.replay")).isEqualTo(1);
    }

    @Test
    void uplinkFragmentsAreReassembledAndALostOneIsDetected() {
        CoreHarness h = harness(CoreHarness.config());
        byte[] env = hello(150);
        OutboundMessage m = new OutboundMessage(env, 0);
        int fcnt = 0;
        while (!m.done()) {
            h.rx(GW1, up(fcnt++, 100, m.nextFrame(51)), fcnt, 868_100_000, DR0, -80, 7);
            h.advance(Duration.ofMillis(200));
        }
        assertThat(h.delivered).hasSize(1);
        assertThat(h.delivered.get(0).payload()).hasSize(150);
        m = new OutboundMessage(hello(150), 0);
        int i = 0;
        while (!m.done()) {
            byte[] f = m.nextFrame(51);
            if (i++ != 1) {
                h.rx(GW1, up(fcnt, 100, f), fcnt, 868_100_000, DR0, -80, 7);
                h.advance(Duration.ofMillis(200));
            }
            fcnt++;
        }
        assertThat(h.delivered).hasSize(1);
        assertThat(h.counter("drop.fragments_lost")).isEqualTo(1);
        assertThat(h.core.reassemblyBufferedBytes()).isZero();
    }

    @Test
    void sendRefusals() {
        CoreHarness h = harness(CoreHarness.config().maxMessageSize(256).downlinkQueueBytes(600));
        assertThat(h.core.send(LoraDevice.address(42), toDevice(5), h.now, h)).isEqualTo(SendResult.DROPPED_LINK_DOWN);
        assertThat(h.core.send(Address.of(Address.LORA, "0102"), toDevice(5), h.now, h)).isEqualTo(SendResult.DROPPED_MALFORMED);
        assertThat(h.core.send(DEV, toDevice(300), h.now, h)).isEqualTo(SendResult.DROPPED_TOO_LARGE);
        assertThat(h.core.send(DEV, toDevice(200), h.now, h)).isEqualTo(SendResult.FORWARDED);
        assertThat(h.core.send(DEV, toDevice(200), h.now, h)).isEqualTo(SendResult.FORWARDED); // identical: suppressed
        assertThat(h.counter("downlink.duplicate_suppressed")).isEqualTo(1);
        assertThat(h.core.send(DEV, toDevice(201), h.now, h)).isEqualTo(SendResult.FORWARDED);
        assertThat(h.core.send(DEV, toDevice(202), h.now, h)).isEqualTo(SendResult.DROPPED_QUEUE_FULL);
        Map<String, Long> c = h.counters.snapshot();
        assertThat(c).containsEntry("drop.unknown_device", 1L).containsEntry("drop.too_large", 1L)
                .containsEntry("drop.queue_full", 1L).containsEntry("drop.malformed", 1L);
        h.advance(Duration.ofHours(2));
        assertThat(h.core.deviceInfo(DEV_EUI).queuedMessages()).isZero();
        assertThat(h.counter("drop.downlink_expired")).isEqualTo(2);
    }

    @Test
    void otaaJoinDerivesASessionAndRefusesAReusedDevNonce() throws Exception {
        AesKey appKey = AesKey.ofHex("2b7e151628aed2a6abf7158809cf4f3c");
        long eui = 0x0004A30B001C0530L;
        CoreHarness h = new CoreHarness(CoreHarness.config().netId(0x000013).build());
        h.core.putDevice(LoraDevice.otaa(eui, appKey).build());
        h.pullData(GW1);
        assertThat(h.core.send(LoraDevice.address(eui), toDevice(3), h.now, h)).isEqualTo(SendResult.DROPPED_LINK_DOWN);
        byte[] req = new JoinRequest(0x70B3D57ED0000000L, eui, 0x1234).encode(appKey);
        h.rx(GW1, req, 50_000, 868_100_000, DR5, -80, 7);
        h.advance(Duration.ofMillis(200));
        TxPk t = h.pullResps().get(0).txpk();
        assertThat(t.tmst()).isEqualTo(50_000 + 5_000_000L); // JOIN_ACCEPT_DELAY1
        assertThat(t.freqHz()).isEqualTo(868_100_000L);
        assertThat(t.datr()).isEqualTo("SF7BW125");
        JoinAccept ja = JoinAccept.decode(t.data(), appKey);
        assertThat(ja.netId()).isEqualTo(0x13);
        assertThat(ja.rxDelay()).isEqualTo(1);
        SessionKeys k = SessionKeys.derive(appKey, ja.appNonce(), ja.netId(), 0x1234);
        // the device uses its new session
        byte[] env = RadioEnvelope.encode(new Message(TO_API, Route.of(Address.local("cdev01")), new byte[4]), new RouteContext());
        byte[] phy = DataFrame.uplink(ja.devAddr(), 0, 100, env).encode(k.nwkSKey(), k.appSKey());
        h.rx(GW1, phy, 60_000_000, 868_100_000, DR5, -80, 7);
        h.advance(Duration.ofMillis(200));
        assertThat(h.delivered).hasSize(1);
        assertThat(h.delivered.get(0).returnRoute().first()).isEqualTo(LoraDevice.address(eui));
        // the same DevNonce again: refused, and the session stays
        h.advance(Duration.ofSeconds(11));
        h.rx(GW1, req, 70_000_000, 868_100_000, DR5, -80, 7);
        h.advance(Duration.ofMillis(200));
        assertThat(h.counter("drop.join_devnonce_replay")).isEqualTo(1);
        assertThat(h.core.deviceInfo(eui).devAddr()).isEqualTo(ja.devAddr());
        // a join-request with a wrong MIC or for an unknown DevEUI
        byte[] bad = new JoinRequest(0, eui, 0x9999).encode(AesKey.ofHex("000102030405060708090a0b0c0d0e0f"));
        h.rx(GW1, bad, 80_000_000, 868_100_000, DR5, -80, 7);
        h.rx(GW1, new JoinRequest(0, 77, 1).encode(appKey), 80_000_000, 868_100_000, DR5, -80, 7);
        h.advance(Duration.ofMillis(200));
        assertThat(h.counter("drop.join_mic")).isEqualTo(1);
        assertThat(h.counter("drop.join_unknown_device")).isEqualTo(1);
        assertThat(h.counter("join.accepted")).isEqualTo(1);
    }

    @Test
    void gatewaysOutsideTheAllowListAreIgnored() {
        CoreHarness h = new CoreHarness(CoreHarness.config().allowedGateways(java.util.Set.of(GW1)).build());
        h.core.putDevice(CoreHarness.abp());
        h.pullData(GW2);
        h.rx(GW2, up(0, 100, hello(3)), 1, 868_100_000, DR5, -80, 7);
        h.advance(Duration.ofMillis(200));
        assertThat(h.sent).isEmpty();
        assertThat(h.delivered).isEmpty();
        assertThat(h.counter("drop.gateway_not_allowed")).isEqualTo(2);
    }
}
