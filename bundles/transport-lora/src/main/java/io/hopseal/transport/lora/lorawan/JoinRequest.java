package io.hopseal.transport.lora.lorawan;

import java.security.MessageDigest;
import java.util.Arrays;

/**
 * An OTAA join-request (LoRaWAN 1.0.x §6.2.4): {@code MHDR(0x00) | AppEUI(8, LE) | DevEUI(8, LE) | DevNonce(2, LE) |
 * MIC(4)}, MIC = AES-CMAC(AppKey, MHDR | AppEUI | DevEUI | DevNonce)[0..3].
 *
 * @param appEui   the JoinEUI/AppEUI as usually written (most significant byte first)
 * @param devEui   the DevEUI as usually written
 * @param devNonce 0..65535
 */
public record JoinRequest(long appEui, long devEui, int devNonce) {
    public static final int LENGTH = 23;

    public JoinRequest {
        if (devNonce < 0 || devNonce > 0xFFFF) {
            throw new IllegalArgumentException("DevNonce must be 0..65535");
        }
    }

    public byte[] encode(AesKey appKey) {
        byte[] b = new byte[LENGTH];
        b[0] = (byte) MType.JOIN_REQUEST.mhdr();
        Bytes.putLe(b, 1, appEui, 8);
        Bytes.putLe(b, 9, devEui, 8);
        Bytes.putLe(b, 17, devNonce, 2);
        System.arraycopy(Cmac.mac(appKey, b, 0, 19), 0, b, 19, 4);
        return b;
    }

    /** Parses without checking the MIC (the DevEUI tells which AppKey to check it with). */
    public static JoinRequest parse(byte[] phy) throws LorawanException {
        if (phy.length != LENGTH || MType.of(phy[0]) != MType.JOIN_REQUEST || (phy[0] & 0x03) != 0) {
            throw new LorawanException(LorawanException.Reason.MALFORMED, "not a " + LENGTH + "-byte join-request");
        }
        return new JoinRequest(Bytes.getLe(phy, 1, 8), Bytes.getLe(phy, 9, 8), (int) Bytes.getLe(phy, 17, 2));
    }

    public static void verify(byte[] phy, AesKey appKey) throws LorawanException {
        byte[] mic = Arrays.copyOf(Cmac.mac(appKey, phy, 0, 19), 4);
        if (!MessageDigest.isEqual(mic, Arrays.copyOfRange(phy, 19, 23))) {
            throw new LorawanException(LorawanException.Reason.MIC, "join-request MIC mismatch");
        }
    }
}
