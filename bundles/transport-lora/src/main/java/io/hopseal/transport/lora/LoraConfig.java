package io.hopseal.transport.lora;

import java.time.Duration;
import java.util.Objects;
import java.util.Set;

import io.hopseal.support.InvalidFieldException;
import io.hopseal.transport.lora.fragment.OutboundMessage;
import io.hopseal.transport.lora.region.DataRate;
import io.hopseal.transport.lora.region.Region;

/**
 * Settings of a {@link LoraTransport} (the network-server side). Immutable; {@link Builder#build()} validates every
 * field and throws an {@link InvalidFieldException} naming the first bad one.
 *
 * @param bindAddress        UDP address the packet forwarders send to (default {@code 0.0.0.0})
 * @param port               UDP port (default 1680; 0 = any free port, for tests)
 * @param region             EU868 (default) or US915
 * @param rx1Delay           class A RX1 delay after an uplink (default 1 s; LoRaWAN allows 1..15 s; shorter only in
 *                           simulations)
 * @param rx2Delay           RX2 delay (default RX1 + 1 s, as LoRaWAN fixes it)
 * @param joinAcceptDelay1   join-accept RX1 delay (default 5 s; RX2 one second later)
 * @param rx1DrOffset        RX1 data-rate offset (default 0)
 * @param rx2FrequencyHz     RX2 frequency (default: the region's, EU868 869.525 MHz)
 * @param rx2DataRate        RX2 data rate (default: the region's, EU868 DR0)
 * @param dedupWindow        how long copies of an uplink from several gateways are collected (default 200 ms)
 * @param scheduleLead       a downlink is handed to the gateway at least this long before its window (default 100 ms)
 * @param reassemblyTimeout  a partially received message is discarded after this (default 30 min: at DR0 with a 1 %
 *                           duty cycle a device sends a 51-byte frame every ~4.7 min)
 * @param maxMessageSize     largest radio envelope per message in either direction (default 2048 bytes)
 * @param downlinkQueueBytes envelope bytes queued per device for downlink (default 4096)
 * @param downlinkTtl        a queued downlink message older than this is dropped (default 1 h)
 * @param txPowerDbm         downlink power (default: the region's, EU868 14 dBm, US915 20 dBm)
 * @param maxJsonBytes       larger JSON in a datagram is dropped before parsing (default 16384)
 * @param dutyCycleWindow    the sliding window of duty-cycle accounting (default 1 h, as ETSI measures)
 * @param netId              NetID sent in join-accepts (24 bits, default 0)
 * @param allowedGateways    gateway EUIs accepted; empty = any (the Semtech protocol has no authentication)
 */
public record LoraConfig(String bindAddress, int port, Region region, Duration rx1Delay, Duration rx2Delay,
                         Duration joinAcceptDelay1, int rx1DrOffset, long rx2FrequencyHz, int rx2DataRate,
                         Duration dedupWindow, Duration scheduleLead, Duration reassemblyTimeout, int maxMessageSize,
                         int downlinkQueueBytes, Duration downlinkTtl, int txPowerDbm, int maxJsonBytes,
                         Duration dutyCycleWindow, int netId, Set<Long> allowedGateways) {

    public static final int DEFAULT_PORT = 1680;

    public LoraConfig {
        Objects.requireNonNull(region, "region");
        allowedGateways = Set.copyOf(allowedGateways);
    }

    public static LoraConfig defaults() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    public Builder toBuilder() {
        Builder b = new Builder();
        b.bindAddress = bindAddress;
        b.port = port;
        b.region = region;
        b.rx1Delay = rx1Delay;
        b.rx2Delay = rx2Delay;
        b.joinAcceptDelay1 = joinAcceptDelay1;
        b.rx1DrOffset = rx1DrOffset;
        b.rx2FrequencyHz = rx2FrequencyHz;
        b.rx2DataRate = rx2DataRate;
        b.dedupWindow = dedupWindow;
        b.scheduleLead = scheduleLead;
        b.reassemblyTimeout = reassemblyTimeout;
        b.maxMessageSize = maxMessageSize;
        b.downlinkQueueBytes = downlinkQueueBytes;
        b.downlinkTtl = downlinkTtl;
        b.txPowerDbm = txPowerDbm;
        b.maxJsonBytes = maxJsonBytes;
        b.dutyCycleWindow = dutyCycleWindow;
        b.netId = netId;
        b.allowedGateways = allowedGateways;
        return b;
    }

    /** The RX2 data rate. */
    public DataRate rx2Dr() {
        return region.downlinkDataRate(rx2DataRate);
    }

    /** Largest envelope the downlink path can carry: the configured maximum, and 64 fragments at the smallest DR. */
    public int maxDownlinkMessage() {
        return Math.min(maxMessageSize, OutboundMessage.maxEnvelope(region.minDownlinkPayload()));
    }

    /** Builds a {@link LoraConfig}; unset fields take their defaults. */
    public static final class Builder {
        private String bindAddress = "0.0.0.0";
        private int port = DEFAULT_PORT;
        private Region region = Region.EU868;
        private Duration rx1Delay = Duration.ofSeconds(1);
        private Duration rx2Delay;
        private Duration joinAcceptDelay1 = Duration.ofSeconds(5);
        private int rx1DrOffset;
        private long rx2FrequencyHz = -1;
        private int rx2DataRate = -1;
        private Duration dedupWindow = Duration.ofMillis(200);
        private Duration scheduleLead = Duration.ofMillis(100);
        private Duration reassemblyTimeout = Duration.ofMinutes(30);
        private int maxMessageSize = 2048;
        private int downlinkQueueBytes = 4096;
        private Duration downlinkTtl = Duration.ofHours(1);
        private int txPowerDbm = -1;
        private int maxJsonBytes = 16_384;
        private Duration dutyCycleWindow = Duration.ofHours(1);
        private int netId;
        private Set<Long> allowedGateways = Set.of();

        public Builder bindAddress(String v) { bindAddress = v; return this; }
        public Builder port(int v) { port = v; return this; }
        public Builder region(Region v) { region = v; return this; }
        public Builder rx1Delay(Duration v) { rx1Delay = v; return this; }
        /** RX2 delay; null = RX1 delay + 1 s. */
        public Builder rx2Delay(Duration v) { rx2Delay = v; return this; }
        public Builder joinAcceptDelay1(Duration v) { joinAcceptDelay1 = v; return this; }
        public Builder rx1DrOffset(int v) { rx1DrOffset = v; return this; }
        /** RX2 frequency in Hz; -1 = the region's default. */
        public Builder rx2FrequencyHz(long v) { rx2FrequencyHz = v; return this; }
        /** RX2 data rate; -1 = the region's default. */
        public Builder rx2DataRate(int v) { rx2DataRate = v; return this; }
        public Builder dedupWindow(Duration v) { dedupWindow = v; return this; }
        public Builder scheduleLead(Duration v) { scheduleLead = v; return this; }
        public Builder reassemblyTimeout(Duration v) { reassemblyTimeout = v; return this; }
        public Builder maxMessageSize(int v) { maxMessageSize = v; return this; }
        public Builder downlinkQueueBytes(int v) { downlinkQueueBytes = v; return this; }
        public Builder downlinkTtl(Duration v) { downlinkTtl = v; return this; }
        /** Downlink power; -1 = the region's default. */
        public Builder txPowerDbm(int v) { txPowerDbm = v; return this; }
        public Builder maxJsonBytes(int v) { maxJsonBytes = v; return this; }
        public Builder dutyCycleWindow(Duration v) { dutyCycleWindow = v; return this; }
        public Builder netId(int v) { netId = v; return this; }
        public Builder allowedGateways(Set<Long> v) { allowedGateways = v == null ? Set.of() : v; return this; }

        /** @throws InvalidFieldException naming the first invalid field */
        public LoraConfig build() {
            if (bindAddress == null || bindAddress.isBlank()) {
                throw new InvalidFieldException("bindAddress", "must not be empty (0.0.0.0 = every IPv4 interface)");
            }
            if (port < 0 || port > 65535) {
                throw new InvalidFieldException("port", "must be 1..65535 (0 = any free port), was " + port);
            }
            if (region == null) {
                throw new InvalidFieldException("region", "must be EU868 or US915");
            }
            check("rx1Delay", rx1Delay, Duration.ofMillis(10), Duration.ofSeconds(15));
            Duration rx2 = rx2Delay == null ? rx1Delay.plusSeconds(1) : rx2Delay;
            check("rx2Delay", rx2, rx1Delay.plusMillis(1), Duration.ofSeconds(16));
            check("joinAcceptDelay1", joinAcceptDelay1, Duration.ofMillis(10), Duration.ofSeconds(15));
            if (rx1DrOffset < 0 || rx1DrOffset > region.maxRx1DrOffset()) {
                throw new InvalidFieldException("rx1DrOffset", "must be 0.." + region.maxRx1DrOffset() + " in "
                        + region + ", was " + rx1DrOffset);
            }
            long rx2f = rx2FrequencyHz < 0 ? region.defaultRx2().frequencyHz() : rx2FrequencyHz;
            if (!region.isDownlinkFrequency(rx2f)) {
                throw new InvalidFieldException("rx2FrequencyHz", Region.formatMhz(rx2f) + " MHz is not a downlink "
                        + "frequency of " + region);
            }
            int rx2dr = rx2DataRate < 0 ? region.defaultRx2().dataRate().index() : rx2DataRate;
            if (region.downlinkDataRate(rx2dr) == null) {
                throw new InvalidFieldException("rx2DataRate", "DR" + rx2dr + " is not a downlink data rate of " + region);
            }
            check("dedupWindow", dedupWindow, Duration.ZERO, Duration.ofSeconds(2));
            check("scheduleLead", scheduleLead, Duration.ofMillis(1), rx1Delay);
            if (dedupWindow.plus(scheduleLead).compareTo(rx1Delay) >= 0) {
                throw new InvalidFieldException("dedupWindow", "plus scheduleLead must be shorter than rx1Delay ("
                        + rx1Delay.toMillis() + " ms)");
            }
            check("reassemblyTimeout", reassemblyTimeout, Duration.ofMillis(10), Duration.ofDays(1));
            int maxByRegion = OutboundMessage.maxEnvelope(region.minDownlinkPayload());
            if (maxMessageSize < 64 || maxMessageSize > maxByRegion) {
                throw new InvalidFieldException("maxMessageSize", "must be 64.." + maxByRegion + " bytes in " + region
                        + " (64 fragments at the smallest downlink data rate), was " + maxMessageSize);
            }
            if (downlinkQueueBytes < maxMessageSize || downlinkQueueBytes > 1 << 20) {
                throw new InvalidFieldException("downlinkQueueBytes", "must be maxMessageSize (" + maxMessageSize
                        + ").." + (1 << 20) + ", was " + downlinkQueueBytes);
            }
            check("downlinkTtl", downlinkTtl, Duration.ofMillis(10), Duration.ofDays(7));
            int power = txPowerDbm < 0 ? region.defaultTxPowerDbm() : txPowerDbm;
            if (power > 30) {
                throw new InvalidFieldException("txPowerDbm", "must be 0..30 dBm (-1 = region default), was " + power);
            }
            if (maxJsonBytes < 256 || maxJsonBytes > 65_507) {
                throw new InvalidFieldException("maxJsonBytes", "must be 256..65507, was " + maxJsonBytes);
            }
            check("dutyCycleWindow", dutyCycleWindow, Duration.ofSeconds(1), Duration.ofDays(1));
            if (netId < 0 || netId > 0xFFFFFF) {
                throw new InvalidFieldException("netId", "must be 24 bits (000000..FFFFFF)");
            }
            return new LoraConfig(bindAddress.strip(), port, region, rx1Delay, rx2, joinAcceptDelay1, rx1DrOffset, rx2f,
                    rx2dr, dedupWindow, scheduleLead, reassemblyTimeout, maxMessageSize, downlinkQueueBytes,
                    downlinkTtl, power, maxJsonBytes, dutyCycleWindow, netId, allowedGateways);
        }

        private static void check(String field, Duration d, Duration min, Duration max) {
            if (d == null) {
                throw new InvalidFieldException(field, "must not be empty");
            }
            if (d.compareTo(min) < 0 || d.compareTo(max) > 0) {
                throw new InvalidFieldException(field, "must be " + min.toMillis() + ".." + max.toMillis()
                        + " ms, was " + d.toMillis() + " ms");
            }
        }
    }
}
