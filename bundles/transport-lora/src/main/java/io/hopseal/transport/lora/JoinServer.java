package io.hopseal.transport.lora;

import java.util.Iterator;
import java.util.Random;
import java.util.function.LongFunction;

import io.hopseal.api.transport.Counters;
import io.hopseal.transport.lora.lorawan.JoinAccept;
import io.hopseal.transport.lora.lorawan.JoinRequest;
import io.hopseal.transport.lora.lorawan.LorawanException;
import io.hopseal.transport.lora.lorawan.SessionKeys;

/**
 * The join server of OTAA devices (LoRaWAN 1.0.x §6.2): checks a join-request (known OTAA device, AppEUI, MIC), refuses
 * a DevNonce the device used before (the last {@link #MAX_DEV_NONCES} are kept, and saved across restarts), assigns
 * the DevAddr, derives the session keys and builds the encrypted join-accept. {@link NetworkCore} then starts the
 * session and sends the accept in the join window. Not thread-safe.
 */
final class JoinServer {
    static final int MAX_DEV_NONCES = 2048;

    /** An accepted join: the device's new session and the join-accept PHYPayload to send. */
    record Join(DeviceState device, int devAddr, SessionKeys keys, byte[] joinAccept) {
    }

    private final Counters counters;
    private final Random random;
    private final CounterPersistence persistence;

    JoinServer(Counters counters, Random random, CounterPersistence persistence) {
        this.counters = counters;
        this.random = random;
        this.persistence = persistence;
    }

    /**
     * Handles a join-request PHYPayload.
     *
     * @param devices the configured devices by DevEUI (null if unknown)
     * @return the accepted join, or null when refused (counted)
     */
    Join accept(byte[] phy, LoraConfig config, LongFunction<DeviceState> devices) {
        JoinRequest jr;
        try {
            jr = JoinRequest.parse(phy);
        } catch (LorawanException e) {
            counters.increment("drop.malformed_frame");
            return null;
        }
        DeviceState d = devices.apply(jr.devEui());
        if (d == null || d.cfg.activation() != LoraDevice.Activation.OTAA
                || (d.cfg.appEui() != null && d.cfg.appEui() != jr.appEui())) {
            counters.increment("drop.join_unknown_device");
            return null;
        }
        try {
            JoinRequest.verify(phy, d.cfg.appKey());
        } catch (LorawanException e) {
            counters.increment("drop.join_mic");
            return null;
        }
        if (d.devNonces.contains(jr.devNonce())) {
            counters.increment("drop.join_devnonce_replay");
            return null;
        }
        d.devNonces.add(jr.devNonce());
        persistence.changed();
        if (d.devNonces.size() > MAX_DEV_NONCES) {
            Iterator<Integer> it = d.devNonces.iterator();
            it.next();
            it.remove();
        }
        int appNonce = random.nextInt(1 << 24);
        int devAddr = d.cfg.devAddr() != 0 ? d.cfg.devAddr() : deriveDevAddr(config.netId(), jr.devEui());
        SessionKeys keys = SessionKeys.derive(d.cfg.appKey(), appNonce, config.netId(), jr.devNonce());
        int rxDelaySeconds = (int) Math.max(1, Math.min(15, Math.round(config.rx1Delay().toMillis() / 1000.0)));
        byte[] accept = new JoinAccept(appNonce, config.netId(), devAddr, config.rx1DrOffset(), config.rx2DataRate(),
                rxDelaySeconds, null).encode(d.cfg.appKey());
        counters.increment("join.accepted");
        return new Join(d, devAddr, keys, accept);
    }

    /** A DevAddr with the NwkID of the NetID (its 7 low bits) and 25 bits from the DevEUI. */
    static int deriveDevAddr(int netId, long devEui) {
        int nwkId = netId & 0x7F;
        int h = Long.hashCode(devEui * 0x9E3779B97F4A7C15L);
        return nwkId << 25 | (h & 0x1FF_FFFF);
    }
}
