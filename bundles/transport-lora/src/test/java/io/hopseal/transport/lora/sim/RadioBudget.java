package io.hopseal.transport.lora.sim;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import io.hopseal.api.routing.Address;
import io.hopseal.api.routing.Message;
import io.hopseal.api.routing.Route;
import io.hopseal.transport.lora.fragment.OutboundMessage;
import io.hopseal.transport.lora.fragment.RadioEnvelope;
import io.hopseal.transport.lora.fragment.RouteContext;
import io.hopseal.transport.lora.region.DataRate;
import io.hopseal.transport.lora.region.Region;

/**
 * Frames, bytes and airtime of a whole channel setup plus one application message over LoRaWAN class A, computed
 * with the transport's own code: the compact radio envelope and its route context, the fragmenter, the region's
 * payload limits and the Semtech time-on-air formula. {@link #main} prints the tables of docs/lora.md.
 *
 * <p>Model: the device starts the channel (uplink), the backend answers (downlink). A downlink's first frame goes
 * in the RX1 window of the device's last uplink; each further downlink frame needs one more uplink (an empty poll,
 * 12 bytes, sent when the previous downlink had FPending). RX1 uses the uplink's data rate (RX1DROffset 0). Every
 * frame is counted with its PHY bytes (FRMPayload + 13, a poll 12) and its airtime at CR 4/5 with CRC. The device's
 * own duty cycle (1 % on the EU868 default channels) bounds how fast it can send: its airtime x 100.
 */
public final class RadioBudget {

    /** One message of the exchange, with the channel-layer bytes it carries and the hop routes around them. */
    public record Step(boolean up, int channelBytes, Route onward, Route back) {
    }

    /** What an exchange costs at one data rate. */
    public record Cost(String name, int channelBytes, int envelopeBytes, int upFrames, int polls, int downFrames,
                       int phyBytes, double airtimeMs, double uplinkAirtimeMs) {
        public int frames() {
            return upFrames + polls + downFrames;
        }

        /** The shortest time the device's 1 % duty cycle allows for its uplinks, in seconds. */
        public double deviceDutyCycleSeconds() {
            return uplinkAirtimeMs * 100 / 1000.0;
        }
    }

    // realistic hops: backend over TCP, listener "api", channel ends at 6-character local addresses
    public static final Address BACKEND = Address.tcp("10.0.0.5:4000");
    public static final Address LISTENER = Address.local("api");
    public static final Address DEVICE_END = Address.local("c7x2qa");
    public static final Address BACKEND_END = Address.local("cb4k9z");

    /** XX (33/198/166 channel bytes, see NetworkScenariosTest) plus one data message of {@code app} bytes. */
    public static List<Step> xx(int m1, int m2, int m3, int data) {
        List<Step> s = new ArrayList<>();
        s.add(new Step(true, m1, Route.of(BACKEND, LISTENER), Route.of(DEVICE_END)));
        s.add(new Step(false, m2, Route.of(DEVICE_END), Route.of(BACKEND, BACKEND_END)));
        s.add(new Step(true, m3, Route.of(BACKEND, BACKEND_END), Route.of(DEVICE_END)));
        s.add(new Step(true, data, Route.of(BACKEND, BACKEND_END), Route.of(DEVICE_END)));
        return s;
    }

    /** A resumed channel's first message after a reboot: one data message, no handshake. */
    public static List<Step> resumed(int data) {
        return List.of(new Step(true, data, Route.of(BACKEND, BACKEND_END), Route.of(DEVICE_END)));
    }

    /** A two-message handshake (KK, EDHOC-like flights 1 and 2) plus flight 3 or data. */
    public static List<Step> twoWay(int m1, int m2, int... more) {
        List<Step> s = new ArrayList<>();
        s.add(new Step(true, m1, Route.of(BACKEND, LISTENER), Route.of(DEVICE_END)));
        s.add(new Step(false, m2, Route.of(DEVICE_END), Route.of(BACKEND, BACKEND_END)));
        for (int m : more) {
            s.add(new Step(true, m, Route.of(BACKEND, BACKEND_END), Route.of(DEVICE_END)));
        }
        return s;
    }

    /**
     * Runs an exchange through the real encoders.
     *
     * @param statics the static route context (empty: none)
     */
    public static Cost cost(String name, List<Step> steps, Region region, int dr, List<Address> statics) {
        return cost(name, steps, region, dr, statics, -1);
    }

    /**
     * As {@link #cost(String, List, Region, int, List)} with RX2 at data rate {@code rx2Dr} (-1: RX1 only): a
     * downlink frame goes in RX2 when RX2 carries more and the rest does not fit one RX1 frame, as the network
     * server decides.
     */
    public static Cost cost(String name, List<Step> steps, Region region, int dr, List<Address> statics, int rx2Dr) {
        return cost(name, List.of(), steps, region, dr, statics, rx2Dr);
    }

    /** As above, after {@code warmUp} went through the same route contexts uncounted (what both ends learned before). */
    public static Cost cost(String name, List<Step> warmUp, List<Step> steps, Region region, int dr,
                            List<Address> statics, int rx2Dr) {
        RouteContext device = new RouteContext(statics, true);
        RouteContext gateway = new RouteContext(statics, true);
        for (Step st : warmUp) {
            Message m = new Message(st.onward(), st.back(), new byte[st.channelBytes()]);
            try {
                RadioEnvelope.decode(RadioEnvelope.encode(m, st.up() ? device : gateway), st.up() ? gateway : device);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
        DataRate up = region.uplinkDataRate(dr);
        DataRate rx1 = region.rx1(region.defaultUplinkChannels().get(0), up, 0).dataRate();
        DataRate rx2 = rx2Dr >= 0 ? region.downlinkDataRate(rx2Dr) : null;
        int channel = 0;
        int envelope = 0;
        int upFrames = 0;
        int polls = 0;
        int downFrames = 0;
        int phy = 0;
        double air = 0;
        double upAir = 0;
        for (Step st : steps) {
            Message m = new Message(st.onward(), st.back(), new byte[st.channelBytes()]);
            RouteContext sender = st.up() ? device : gateway;
            RouteContext receiver = st.up() ? gateway : device;
            byte[] env = RadioEnvelope.encode(m, sender);
            try {
                RadioEnvelope.decode(env, receiver); // the receiver learns what the sender sent
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
            channel += st.channelBytes();
            envelope += env.length - st.channelBytes();
            OutboundMessage out = new OutboundMessage(env, 0);
            int i = 0;
            while (!out.done()) {
                DataRate down = rx2 != null && rx2.maxPayload() > rx1.maxPayload() && !out.finishesAt(rx1.maxPayload())
                        ? rx2 : rx1;
                int cap = (st.up() ? up : down).maxPayload();
                byte[] f = out.nextFrame(cap);
                if (f == null) {
                    throw new IllegalArgumentException(name + ": more than 64 fragments at DR" + dr);
                }
                int bytes = f.length + 13;
                phy += bytes;
                if (st.up()) {
                    upFrames++;
                    double a = up.airtimeMillis(bytes);
                    air += a;
                    upAir += a;
                } else {
                    if (i > 0) {
                        polls++;
                        phy += 12;
                        double a = up.airtimeMillis(12);
                        air += a;
                        upAir += a;
                    }
                    downFrames++;
                    air += down.airtimeMillis(bytes);
                }
                i++;
            }
        }
        return new Cost(name, channel, envelope, upFrames, polls, downFrames, phy, air, upAir);
    }

    /** The comparison of docs/lora.md for one data rate of a region. */
    public static List<Cost> comparison(Region region, int dr) {
        List<Address> statics = List.of(BACKEND, LISTENER);
        List<Cost> l = new ArrayList<>();
        // Hopseal: channel-layer sizes measured by NetworkScenariosTest; data = 20 + 18 (counter < 256)
        l.add(cost("Hopseal XX", xx(33, 198, 166, 38), region, dr, List.of()));
        l.add(cost("Hopseal XX, static context", xx(33, 198, 166, 38), region, dr, statics));
        if (region == Region.EU868 && dr < 3) {
            // RX2 moved to DR3 (SF9, N = 115), as some public networks do: fewer downlink frames, shorter range
            l.add(cost("Hopseal XX, static context, RX2 at DR3", xx(33, 198, 166, 38), region, dr, statics, 3));
        }
        // resumed after a reboot (docs/protocol.md §5.2): no handshake; the counter continues above its reservation
        // (2 bytes from 256 on), so the reading costs 20 + 19 channel bytes
        // the route context's learned addresses belong to the LoRaWAN session, which a device keeps across reboots
        // with its frame counters (docs/lora.md §4.3): the warm-up (the first session's KK) is not counted
        l.add(cost("Hopseal resumed", twoWay(53, 49), resumed(39), region, dr, List.of(), -1));
        l.add(cost("Hopseal resumed, static context", twoWay(53, 49), resumed(39), region, dr, statics, -1));
        l.add(cost("Hopseal KK", twoWay(53, 49, 38), region, dr, List.of()));
        l.add(cost("Hopseal KK, static context", twoWay(53, 49, 38), region, dr, statics));
        // IK: message 1 carries the initiator's static key and proof (1 + 32 + 48 + 117); the fallback of a session the
        // backend lost (docs/protocol.md §5.2), which works whatever the backend forgot
        l.add(cost("Hopseal IK", twoWay(198, 49, 38), region, dr, List.of()));
        // what that fallback cost when it tried KK first: a backend that restarted no longer knows the device, answers
        // KK message 1 with the 1-byte unknown-channel hint (a downlink), and XX follows
        List<Step> kkRefused = new ArrayList<>(List.of(
                new Step(true, 53, Route.of(BACKEND, LISTENER), Route.of(DEVICE_END)),
                new Step(false, 1, Route.of(DEVICE_END), Route.of(BACKEND))));
        kkRefused.addAll(xx(33, 198, 166, 38));
        l.add(cost("Hopseal KK refused (hint), then XX", kkRefused, region, dr, List.of()));
        // Ockam: fresh identities 32/419/387 (ockam-reference.md §1.2); a 20-byte message = 96-byte ciphertext
        // (8 nonce + CBOR inner routes and payload + 16 tag, §2.4)
        l.add(cost("Ockam XX (838 B)", xx(32, 419, 387, 96), region, dr, List.of()));
        // EDHOC static DH, kid: 37/45/19 (RFC 9528 Fig. 1); OSCORE request with 20 bytes: 20 + 13
        l.add(cost("EDHOC static-DH (101 B)", twoWay(37, 45, 19, 33), region, dr, List.of()));
        return l;
    }

    /** A markdown table. */
    public static String table(Region region, int dr) {
        DataRate d = region.uplinkDataRate(dr);
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "%s DR%d (%s, N = %d): channel setup + one 20-byte message%n%n",
                region.name(), dr, d.datr(), d.maxPayload()));
        sb.append("| exchange | channel B | envelope B | uplinks | polls | downlinks | frames | PHY B | airtime ms "
                + "| device 1 % duty cycle |\n");
        sb.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        for (Cost c : comparison(region, dr)) {
            sb.append(String.format(Locale.ROOT, "| %s | %d | %d | %d | %d | %d | **%d** | %d | %.0f | %s |%n", c.name(),
                    c.channelBytes(), c.envelopeBytes(), c.upFrames(), c.polls(), c.downFrames(), c.frames(),
                    c.phyBytes(), c.airtimeMs(), duration(c.deviceDutyCycleSeconds())));
        }
        return sb.toString();
    }

    static String duration(double seconds) {
        if (seconds < 120) {
            return String.format(Locale.ROOT, "%.0f s", seconds);
        }
        return String.format(Locale.ROOT, "%.1f min", seconds / 60);
    }

    public static void main(String[] args) {
        System.out.println(table(Region.EU868, 0));
        System.out.println(table(Region.EU868, 5));
    }
}
