package io.hopseal.transport.lora.region;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class RegionTest {
    final Region eu = Region.EU868;
    final Region us = Region.US915;

    @Test
    void timeOnAirMatchesTheSemtechFormulaTable() {
        // radio-links.md §2.4: BW125, CR 4/5, 8-symbol preamble, explicit header, CRC on, LDRO at SF11/12
        assertThat(TimeOnAir.loraMillis(7, 125_000, 45, 1, 8, true, true)).isCloseTo(92.4, within(0.1));
        assertThat(TimeOnAir.loraMillis(9, 125_000, 45, 1, 8, true, true)).isCloseTo(308.2, within(0.1));
        assertThat(TimeOnAir.loraMillis(10, 125_000, 45, 1, 8, true, true)).isCloseTo(575.5, within(0.1));
        assertThat(TimeOnAir.loraMillis(12, 125_000, 45, 1, 8, true, true)).isCloseTo(2138.1, within(0.5));
        assertThat(TimeOnAir.loraMillis(7, 125_000, 64, 1, 8, true, true)).isCloseTo(118.0, within(0.1));
        assertThat(TimeOnAir.loraMillis(12, 125_000, 64, 1, 8, true, true)).isCloseTo(2793.5, within(0.5));
        assertThat(TimeOnAir.loraMillis(12, 125_000, 109, 1, 8, true, true)).isCloseTo(4268.0, within(0.5));
        // DR helpers: EU868 DR0 full frame (51 + 13 bytes)
        assertThat(eu.uplinkDataRate(0).airtimeMillis(64)).isCloseTo(2793.5, within(0.5));
        assertThat(eu.uplinkDataRate(7).airtimeMillis(10)).isCloseTo(3.36, within(0.01));
        assertThat(TimeOnAir.loraMillis(7, 125_000, 45, 1, 8, true, false))
                .isLessThan(TimeOnAir.loraMillis(7, 125_000, 45, 1, 8, true, true));
    }

    @Test
    void eu868Rx1UsesTheUplinkFrequencyAndOffsetDataRate() {
        assertThat(eu.rx1(868_100_000L, eu.uplinkDataRate(5), 0)).isEqualTo(new Region.Channel(868_100_000L, eu.uplinkDataRate(5)));
        assertThat(eu.rx1(868_300_000L, eu.uplinkDataRate(5), 2).dataRate().index()).isEqualTo(3);
        assertThat(eu.rx1(868_500_000L, eu.uplinkDataRate(1), 3).dataRate().index()).isZero();
        assertThat(eu.rx1(915_000_000L, eu.uplinkDataRate(1), 0)).isNull();
        assertThat(eu.defaultRx2()).isEqualTo(new Region.Channel(869_525_000L, eu.uplinkDataRate(0)));
        assertThat(eu.defaultRx2().toString()).isEqualTo("869.525 MHz SF12BW125");
    }

    @Test
    void us915Rx1MapsUplinkChannelsOntoEightDownlinkChannels() {
        // channel 8 (903.9 MHz) -> 923.3 + 0.6 * (8 mod 8); DR0..3 -> DR10..13 at offset 0
        Region.Channel c = us.rx1(903_900_000L, us.uplinkDataRate(0), 0);
        assertThat(c.frequencyHz()).isEqualTo(923_300_000L);
        assertThat(c.dataRate().index()).isEqualTo(10);
        assertThat(us.rx1(905_300_000L, us.uplinkDataRate(3), 0).frequencyHz()).isEqualTo(927_500_000L); // ch 15
        assertThat(us.rx1(904_100_000L, us.uplinkDataRate(2), 1)).isEqualTo(new Region.Channel(923_900_000L, us.downlinkDataRate(11)));
        assertThat(us.rx1(904_600_000L, us.uplinkDataRate(4), 0).frequencyHz()).isEqualTo(923_900_000L + 600_000L * 0); // 500 kHz ch 65
        assertThat(us.rx1(903_950_000L, us.uplinkDataRate(0), 0)).isNull();
        assertThat(us.defaultRx2()).isEqualTo(new Region.Channel(923_300_000L, us.downlinkDataRate(8)));
        assertThat(us.uplinkDataRate("SF8BW500").index()).isEqualTo(4);
        assertThat(us.downlinkDataRate("SF8BW500").index()).isEqualTo(12);
    }

    @Test
    void payloadLimitsPerDataRate() {
        assertThat(eu.uplinkDataRate(0).maxPayload()).isEqualTo(51);
        assertThat(eu.uplinkDataRate(2).maxPayload()).isEqualTo(51);
        assertThat(eu.uplinkDataRate(3).maxPayload()).isEqualTo(115);
        assertThat(eu.uplinkDataRate(5).maxPayload()).isEqualTo(222);
        assertThat(us.uplinkDataRate(0).maxPayload()).isEqualTo(11);
        assertThat(us.uplinkDataRate(1).maxPayload()).isEqualTo(53);
        assertThat(us.downlinkDataRate(8).maxPayload()).isEqualTo(33);
        assertThat(eu.uplinkDataRate("SF7BW125").index()).isEqualTo(5);
        assertThat(eu.uplinkDataRate("50000").index()).isEqualTo(7);
        assertThat(eu.uplinkDataRate("SF6BW125")).isNull();
        assertThat(Region.byName("eu868")).isSameAs(eu);
        assertThatThrownBy(() -> Region.byName("AS923")).hasMessageContaining("EU868, US915");
    }

    @Test
    void eu868SubBands() {
        assertThat(eu.subBand(868_100_000L).dutyCycle()).isEqualTo(0.01);
        assertThat(eu.subBand(869_525_000L).dutyCycle()).isEqualTo(0.1);
        assertThat(eu.subBand(868_800_000L).dutyCycle()).isEqualTo(0.001);
        assertThat(eu.subBand(869_300_000L)).isNull();
        assertThat(us.subBand(923_300_000L)).isNull();
    }

    @Test
    void dutyCycleRefusesWhatWouldExceedTheSubBandBudgetAndRecoversAfterTheWindow() {
        DutyCycle dc = new DutyCycle(eu, 3_600_000L);
        long gw = 1;
        // g1 at 1 %: 36 s per hour
        long t = 1_000_000;
        int sent = 0;
        while (dc.reserve(gw, 868_100_000L, 2793.5, t) == DutyCycle.Verdict.ALLOWED) {
            sent++;
            t += 1000;
        }
        assertThat(sent).isEqualTo(12); // 12 x 2.79 s = 33.5 s; the 13th would pass 36 s
        assertThat(dc.availableMillis(gw, 868_300_000L, t)).isCloseTo(36_000 - 12 * 2793.5, within(0.01));
        // another sub-band and another gateway have their own budgets
        assertThat(dc.reserve(gw, 869_525_000L, 2793.5, t)).isEqualTo(DutyCycle.Verdict.ALLOWED);
        assertThat(dc.reserve(2, 868_100_000L, 2793.5, t)).isEqualTo(DutyCycle.Verdict.ALLOWED);
        // a released reservation gives its airtime back
        assertThat(dc.reserve(gw, 868_500_000L, 2793.5, t)).isEqualTo(DutyCycle.Verdict.REFUSED_DUTY_CYCLE);
        // after the window slid past the first uses, room again
        assertThat(dc.reserve(gw, 868_100_000L, 2793.5, 1_000_000 + 3_600_000L + 1)).isEqualTo(DutyCycle.Verdict.ALLOWED);
        assertThat(dc.reserve(gw, 915_000_000L, 10, t)).isEqualTo(DutyCycle.Verdict.REFUSED_FREQUENCY);
        assertThat(dc.reserve(gw, 869_300_000L, 10, t)).isEqualTo(DutyCycle.Verdict.REFUSED_FREQUENCY);
        DutyCycle usdc = new DutyCycle(us, 3_600_000L);
        for (int i = 0; i < 1000; i++) {
            assertThat(usdc.reserve(gw, 923_300_000L, 1000, t)).isEqualTo(DutyCycle.Verdict.ALLOWED);
        }
    }

    @Test
    void releaseGivesAirtimeBack() {
        DutyCycle dc = new DutyCycle(eu, 3_600_000L);
        assertThat(dc.reserve(1, 868_100_000L, 30_000, 0)).isEqualTo(DutyCycle.Verdict.ALLOWED);
        long id = dc.lastReservation();
        assertThat(dc.reserve(1, 868_100_000L, 10_000, 1)).isEqualTo(DutyCycle.Verdict.REFUSED_DUTY_CYCLE);
        dc.release(id);
        assertThat(dc.reserve(1, 868_100_000L, 10_000, 2)).isEqualTo(DutyCycle.Verdict.ALLOWED);
    }
}
