package io.hopseal.transport.lora;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;

import io.hopseal.api.transport.Counters;
import io.hopseal.transport.lora.region.DataRate;
import io.hopseal.transport.lora.region.Region;
import io.hopseal.transport.lora.semtech.RxPk;

/** The parts of {@link NetworkCore} on their own (the core's behaviour as a whole: {@link NetworkCoreTest}). */
class NetworkCorePartsTest {
    static final DataRate SF7 = Region.EU868.uplinkDataRate("SF7BW125");
    static final long DEDUP = 200;

    static RxPk rx(byte[] phy, int rssi, double snr) {
        return new RxPk(1, null, 868_100_000, 0, 0, 1, "LORA", "SF7BW125", "4/5", rssi, snr, phy);
    }

    @Test
    void copiesOfAnUplinkAreCollectedOnceAndAnsweredThroughTheBestGatewayThatCanSend() {
        Counters c = new Counters();
        UplinkDedup dedup = new UplinkDedup(c);
        byte[] phy = {0x40, 1, 2, 3, 4};
        dedup.offer(1, rx(phy, -100, 2), SF7, 0);
        dedup.offer(2, rx(phy.clone(), -60, 9), SF7, 10);
        dedup.offer(3, rx(phy.clone(), -50, 12), SF7, 20);
        assertThat(dedup.pending()).isEqualTo(1);
        assertThat(dedup.nextDeadline(Long.MAX_VALUE, DEDUP)).isEqualTo(DEDUP);
        assertThat(dedup.due(DEDUP - 1, DEDUP)).isEmpty();

        List<UplinkDedup.PendingUplink> due = dedup.due(DEDUP, DEDUP);
        assertThat(due).singleElement().satisfies(p -> assertThat(p.receptions).hasSize(3));
        UplinkDedup.PendingUplink p = due.get(0);
        assertThat(UplinkDedup.best(p, eui -> true).gatewayEui()).isEqualTo(3); // best SNR
        assertThat(UplinkDedup.best(p, eui -> eui != 3).gatewayEui()).isEqualTo(2); // 3 cannot send
        assertThat(UplinkDedup.best(p, eui -> false).gatewayEui()).isEqualTo(1); // none can: the first copy
        assertThat(c.get("uplink.duplicates")).isEqualTo(2);

        dedup.offer(4, rx(phy.clone(), -70, 5), SF7, DEDUP + 1);
        assertThat(c.get("uplink.duplicates_late")).isEqualTo(1);
        assertThat(dedup.pending()).isZero();
        // long after, the same bytes are collected again (the frame counter then refuses a replay)
        dedup.due(DEDUP + UplinkDedup.RECENT_NANOS, DEDUP);
        dedup.offer(1, rx(phy.clone(), -100, 2), SF7, DEDUP + UplinkDedup.RECENT_NANOS + 1);
        assertThat(dedup.pending()).isEqualTo(1);
    }

    @Test
    void gatewaysOutsideTheAllowListOrBeyondTheLimitAreRefusedAndOnlyAFreshPullTakesDownlinks() {
        Counters c = new Counters();
        GatewayTable table = new GatewayTable(c);
        LoraConfig only7 = LoraConfig.builder().port(0).allowedGateways(Set.of(7L)).build();
        assertThat(table.heardFrom(only7, 8, 0)).isNull();
        assertThat(c.get("drop.gateway_not_allowed")).isEqualTo(1);
        GatewayTable.Gateway g = table.heardFrom(only7, 7, 0);
        assertThat(g).isNotNull();
        assertThat(table.canSend(7, 0)).as("no PULL_DATA yet").isFalse();
        GatewayTable.pulled(g, new InetSocketAddress("127.0.0.1", 1700), 5);
        assertThat(table.downlinkPath(7, 5 + GatewayTable.PULL_FRESH_NANOS)).isSameAs(g);
        assertThat(table.canSend(7, 6 + GatewayTable.PULL_FRESH_NANOS)).as("PULL_DATA too old").isFalse();

        LoraConfig any = LoraConfig.builder().port(0).build();
        for (long eui = 100; table.size() < GatewayTable.MAX_GATEWAYS; eui++) {
            assertThat(table.heardFrom(any, eui, 0)).isNotNull();
        }
        assertThat(table.heardFrom(any, 99, 0)).isNull();
        assertThat(c.get("drop.too_many_gateways")).isEqualTo(1);
        assertThat(table.heardFrom(any, 7, 1)).isSameAs(g); // known ones still are
        assertThat(c.get("gateways.seen")).isEqualTo(GatewayTable.MAX_GATEWAYS);
    }

    @Test
    void aDerivedDevAddrCarriesTheNwkIdOfTheNetId() {
        int a = JoinServer.deriveDevAddr(0x000013, 0x0004A30B001C0530L);
        assertThat(a >>> 25).isEqualTo(0x13);
        assertThat(JoinServer.deriveDevAddr(0x000013, 0x0004A30B001C0530L)).isEqualTo(a);
        assertThat(JoinServer.deriveDevAddr(0x000013, 0x0004A30B001C0531L)).isNotEqualTo(a);
    }
}
