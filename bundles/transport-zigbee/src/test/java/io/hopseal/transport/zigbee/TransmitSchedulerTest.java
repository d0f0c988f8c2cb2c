package io.hopseal.transport.zigbee;

import io.hopseal.link.fragment.Fragments;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.hopseal.api.routing.SendResult;
import io.hopseal.api.transport.Counters;
import io.hopseal.transport.zigbee.xbee.DeliveryStatus;
import io.hopseal.transport.zigbee.xbee.XBeeFrame;

/** Delivery without I/O: in-flight limits, frame ids, retries with backoff, permanent failures, 16-bit addresses. */
class TransmitSchedulerTest {
    static final long MS = 1_000_000L;
    static final long D1 = 0x0013A20040000001L;
    static final long D2 = 0x0013A20040000002L;

    final List<XBeeFrame.TransmitRequest> written = new ArrayList<>();
    final List<String> failures = new ArrayList<>();
    final List<Long> delivered = new ArrayList<>();
    final Counters counters = new Counters();
    final FrameIds ids = new FrameIds();
    boolean lineUp = true;
    TransmitScheduler s;
    long now;

    @BeforeEach
    void setUp() {
        s = new TransmitScheduler(ids, new TransmitScheduler.Output() {
            @Override
            public boolean write(XBeeFrame.TransmitRequest frame) {
                if (!lineUp) {
                    return false;
                }
                written.add(frame);
                return true;
            }

            @Override
            public void failed(long dest64, int status, boolean permanent, int attempts, int fragmentsDelivered,
                    int fragments) {
                failures.add(String.format("%016X %s %s %d %d/%d", dest64, DeliveryStatus.name(status),
                        permanent ? "permanent" : "transient", attempts, fragmentsDelivered, fragments));
            }

            @Override
            public void delivered(long dest64, int fragments) {
                delivered.add(dest64);
            }
        }, counters, new Random(1));
        // queue 3, 8 destinations, 4 transmissions, backoff 100 ms..400 ms, status timeout 1 s
        s.configure(3, 8, 4, 100 * MS, 400 * MS, 1000 * MS);
    }

    static byte[] env(int n) {
        byte[] b = new byte[n];
        b[0] = 1;
        for (int i = 1; i < n; i++) {
            b[i] = (byte) i;
        }
        return b;
    }

    XBeeFrame.TransmitRequest last() {
        return written.get(written.size() - 1);
    }

    void status(XBeeFrame.TransmitRequest t, int delivery, int nwk) {
        s.onStatus(new XBeeFrame.TransmitStatus(t.frameId(), nwk, 0, delivery, 0), now);
    }

    @Test
    void fragmentsGoOneAtATimeInOrderAndTheNetworkAddressIsLearnt() {
        assertThat(s.enqueue(D1, env(200), 84, now)).isEqualTo(SendResult.FORWARDED);
        assertThat(written).hasSize(1);
        assertThat(last().dest16()).isEqualTo(0xFFFE);
        assertThat(last().dest64()).isEqualTo(D1);
        status(last(), 0, 0x1A2B);
        assertThat(written).hasSize(2);
        assertThat(last().dest16()).isEqualTo(0x1A2B); // cached from the first status
        status(last(), 0, 0x1A2B);
        status(last(), 0, 0x1A2B);
        assertThat(written).hasSize(3);
        assertThat(delivered).containsExactly(D1);
        assertThat(written.stream().map(t -> t.data()[1] >>> 4 & 0xF).toList()).containsExactly(0, 1, 2);
        assertThat(counters.get("messages.delivered")).isEqualTo(1);
        assertThat(s.activeDestinations()).isZero();
        assertThat(ids.inUse()).isZero();
    }

    @Test
    void oneFrameInFlightPerDestinationButDestinationsDoNotWaitForEachOther() {
        s.enqueue(D1, env(50), 84, now);
        s.enqueue(D1, env(50), 84, now);
        s.enqueue(D2, env(50), 84, now);
        assertThat(written).extracting(XBeeFrame.TransmitRequest::dest64).containsExactly(D1, D2);
        status(written.get(1), 0, 0x2222);
        assertThat(written).hasSize(2); // D2 has nothing more; D1 still waits for its status
        status(written.get(0), 0, 0x1111);
        assertThat(written).hasSize(3);
        assertThat(last().dest64()).isEqualTo(D1);
        assertThat(s.networkAddress(D2)).isEqualTo(0x2222);
    }

    @Test
    void transientFailuresAreRetriedWithBackoffThenSucceed() {
        s.learnNetworkAddress(D1, 0x4444);
        s.enqueue(D1, env(50), 84, now);
        assertThat(last().dest16()).isEqualTo(0x4444);
        status(last(), DeliveryStatus.NETWORK_ACK_FAILURE, 0xFFFE);
        assertThat(written).hasSize(1);
        long due = s.nextDeadline();
        assertThat(due - now).isBetween(75 * MS, 125 * MS); // 100 ms ± 25 %
        s.tick(due - 1);
        assertThat(written).hasSize(1);
        now = due;
        s.tick(now);
        assertThat(written).hasSize(2);
        assertThat(last().dest16()).as("a network ACK failure forgets the cached address").isEqualTo(0xFFFE);
        assertThat(last().frameId()).isNotEqualTo(written.get(0).frameId());
        status(last(), DeliveryStatus.ROUTE_NOT_FOUND, 0xFFFE);
        long due2 = s.nextDeadline();
        assertThat(due2 - now).isBetween(150 * MS, 250 * MS); // doubled
        now = due2;
        s.tick(now);
        status(last(), DeliveryStatus.SUCCESS, 0x5555);
        assertThat(delivered).containsExactly(D1);
        assertThat(failures).isEmpty();
        assertThat(counters.get("retries")).isEqualTo(2);
        assertThat(counters.get("tx_status.network_ack_failure")).isEqualTo(1);
        assertThat(counters.get("tx_status.route_not_found")).isEqualTo(1);
        assertThat(counters.get("nwk.invalidated")).isEqualTo(1);
        assertThat(s.networkAddress(D1)).isEqualTo(0x5555);
    }

    @Test
    void retriesRunOutAndTheMessageIsDroppedAndReported() {
        s.enqueue(D1, env(200), 84, now);
        status(last(), 0, 0x1111); // first fragment delivered
        for (int i = 0; i < 4; i++) {
            status(last(), DeliveryStatus.MAC_ACK_FAILURE, 0xFFFE);
            now = s.nextDeadline() == Long.MAX_VALUE ? now : s.nextDeadline();
            s.tick(now);
        }
        assertThat(written).hasSize(1 + 4);
        assertThat(failures).containsExactly(String.format("%016X mac_ack_failure transient 4 1/3", D1));
        assertThat(counters.get("drop.retries_exhausted")).isEqualTo(1);
        assertThat(s.activeDestinations()).isZero();
    }

    @Test
    void permanentFailureIsDroppedAtOnceAndTheNextMessageGoes() {
        s.enqueue(D1, env(50), 84, now);
        s.enqueue(D1, env(60), 84, now);
        status(last(), DeliveryStatus.PAYLOAD_TOO_LARGE, 0xFFFE);
        assertThat(failures).containsExactly(String.format("%016X payload_too_large permanent 1 0/1", D1));
        assertThat(written).hasSize(2);
        assertThat(last().dataLength()).isEqualTo(60);
        assertThat(counters.get("drop.tx_permanent")).isEqualTo(1);
        assertThat(counters.get("tx_status.payload_too_large")).isEqualTo(1);
    }

    @Test
    void aMissingStatusTimesOutAndCountsAsTransient() {
        s.enqueue(D1, env(50), 84, now);
        assertThat(s.nextDeadline()).isEqualTo(now + 1000 * MS);
        now += 1000 * MS;
        s.tick(now);
        assertThat(counters.get("tx_status.status_timeout")).isEqualTo(1);
        now = s.nextDeadline();
        s.tick(now);
        assertThat(written).hasSize(2);
        // the late status of the first frame is not taken for the second
        s.onStatus(new XBeeFrame.TransmitStatus(written.get(0).frameId(), 0x1, 0, 0, 0), now);
        assertThat(counters.get("tx_status.unmatched")).isEqualTo(1);
        status(last(), 0, 0x1);
        assertThat(delivered).hasSize(1);
    }

    @Test
    void queuesAreBounded() {
        s.enqueue(D1, env(50), 84, now); // in flight
        for (int i = 0; i < 3; i++) {
            assertThat(s.enqueue(D1, env(50), 84, now)).isEqualTo(SendResult.FORWARDED);
        }
        assertThat(s.enqueue(D1, env(50), 84, now)).isEqualTo(SendResult.DROPPED_QUEUE_FULL);
        for (long d = 2; d <= 8; d++) {
            assertThat(s.enqueue(d, env(50), 84, now)).isEqualTo(SendResult.FORWARDED);
        }
        assertThat(s.enqueue(9, env(50), 84, now)).as("a ninth destination").isEqualTo(SendResult.DROPPED_QUEUE_FULL);
        assertThat(counters.get("drop.too_many_destinations")).isEqualTo(1);
        assertThat(s.enqueue(D1, env(Fragments.maxMessage(84) + 1), 84, now)).isEqualTo(SendResult.DROPPED_TOO_LARGE);
    }

    @Test
    void frameIdsCycleThrough1To255AndRunOutGracefully() {
        s.configure(3, 300, 4, 100 * MS, 400 * MS, 1000 * MS);
        for (long d = 1; d <= 255; d++) {
            s.enqueue(d, env(20), 84, now);
        }
        assertThat(written).hasSize(255);
        assertThat(written.stream().map(XBeeFrame.TransmitRequest::frameId).distinct().count()).isEqualTo(255);
        assertThat(written.stream().mapToInt(XBeeFrame.TransmitRequest::frameId).min().getAsInt()).isEqualTo(1);
        s.enqueue(256, env(20), 84, now);
        assertThat(written).hasSize(255);
        assertThat(counters.get("frame_ids.exhausted")).isEqualTo(1);
        status(written.get(0), 0, 1);
        now = s.nextDeadline();
        s.tick(now);
        assertThat(last().dest64()).isEqualTo(256);
        assertThat(last().frameId()).isEqualTo(written.get(0).frameId());
    }

    @Test
    void lineDownDropsEverythingAndReportsIt() {
        s.enqueue(D1, env(200), 84, now);
        s.enqueue(D1, env(20), 84, now);
        s.enqueue(D2, env(20), 84, now);
        s.clear();
        assertThat(counters.get("drop.link_down")).isEqualTo(3);
        assertThat(failures).hasSize(3);
        assertThat(ids.inUse()).isZero();
        assertThat(s.activeDestinations()).isZero();
        // a refused write is a transient failure
        lineUp = false;
        s.enqueue(D1, env(20), 84, now);
        assertThat(counters.get("tx_status.line_refused")).isZero(); // line_refused is not an XBee status
        assertThat(s.nextDeadline()).isNotEqualTo(Long.MAX_VALUE);
        lineUp = true;
        now = s.nextDeadline();
        s.tick(now);
        assertThat(last().dataLength()).isEqualTo(20);
    }

    @Test
    void tagsChangePerFragmentedMessage() {
        s.enqueue(D1, env(100), 84, now);
        int tag1 = last().data()[0] & 0x7F;
        status(last(), 0, 1);
        status(last(), 0, 1);
        s.enqueue(D1, env(100), 84, now);
        assertThat(last().data()[0] & 0x7F).isEqualTo((tag1 + 1) & 0x7F);
    }
}
