package io.hopseal.transport.lora.region;

import java.util.List;

/**
 * What a LoRaWAN region fixes for a class A network server: data rates and their payload limits, the RX1
 * frequency and data rate for an uplink, the RX2 defaults, duty-cycle sub-bands, the downlink transmit power.
 * Values from the LoRaWAN Regional Parameters (RP002-1.0.x; "repeater compatible" payload sizes).
 *
 * <p>Two regions: {@link #EU868} and {@link #US915}. Immutable.
 */
public abstract class Region {

    /** An RX window's radio settings. */
    public record Channel(long frequencyHz, DataRate dataRate) {
        @Override
        public String toString() {
            return formatMhz(frequencyHz) + " MHz " + dataRate.datr();
        }
    }

    public static final Region EU868 = new Eu868();
    public static final Region US915 = new Us915();

    private static final List<Region> ALL = List.of(EU868, US915);

    private final String name;

    Region(String name) {
        this.name = name;
    }

    /** The region for a name ({@code EU868}, {@code US915}, case-insensitive). */
    public static Region byName(String name) {
        if (name != null) {
            for (Region r : ALL) {
                if (r.name.equalsIgnoreCase(name.strip())) {
                    return r;
                }
            }
        }
        throw new IllegalArgumentException("unknown region '" + name + "' (known: EU868, US915)");
    }

    public static List<Region> all() {
        return ALL;
    }

    public String name() {
        return name;
    }

    /** An uplink data rate by index, or null. */
    public abstract DataRate uplinkDataRate(int dr);

    /** A downlink data rate by index, or null. */
    public abstract DataRate downlinkDataRate(int dr);

    /** The uplink data rate with this Semtech {@code datr} string, or null. */
    public DataRate uplinkDataRate(String datr) {
        for (int i = 0; i < 16; i++) {
            DataRate d = uplinkDataRate(i);
            if (d != null && d.datr().equalsIgnoreCase(datr)) {
                return d;
            }
        }
        return null;
    }

    /** The downlink data rate with this Semtech {@code datr} string, or null. */
    public DataRate downlinkDataRate(String datr) {
        for (int i = 0; i < 16; i++) {
            DataRate d = downlinkDataRate(i);
            if (d != null && d.datr().equalsIgnoreCase(datr)) {
                return d;
            }
        }
        return null;
    }

    /** Largest RX1 data-rate offset the region defines. */
    public abstract int maxRx1DrOffset();

    /**
     * RX1 for an uplink.
     *
     * @return the channel, or null if the uplink frequency or data rate is not one of the region's uplink channels
     */
    public abstract Channel rx1(long uplinkFrequencyHz, DataRate uplinkDr, int rx1DrOffset);

    /** The RX2 default (EU868: 869.525 MHz DR0; US915: 923.3 MHz DR8). */
    public abstract Channel defaultRx2();

    /** Whether a gateway may transmit a downlink on this frequency in this region. */
    public abstract boolean isDownlinkFrequency(long hz);

    /** The duty-cycle sub-band of a frequency, or null when the region has no duty-cycle limit there. */
    public abstract SubBand subBand(long hz);

    /** Whether downlinks are duty-cycle limited at all. */
    public abstract boolean dutyCycleLimited();

    /** Downlink transmit power used when none is configured. */
    public abstract int defaultTxPowerDbm();

    /** Uplink channels a simulated device uses (EU868: the three default channels; US915: sub-band 2). */
    public abstract List<Long> defaultUplinkChannels();

    /** The smallest N over all downlink data rates (for the largest message a downlink queue accepts). */
    public int minDownlinkPayload() {
        int min = Integer.MAX_VALUE;
        for (int i = 0; i < 16; i++) {
            DataRate d = downlinkDataRate(i);
            if (d != null) {
                min = Math.min(min, d.maxPayload());
            }
        }
        return min;
    }

    @Override
    public String toString() {
        return name;
    }

    public static String formatMhz(long hz) {
        return java.math.BigDecimal.valueOf(hz, 6).stripTrailingZeros().toPlainString();
    }

    // ------------------------------------------------------------------------------------------------------ EU868

    private static final class Eu868 extends Region {
        private static final DataRate[] DR = {
            DataRate.lora(0, 12, 125_000, 51),
            DataRate.lora(1, 11, 125_000, 51),
            DataRate.lora(2, 10, 125_000, 51),
            DataRate.lora(3, 9, 125_000, 115),
            DataRate.lora(4, 8, 125_000, 222),
            DataRate.lora(5, 7, 125_000, 222),
            DataRate.lora(6, 7, 250_000, 222),
            DataRate.fsk(7, 50_000, 222),
        };
        /** ETSI EN 300 220 sub-bands as LoRaWAN network servers apply them to downlinks. */
        private static final List<SubBand> BANDS = List.of(
                new SubBand("863.0-865.0 (0.1%)", 863_000_000L, 865_000_000L, 0.001),
                new SubBand("865.0-868.0 (1%)", 865_000_000L, 867_999_999L, 0.01),
                new SubBand("g1 868.0-868.6 (1%)", 868_000_000L, 868_600_000L, 0.01),
                new SubBand("g2 868.7-869.2 (0.1%)", 868_700_000L, 869_200_000L, 0.001),
                new SubBand("g3 869.4-869.65 (10%)", 869_400_000L, 869_650_000L, 0.1),
                new SubBand("g4 869.7-870.0 (1%)", 869_700_000L, 870_000_000L, 0.01));

        Eu868() {
            super("EU868");
        }

        @Override
        public DataRate uplinkDataRate(int dr) {
            return dr >= 0 && dr < DR.length ? DR[dr] : null;
        }

        @Override
        public DataRate downlinkDataRate(int dr) {
            return uplinkDataRate(dr);
        }

        @Override
        public int maxRx1DrOffset() {
            return 5;
        }

        @Override
        public Channel rx1(long f, DataRate up, int offset) {
            if (up == null || uplinkDataRate(up.index()) != up || f < 863_000_000L || f > 870_000_000L
                    || offset < 0 || offset > maxRx1DrOffset()) {
                return null;
            }
            // RX1 uses the uplink frequency and DR = max(0, uplink DR - offset)
            return new Channel(f, DR[Math.max(0, up.index() - offset)]);
        }

        @Override
        public Channel defaultRx2() {
            return new Channel(869_525_000L, DR[0]);
        }

        @Override
        public boolean isDownlinkFrequency(long hz) {
            return hz >= 863_000_000L && hz <= 870_000_000L;
        }

        @Override
        public SubBand subBand(long hz) {
            for (SubBand b : BANDS) {
                if (b.contains(hz)) {
                    return b;
                }
            }
            return null;
        }

        @Override
        public boolean dutyCycleLimited() {
            return true;
        }

        @Override
        public int defaultTxPowerDbm() {
            return 14;
        }

        @Override
        public List<Long> defaultUplinkChannels() {
            return List.of(868_100_000L, 868_300_000L, 868_500_000L);
        }
    }

    // ------------------------------------------------------------------------------------------------------ US915

    private static final class Us915 extends Region {
        private static final DataRate[] UP = {
            DataRate.lora(0, 10, 125_000, 11),
            DataRate.lora(1, 9, 125_000, 53),
            DataRate.lora(2, 8, 125_000, 125),
            DataRate.lora(3, 7, 125_000, 242),
            DataRate.lora(4, 8, 500_000, 242),
        };
        private static final DataRate[] DOWN = {
            null, null, null, null, null, null, null, null,
            DataRate.lora(8, 12, 500_000, 33),
            DataRate.lora(9, 11, 500_000, 109),
            DataRate.lora(10, 10, 500_000, 222),
            DataRate.lora(11, 9, 500_000, 222),
            DataRate.lora(12, 8, 500_000, 222),
            DataRate.lora(13, 7, 500_000, 222),
        };
        /** RX1 downlink DR by [uplink DR][RX1DROffset]. */
        private static final int[][] RX1_DR = {
            {10, 9, 8, 8},
            {11, 10, 9, 8},
            {12, 11, 10, 9},
            {13, 12, 11, 10},
            {13, 13, 12, 11},
        };

        Us915() {
            super("US915");
        }

        @Override
        public DataRate uplinkDataRate(int dr) {
            return dr >= 0 && dr < UP.length ? UP[dr] : null;
        }

        @Override
        public DataRate downlinkDataRate(int dr) {
            return dr >= 0 && dr < DOWN.length ? DOWN[dr] : null;
        }

        @Override
        public int maxRx1DrOffset() {
            return 3;
        }

        /** The uplink channel number 0..71 of a frequency and bandwidth, or -1. */
        static int uplinkChannel(long f, int bw) {
            if (bw == 125_000) {
                long d = f - 902_300_000L;
                if (d >= 0 && d % 200_000 == 0 && d / 200_000 < 64) {
                    return (int) (d / 200_000);
                }
            } else if (bw == 500_000) {
                long d = f - 903_000_000L;
                if (d >= 0 && d % 1_600_000 == 0 && d / 1_600_000 < 8) {
                    return 64 + (int) (d / 1_600_000);
                }
            }
            return -1;
        }

        @Override
        public Channel rx1(long f, DataRate up, int offset) {
            if (up == null || uplinkDataRate(up.index()) != up || offset < 0 || offset > maxRx1DrOffset()) {
                return null;
            }
            int ch = uplinkChannel(f, up.bandwidthHz());
            if (ch < 0) {
                return null;
            }
            // 8 downlink channels 923.3 + 0.6 k MHz; uplink channel c answers on c mod 8
            return new Channel(923_300_000L + (ch % 8) * 600_000L, DOWN[RX1_DR[up.index()][offset]]);
        }

        @Override
        public Channel defaultRx2() {
            return new Channel(923_300_000L, DOWN[8]);
        }

        @Override
        public boolean isDownlinkFrequency(long hz) {
            return hz >= 923_300_000L && hz <= 927_500_000L;
        }

        @Override
        public SubBand subBand(long hz) {
            return null;
        }

        @Override
        public boolean dutyCycleLimited() {
            return false;
        }

        @Override
        public int defaultTxPowerDbm() {
            return 20;
        }

        @Override
        public List<Long> defaultUplinkChannels() {
            // sub-band 2 (channels 8..15), what most US915 gateways listen on
            return List.of(903_900_000L, 904_100_000L, 904_300_000L, 904_500_000L, 904_700_000L, 904_900_000L,
                    905_100_000L, 905_300_000L);
        }
    }
}
