package io.hopseal.transport.lora;

import java.nio.ByteBuffer;
import java.nio.BufferUnderflowException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;

import io.hopseal.transport.lora.lorawan.AesKey;

/**
 * What of a device's LoRaWAN state must survive a gateway restart, and its file format. Without it, a restart would
 * accept replayed ABP uplinks again (the uplink counter starts over), send downlinks with counters a device has already
 * seen (it drops them until the counter catches up) and accept replayed OTAA join-requests (DevNonces forgotten).
 * No keys are kept: OTAA session keys are lost with a restart and the device joins again.
 *
 * @param devEui     the device
 * @param sessionTag which keys the counters belong to ({@link #tag}): counters of another session are not used
 * @param fcntUp     last accepted uplink counter of an ABP session (-1 none)
 * @param fcntDown   next downlink counter of an ABP session
 * @param devNonces  DevNonces an OTAA device has used, oldest first
 */
public record SavedCounters(long devEui, long sessionTag, long fcntUp, long fcntDown, int[] devNonces) {
    private static final int MAGIC = 0x48534c43; // "HSLC"
    private static final int VERSION = 1;
    static final int MAX_DEVICES = 65_536;

    public SavedCounters {
        devNonces = devNonces.clone();
    }

    @Override
    public int[] devNonces() {
        return devNonces.clone();
    }

    /** Identifies the keys a device's counters belong to (a truncated hash: it tells nothing about the keys). */
    static long tag(LoraDevice d) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            md.update(("hopseal/lora/counters/" + d.activation()).getBytes(StandardCharsets.US_ASCII));
            md.update(ByteBuffer.allocate(16).putLong(d.devEui()).putInt(d.devAddr()).putInt(d.counterReset()).array());
            for (AesKey k : new AesKey[] {d.nwkSKey(), d.appSKey(), d.appKey()}) {
                if (k != null) {
                    byte[] b = k.bytes();
                    md.update(b);
                    java.util.Arrays.fill(b, (byte) 0);
                }
            }
            return ByteBuffer.wrap(md.digest()).getLong();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing", e);
        }
    }

    static byte[] encode(List<SavedCounters> all) {
        int size = 4 + 1 + 4;
        for (SavedCounters c : all) {
            size += 8 + 8 + 8 + 8 + 2 + 2 * c.devNonces.length;
        }
        ByteBuffer b = ByteBuffer.allocate(size).putInt(MAGIC).put((byte) VERSION).putInt(all.size());
        for (SavedCounters c : all) {
            b.putLong(c.devEui).putLong(c.sessionTag).putLong(c.fcntUp).putLong(c.fcntDown)
                    .putShort((short) c.devNonces.length);
            for (int n : c.devNonces) {
                b.putShort((short) n);
            }
        }
        return b.array();
    }

    /**
     * Decodes a counters file, checking every length before allocating.
     *
     * @throws IllegalArgumentException if the bytes are not a complete counters file
     */
    static List<SavedCounters> decode(byte[] bytes) {
        ByteBuffer b = ByteBuffer.wrap(bytes);
        try {
            if (b.getInt() != MAGIC || b.get() != VERSION) {
                throw new IllegalArgumentException("not a LoRaWAN counters file");
            }
            int n = b.getInt();
            if (n < 0 || n > MAX_DEVICES || n > b.remaining() / 34) {
                throw new IllegalArgumentException("device count " + n + " does not fit the file");
            }
            List<SavedCounters> out = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                long eui = b.getLong();
                long tag = b.getLong();
                long up = b.getLong();
                long down = b.getLong();
                int nonces = Short.toUnsignedInt(b.getShort());
                if (nonces > b.remaining() / 2 || up < -1 || up > 0xFFFF_FFFFL || down < 0 || down > 0x1_0000_0000L) {
                    throw new IllegalArgumentException("device " + i + " is malformed");
                }
                int[] ns = new int[nonces];
                for (int j = 0; j < nonces; j++) {
                    ns[j] = Short.toUnsignedInt(b.getShort());
                }
                out.add(new SavedCounters(eui, tag, up, down, ns));
            }
            if (b.hasRemaining()) {
                throw new IllegalArgumentException("trailing bytes");
            }
            return out;
        } catch (BufferUnderflowException e) {
            throw new IllegalArgumentException("truncated");
        }
    }
}
