package io.hopseal.transport.lora;

import java.util.HexFormat;
import java.util.List;
import java.util.Objects;

import io.hopseal.api.routing.Address;
import io.hopseal.support.InvalidFieldException;
import io.hopseal.transport.lora.fragment.RouteContext;
import io.hopseal.transport.lora.lorawan.AesKey;
import io.hopseal.transport.lora.region.Region;

/**
 * One end device the network server knows: activation by personalisation (ABP: DevAddr and session keys configured)
 * or over the air (OTAA: AppKey; DevAddr and session keys come from the join). Immutable; the builder validates and
 * throws {@link InvalidFieldException} naming the field.
 */
public final class LoraDevice {
    public enum Activation { ABP, OTAA }

    /** Default FPort of Hopseal traffic. */
    public static final int DEFAULT_FPORT = 100;

    private final long devEui;
    private final Activation activation;
    private final int devAddr;
    private final AesKey nwkSKey;
    private final AesKey appSKey;
    private final AesKey appKey;
    private final Long appEui;
    private final Region region;
    private final int fport;
    private final List<Address> routeContext;
    private final boolean compactEnvelope;
    private final int counterReset;

    private LoraDevice(Builder b) {
        this.devEui = b.devEui;
        this.activation = b.activation;
        this.devAddr = b.devAddr;
        this.nwkSKey = b.nwkSKey;
        this.appSKey = b.appSKey;
        this.appKey = b.appKey;
        this.appEui = b.appEui;
        this.region = b.region;
        this.fport = b.fport;
        this.routeContext = List.copyOf(b.routeContext);
        this.compactEnvelope = b.compactEnvelope;
        this.counterReset = b.counterReset;
    }

    /** An ABP device. */
    public static Builder abp(long devEui, int devAddr, AesKey nwkSKey, AesKey appSKey) {
        Builder b = new Builder(devEui, Activation.ABP);
        b.devAddr = devAddr;
        b.nwkSKey = nwkSKey;
        b.appSKey = appSKey;
        return b;
    }

    /** An OTAA device. */
    public static Builder otaa(long devEui, AesKey appKey) {
        Builder b = new Builder(devEui, Activation.OTAA);
        b.appKey = appKey;
        return b;
    }

    public long devEui() { return devEui; }
    public Activation activation() { return activation; }
    /** ABP: the DevAddr; OTAA: the DevAddr to assign at join, or 0 to derive one. */
    public int devAddr() { return devAddr; }
    public AesKey nwkSKey() { return nwkSKey; }
    public AesKey appSKey() { return appSKey; }
    public AesKey appKey() { return appKey; }
    public int counterReset() { return counterReset; }
    /** OTAA: the AppEUI/JoinEUI a join-request must carry, or null for any. */
    public Long appEui() { return appEui; }
    /** The region, or null for the transport's. */
    public Region region() { return region; }
    public int fport() { return fport; }
    /** The static route context (identical on the device). */
    public List<Address> routeContext() { return routeContext; }
    /** Whether downlinks use the compact radio envelope (else the plain Hopseal envelope). */
    public boolean compactEnvelope() { return compactEnvelope; }

    /** {@code /lora/<DevEUI>}. */
    public Address address() {
        return address(devEui);
    }

    public static Address address(long devEui) {
        return Address.of(Address.LORA, euiBytes(devEui));
    }

    public static byte[] euiBytes(long eui) {
        byte[] b = new byte[8];
        for (int i = 0; i < 8; i++) {
            b[i] = (byte) (eui >>> (56 - 8 * i));
        }
        return b;
    }

    public static String euiText(long eui) {
        return HexFormat.of().withUpperCase().formatHex(euiBytes(eui));
    }

    /** Parses 16 hex digits (separators {@code -} and {@code :} allowed). */
    public static long parseEui(String text) {
        String h = text == null ? "" : text.strip().replace("-", "").replace(":", "");
        if (h.length() != 16) {
            throw new IllegalArgumentException("an EUI is 16 hex digits, was '" + text + "'");
        }
        try {
            return Long.parseUnsignedLong(h, 16);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("an EUI is 16 hex digits, was '" + text + "'");
        }
    }

    /** Whether the session-relevant settings differ (a change resets the device's session). */
    boolean sameSession(LoraDevice o) {
        return o.devEui == devEui && o.activation == activation && o.devAddr == devAddr
                && Objects.equals(o.nwkSKey, nwkSKey) && Objects.equals(o.appSKey, appSKey)
                && Objects.equals(o.appKey, appKey) && Objects.equals(o.appEui, appEui)
                && o.routeContext.equals(routeContext) && o.compactEnvelope == compactEnvelope && o.fport == fport
                && o.counterReset == counterReset;
    }

    @Override
    public String toString() {
        return "LoraDevice[" + euiText(devEui) + ", " + activation
                + (devAddr != 0 ? ", DevAddr " + String.format("%08X", devAddr) : "") + ", FPort " + fport + "]";
    }

    /** Builds a {@link LoraDevice}. */
    public static final class Builder {
        private final long devEui;
        private final Activation activation;
        private int devAddr;
        private AesKey nwkSKey;
        private AesKey appSKey;
        private AesKey appKey;
        private Long appEui;
        private Region region;
        private int fport = DEFAULT_FPORT;
        private List<Address> routeContext = List.of();
        private boolean compactEnvelope = true;
        private int counterReset;

        private Builder(long devEui, Activation activation) {
            this.devEui = devEui;
            this.activation = activation;
        }

        public Builder devAddr(int v) { devAddr = v; return this; }
        public Builder appEui(Long v) { appEui = v; return this; }
        public Builder region(Region v) { region = v; return this; }
        public Builder fport(int v) { fport = v; return this; }
        public Builder routeContext(List<Address> v) { routeContext = v == null ? List.of() : v; return this; }
        public Builder compactEnvelope(boolean v) { compactEnvelope = v; return this; }
        /**
         * The frame counter generation: counters the gateway kept for another generation are not used, so raising it
         * lets an ABP device whose counters started over (no non-volatile memory, new battery) be heard again.
         */
        public Builder counterReset(int v) { counterReset = v; return this; }

        /** @throws InvalidFieldException naming the first invalid field */
        public LoraDevice build() {
            if (activation == Activation.ABP) {
                if (nwkSKey == null) {
                    throw new InvalidFieldException("nwkSKey", "is required for ABP");
                }
                if (appSKey == null) {
                    throw new InvalidFieldException("appSKey", "is required for ABP");
                }
            } else if (appKey == null) {
                throw new InvalidFieldException("appKey", "is required for OTAA");
            }
            if (fport < 1 || fport > 223) {
                throw new InvalidFieldException("fport", "must be 1..223 (application ports), was " + fport);
            }
            if (routeContext.size() > RouteContext.MAX_STATIC) {
                throw new InvalidFieldException("routeContext", "has " + routeContext.size() + " entries, at most "
                        + RouteContext.MAX_STATIC);
            }
            if (routeContext.stream().distinct().count() != routeContext.size()) {
                throw new InvalidFieldException("routeContext", "lists an address twice");
            }
            return new LoraDevice(this);
        }
    }
}
