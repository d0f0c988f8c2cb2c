package io.hopseal.transport.lora.component;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

import org.eclipse.kura.crypto.CryptoService;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.AttributeType;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.osgi.service.metatype.annotations.Option;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.hopseal.api.routing.Address;
import io.hopseal.api.routing.Route;
import io.hopseal.api.routing.RouteSyntaxException;
import io.hopseal.api.transport.Transport;
import io.hopseal.support.InvalidFieldException;
import io.hopseal.support.LastGoodConfigs;
import io.hopseal.support.kura.KuraPasswords;
import io.hopseal.transport.lora.LoraDevice;
import io.hopseal.transport.lora.lorawan.AesKey;
import io.hopseal.transport.lora.region.Region;

/**
 * One LoRaWAN end device of the node's LoRaWAN transport: one factory configuration (factory pid {@value #PID}) per
 * device. Its address on the node is {@code /lora/<DevEUI>}.
 *
 * <p>An invalid value is refused with a log message naming the property; a device that was running keeps its last
 * good settings. The last accepted configuration is kept in the state folder (as ConfigurationAdmin holds it: on
 * Kura the keys stay encrypted): after a restart with an invalid stored configuration the device is in service with
 * that one (and says so, without keys); a configuration never accepted is not in service. Keys are {@code Password}
 * attributes. A change of keys, DevAddr, FPort or route context starts a new session (frame counters from zero).
 *
 * <p>On Kura the key attributes arrive encrypted by Kura's {@code CryptoService} (Kura's ConfigurationService encrypts
 * every Password attribute before ConfigurationAdmin sees it): they are decrypted with {@code decryptAes} when that
 * service is bound; a value it cannot decrypt is clear text and is used as given, with a warning (Kura's own rule).
 * The reference is static and greedy, so a device configured before the CryptoService appeared is activated again
 * with its keys decrypted. Without Kura the attributes are used as given.
 */
@Component(name = LoraDeviceComponent.PID, immediate = true, configurationPolicy = ConfigurationPolicy.REQUIRE,
        service = {}, property = "service.pid=" + LoraDeviceComponent.PID)
@Designate(ocd = LoraDeviceComponent.Config.class, factory = true)
public final class LoraDeviceComponent {
    private static final Logger LOG = LoggerFactory.getLogger(LoraDeviceComponent.class);

    public static final String PID = "io.hopseal.transport.lora.device";

    @ObjectClassDefinition(id = PID, name = "Hopseal LoRaWAN device",
            description = "A LoRaWAN class A device that opens secure channels through this gateway (one "
                    + "configuration per device). Its address is /lora/<DevEUI>. The device must be configured with "
                    + "the same keys, FPort and route context.")
    public @interface Config {
        @AttributeDefinition(name = "DevEUI", description = "The device's EUI-64, 16 hex digits (e.g. 70B3D57ED0000001).")
        String dev_eui();

        @AttributeDefinition(name = "Activation",
                description = "ABP: DevAddr and session keys are configured here and on the device. OTAA: the "
                        + "device joins with its AppKey and gets a DevAddr and session keys.",
                options = {@Option(label = "ABP (activation by personalisation)", value = "ABP"),
                    @Option(label = "OTAA (over-the-air activation)", value = "OTAA")})
        String activation() default "ABP";

        @AttributeDefinition(name = "DevAddr",
                description = "32-bit device address, 8 hex digits. Required for ABP; for OTAA the address to assign "
                        + "(empty: derived from the DevEUI and the NetID).")
        String dev_addr() default "";

        @AttributeDefinition(name = "NwkSKey", type = AttributeType.PASSWORD,
                description = "ABP network session key, 32 hex digits.")
        String nwk_skey() default "";

        @AttributeDefinition(name = "AppSKey", type = AttributeType.PASSWORD,
                description = "ABP application session key, 32 hex digits.")
        String app_skey() default "";

        @AttributeDefinition(name = "AppKey", type = AttributeType.PASSWORD,
                description = "OTAA root key, 32 hex digits.")
        String app_key() default "";

        @AttributeDefinition(name = "AppEUI / JoinEUI",
                description = "OTAA: the AppEUI the device's join-requests must carry, 16 hex digits; empty = any.")
        String app_eui() default "";

        @AttributeDefinition(name = "Region",
                description = "The device's region; empty = the transport's. A different region is refused.",
                options = {@Option(label = "(the transport's)", value = ""), @Option(label = "EU868", value = "EU868"),
                    @Option(label = "US915", value = "US915")})
        String region() default "";

        @AttributeDefinition(name = "FPort",
                description = "LoRaWAN FPort of Hopseal traffic (1 to 223). Frames on other ports are ignored.",
                min = "1", max = "223")
        int fport() default LoraDevice.DEFAULT_FPORT;

        @AttributeDefinition(name = "Route context",
                description = "Addresses the device and the gateway both know, sent as one byte each on the radio "
                        + "(comma-separated, at most 32, each a one-hop route such as /tcp/10.0.0.5:4000 or "
                        + "/service/api). Must be identical on the device, in the same order.")
        String route_context() default "";

        @AttributeDefinition(name = "Compact envelope",
                description = "Send downlinks in the compact radio envelope (recommended). Off: the plain Hopseal "
                        + "envelope, for device firmware that does not implement the compact form.")
        boolean compact_envelope() default true;

        @AttributeDefinition(name = "Frame counter reset",
                description = "The gateway keeps each device's LoRaWAN frame counters across restarts, so replayed "
                        + "frames are refused. An ABP device whose counters started over (no non-volatile memory, "
                        + "new battery) is then refused too: raise this number by one to start its counters from "
                        + "zero. 0 to 1000000.", min = "0", max = "1000000")
        int counter_reset() default 0;
    }

    private static final Map<String, String> PROPERTY_OF = Map.ofEntries(Map.entry("devEui", "dev.eui"),
            Map.entry("devAddr", "dev.addr"), Map.entry("nwkSKey", "nwk.skey"), Map.entry("appSKey", "app.skey"),
            Map.entry("appKey", "app.key"), Map.entry("appEui", "app.eui"), Map.entry("region", "region"),
            Map.entry("fport", "fport"), Map.entry("routeContext", "route.context"),
            Map.entry("activation", "activation"), Map.entry("counterReset", "counter.reset"));

    /** Turns a key attribute as configured into the clear hex text. */
    @FunctionalInterface
    interface KeyAttributes {
        /**
         * @throws InvalidFieldException naming {@code field} if it cannot be turned into clear text
         */
        String clear(String field, String value);
    }

    /** Without Kura: the attributes are the keys. */
    static final KeyAttributes AS_GIVEN = (field, value) -> value;

    @Reference(target = LoraTransportComponent.TARGET)
    private Transport transportService;

    /** Kura's CryptoService (Kura only): decrypts the key attributes. */
    @Reference(name = "CryptoService", service = CryptoService.class, cardinality = ReferenceCardinality.OPTIONAL,
            policyOption = ReferencePolicyOption.GREEDY)
    private ServiceReference<?> crypto;

    private BundleContext context;
    private String pid = PID;
    private String configPid;
    /** Where the last accepted configuration is kept, for a restart with an invalid stored one. */
    private LastGoodConfigs lastGood = new LastGoodConfigs(null);
    private LoraDevice active;

    public LoraDeviceComponent() {
    }

    /** For use outside OSGi (tests, embedding). */
    LoraDeviceComponent(LoraTransportComponent transport) {
        this.transportService = Objects.requireNonNull(transport, "transport");
    }

    @Activate
    void activate(BundleContext context, Config config, Map<String, Object> properties) {
        activate(context, LastGoodConfigs.inStateFolder(context), config, properties);
    }

    void activate(BundleContext context, LastGoodConfigs store, Config config, Map<String, Object> properties) {
        this.context = context;
        lastGood = store;
        configPid = LastGoodConfigs.configurationPid(properties);
        Object kuraPid = properties.get("kura.service.pid");
        pid = String.valueOf(Objects.requireNonNullElse(kuraPid, Objects.requireNonNullElse(configPid, PID)));
        apply(config, properties, true);
    }

    @Modified
    void modified(Config config, Map<String, Object> properties) {
        apply(config, properties, false);
    }

    /** DS: stops; a deleted configuration also takes its last good copy with it. */
    @Deactivate
    void deactivate(int reason) {
        deactivate();
        lastGood.deactivated(configPid, reason);
    }

    void deactivate() {
        if (active != null) {
            transport().removeDevice(pid);
            LOG.info("{} {}: device {} removed", PID, pid, LoraDevice.euiText(active.devEui()));
            active = null;
        }
    }

    private LoraTransportComponent transport() {
        if (transportService instanceof LoraTransportComponent c) {
            return c;
        }
        throw new IllegalStateException("the transport service is not " + LoraTransportComponent.PID);
    }

    /** Decrypts through Kura's CryptoService when it is bound, else {@link #AS_GIVEN}. */
    private KeyAttributes keyAttributes() {
        ServiceReference<?> kura = crypto;
        if (kura == null || context == null) {
            return AS_GIVEN;
        }
        return (field, value) -> {
            if (value == null || value.isBlank()) {
                return value;
            }
            KuraPasswords.Clear clear;
            try {
                clear = KuraPasswords.decrypt(context, kura, value.toCharArray());
            } catch (IllegalStateException e) {
                throw new InvalidFieldException(field, "cannot be decrypted: " + e.getMessage());
            }
            if (!clear.wasEncrypted()) {
                LOG.warn("{} {}: property {} is not encrypted by Kura's CryptoService; using it as given. Set it "
                        + "through Kura's web UI or REST API so that Kura keeps it encrypted", PID, pid,
                        PROPERTY_OF.getOrDefault(field, field));
            }
            try {
                return new String(clear.value());
            } finally {
                Arrays.fill(clear.value(), '\0');
            }
        };
    }

    private void apply(Config config, Map<String, Object> properties, boolean first) {
        LoraDevice d;
        try {
            d = toDevice(config, keyAttributes());
            transport().putDevice(pid, d);
        } catch (IllegalArgumentException e) {
            String what = e instanceof InvalidFieldException f
                    ? "property " + PROPERTY_OF.getOrDefault(f.field(), f.field()) + ": " + f.getMessage()
                    : e.getMessage();
            if (first && putLastGood()) {
                LOG.error("{} {}: stored configuration refused, {}; using the last good configuration {} until it is "
                        + "corrected", PID, pid, what, active);
                return;
            }
            LOG.error("{} {}: configuration refused, {}; {}", PID, pid, what,
                    active == null ? "the device is not in service" : "keeping " + active);
            return;
        }
        active = d;
        lastGood.remember(configPid, properties);
        LOG.info("{} {}: {} {}", PID, pid, first ? "in service:" : "updated:", d);
    }

    /** Puts the last good device in service (its keys decrypted as the current ones are); false if there is none. */
    private boolean putLastGood() {
        Optional<LoraDevice> last = lastGood.recall(configPid, Config.class, c -> toDevice(c, keyAttributes()));
        if (last.isEmpty()) {
            return false;
        }
        try {
            transport().putDevice(pid, last.get());
        } catch (IllegalArgumentException refused) {
            return false;
        }
        active = last.get();
        return true;
    }

    /** The device in service, or null. */
    LoraDevice active() {
        return active;
    }

    /**
     * Converts a configuration whose key attributes are the keys (no Kura).
     *
     * @throws InvalidFieldException naming the field
     */
    static LoraDevice toDevice(Config c) {
        return toDevice(c, AS_GIVEN);
    }

    /**
     * Converts a configuration, turning key attributes into clear text with {@code keys}.
     *
     * @throws InvalidFieldException naming the field
     */
    static LoraDevice toDevice(Config c, KeyAttributes keys) {
        long devEui;
        try {
            devEui = LoraDevice.parseEui(c.dev_eui());
        } catch (IllegalArgumentException e) {
            throw new InvalidFieldException("devEui", e.getMessage());
        }
        String act = c.activation() == null ? "" : c.activation().strip().toUpperCase(java.util.Locale.ROOT);
        Integer devAddr = null;
        if (c.dev_addr() != null && !c.dev_addr().isBlank()) {
            String h = c.dev_addr().strip();
            if (h.length() != 8) {
                throw new InvalidFieldException("devAddr", "must be 8 hex digits, was '" + c.dev_addr() + "'");
            }
            try {
                devAddr = (int) Long.parseLong(h, 16);
            } catch (NumberFormatException e) {
                throw new InvalidFieldException("devAddr", "must be 8 hex digits, was '" + c.dev_addr() + "'");
            }
        }
        LoraDevice.Builder b;
        switch (act) {
            case "ABP" -> {
                if (devAddr == null) {
                    throw new InvalidFieldException("devAddr", "is required for ABP");
                }
                b = LoraDevice.abp(devEui, devAddr, key("nwkSKey", c.nwk_skey(), keys),
                        key("appSKey", c.app_skey(), keys));
            }
            case "OTAA" -> {
                b = LoraDevice.otaa(devEui, key("appKey", c.app_key(), keys));
                if (devAddr != null) {
                    b.devAddr(devAddr);
                }
                if (c.app_eui() != null && !c.app_eui().isBlank()) {
                    try {
                        b.appEui(LoraDevice.parseEui(c.app_eui()));
                    } catch (IllegalArgumentException e) {
                        throw new InvalidFieldException("appEui", e.getMessage());
                    }
                }
            }
            default -> throw new InvalidFieldException("activation", "must be ABP or OTAA, was '" + c.activation() + "'");
        }
        if (c.region() != null && !c.region().isBlank()) {
            try {
                b.region(Region.byName(c.region()));
            } catch (IllegalArgumentException e) {
                throw new InvalidFieldException("region", e.getMessage());
            }
        }
        b.fport(c.fport());
        b.routeContext(routeContext(c.route_context()));
        b.compactEnvelope(c.compact_envelope());
        if (c.counter_reset() < 0 || c.counter_reset() > 1_000_000) {
            throw new InvalidFieldException("counterReset", "must be 0..1000000, was " + c.counter_reset());
        }
        b.counterReset(c.counter_reset());
        return b.build();
    }

    private static AesKey key(String field, String attribute, KeyAttributes keys) {
        String hex = keys.clear(field, attribute);
        if (hex == null || hex.isBlank()) {
            throw new InvalidFieldException(field, "is required (32 hex digits)");
        }
        try {
            return AesKey.ofHex(hex);
        } catch (IllegalArgumentException e) {
            throw new InvalidFieldException(field, e.getMessage());
        }
    }

    static List<Address> routeContext(String text) {
        List<Address> l = new ArrayList<>();
        if (text == null || text.isBlank()) {
            return l;
        }
        for (String s : text.split(",")) {
            String t = s.strip();
            if (t.isEmpty()) {
                continue;
            }
            Route r;
            try {
                r = Route.parse(t);
            } catch (RouteSyntaxException e) {
                throw new InvalidFieldException("routeContext", "'" + t + "': " + e.getMessage());
            }
            if (r.size() != 1) {
                throw new InvalidFieldException("routeContext", "'" + t + "' must be exactly one address");
            }
            l.add(r.first());
        }
        return l;
    }
}
