package io.hopseal.transport.lora;

import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import io.hopseal.api.routing.Message;
import io.hopseal.api.transport.Counters;
import io.hopseal.transport.lora.lorawan.AesKey;
import io.hopseal.transport.lora.lorawan.DataFrame;
import io.hopseal.transport.lora.lorawan.FrameCounter;
import io.hopseal.transport.lora.region.DataRate;
import io.hopseal.transport.lora.semtech.RxPk;
import io.hopseal.transport.lora.semtech.SemtechException;
import io.hopseal.transport.lora.semtech.SemtechPacket;

/** Drives a {@link NetworkCore} with a fake clock and fake gateways. */
final class CoreHarness implements NetworkCore.Outbox {
    static final AesKey NWK = AesKey.ofHex("44024241ed4ce9a68c6a8bc055233fd3");
    static final AesKey APP = AesKey.ofHex("ec925802ae430ca77fd3dd73cb2cc588");
    static final long DEV_EUI = 0x70B3D57ED0000001L;
    static final int DEV_ADDR = 0x26011BDA;

    record Sent(SocketAddress to, byte[] bytes) {
        SemtechPacket packet() {
            try {
                return SemtechPacket.decode(bytes, 0, bytes.length, 65_000);
            } catch (SemtechException e) {
                throw new AssertionError(e);
            }
        }
    }

    final Counters counters = new Counters();
    final NetworkCore core;
    final List<Sent> sent = new ArrayList<>();
    final List<Message> delivered = new ArrayList<>();
    long now = 5_000_000_000L;

    CoreHarness(LoraConfig cfg) {
        core = new NetworkCore(cfg, counters, new Random(1));
    }

    static LoraConfig.Builder config() {
        return LoraConfig.builder().port(0);
    }

    static LoraDevice abp() {
        return LoraDevice.abp(DEV_EUI, DEV_ADDR, NWK, APP).build();
    }

    @Override
    public void datagram(SocketAddress to, byte[] bytes) {
        sent.add(new Sent(to, bytes));
    }

    @Override
    public void deliver(Message message) {
        delivered.add(message);
    }

    static InetSocketAddress push(long eui) {
        return new InetSocketAddress("127.0.0.1", 10_000 + (int) (eui & 0xFFF));
    }

    static InetSocketAddress pull(long eui) {
        return new InetSocketAddress("127.0.0.1", 20_000 + (int) (eui & 0xFFF));
    }

    void receive(SocketAddress from, byte[] b) {
        core.onDatagram(from, b, b.length, now, this);
    }

    void pullData(long gw) {
        receive(pull(gw), new SemtechPacket.PullData(1, gw).encode());
    }

    void rx(long gw, byte[] phy, long tmst, long freq, DataRate dr, int rssi, double snr) {
        RxPk r = new RxPk(tmst, null, freq, 0, 0, 1, dr.isLora() ? "LORA" : "FSK", dr.datr(), "4/5", rssi, snr, phy);
        receive(push(gw), new SemtechPacket.PushData(2, gw, List.of(r), 0, null).encode());
    }

    /** Advances the clock and runs the timer. */
    void advance(Duration d) {
        now += d.toNanos();
        core.tick(now, this);
    }

    List<SemtechPacket.PullResp> pullResps() {
        List<SemtechPacket.PullResp> l = new ArrayList<>();
        for (Sent s : sent) {
            if (s.packet() instanceof SemtechPacket.PullResp p) {
                l.add(p);
            }
        }
        return l;
    }

    Sent lastPullResp() {
        Sent last = null;
        for (Sent s : sent) {
            if (s.packet() instanceof SemtechPacket.PullResp) {
                last = s;
            }
        }
        return last;
    }

    void txAck(long gw, int token, String error) {
        receive(pull(gw), new SemtechPacket.TxAck(token, gw, error).encode());
    }

    /** An uplink as the device sends it. */
    static byte[] up(long fcnt, int fport, byte[] payload) {
        return DataFrame.uplink(DEV_ADDR, fcnt, fport, payload).encode(NWK, APP);
    }

    /** Opens a downlink as the device would. */
    static DataFrame down(byte[] phy, long lastDown) throws Exception {
        DataFrame.Header h = DataFrame.parseHeader(phy);
        return DataFrame.open(phy, h, FrameCounter.next(lastDown, h.fcnt16()), NWK, APP);
    }

    long counter(String name) {
        return counters.get(name);
    }
}
