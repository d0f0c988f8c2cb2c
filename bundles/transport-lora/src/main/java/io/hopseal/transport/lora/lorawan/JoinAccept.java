package io.hopseal.transport.lora.lorawan;

import java.security.MessageDigest;
import java.util.Arrays;

/**
 * An OTAA join-accept (LoRaWAN 1.0.x §6.2.5):
 *
 * <pre>
 * MHDR(0x20) | AppNonce(3, LE) | NetID(3, LE) | DevAddr(4, LE) | DLSettings(1) | RxDelay(1) | [CFList(16)] | MIC(4)
 * DLSettings = RFU(7) | RX1DRoffset(6..4) | RX2DataRate(3..0)
 * MIC = AES-CMAC(AppKey, MHDR | AppNonce | NetID | DevAddr | DLSettings | RxDelay | CFList)[0..3]
 * </pre>
 * Everything after MHDR is "encrypted" with AES-128 <em>decryption</em> under AppKey, so the device needs only AES
 * encryption.
 *
 * @param appNonce    24-bit server nonce
 * @param netId       24-bit network identifier
 * @param devAddr     the address assigned to the device
 * @param rx1DrOffset 0..7
 * @param rx2DataRate 0..15
 * @param rxDelay     RX1 delay in seconds, 0..15 (0 means 1)
 * @param cfList      16 bytes or null
 */
public record JoinAccept(int appNonce, int netId, int devAddr, int rx1DrOffset, int rx2DataRate, int rxDelay,
                         byte[] cfList) {

    public JoinAccept {
        if ((appNonce & ~0xFFFFFF) != 0 || (netId & ~0xFFFFFF) != 0) {
            throw new IllegalArgumentException("AppNonce and NetID are 24 bits");
        }
        if (rx1DrOffset < 0 || rx1DrOffset > 7 || rx2DataRate < 0 || rx2DataRate > 15 || rxDelay < 0 || rxDelay > 15) {
            throw new IllegalArgumentException("DLSettings/RxDelay out of range");
        }
        if (cfList != null && cfList.length != 16) {
            throw new IllegalArgumentException("CFList is 16 bytes");
        }
    }

    /** Builds the encrypted PHYPayload (17 or 33 bytes). */
    public byte[] encode(AesKey appKey) {
        int n = 1 + 12 + (cfList != null ? 16 : 0) + 4;
        byte[] clear = new byte[n];
        clear[0] = (byte) MType.JOIN_ACCEPT.mhdr();
        Bytes.putLe(clear, 1, appNonce, 3);
        Bytes.putLe(clear, 4, netId, 3);
        Bytes.putLe(clear, 7, devAddr, 4);
        clear[11] = (byte) (rx1DrOffset << 4 | rx2DataRate);
        clear[12] = (byte) rxDelay;
        if (cfList != null) {
            System.arraycopy(cfList, 0, clear, 13, 16);
        }
        System.arraycopy(Cmac.mac(appKey, clear, 0, n - 4), 0, clear, n - 4, 4);
        byte[] enc = appKey.decrypt(Arrays.copyOfRange(clear, 1, n));
        byte[] out = new byte[n];
        out[0] = clear[0];
        System.arraycopy(enc, 0, out, 1, enc.length);
        return out;
    }

    /** Device side: decrypts and checks the MIC. */
    public static JoinAccept decode(byte[] phy, AesKey appKey) throws LorawanException {
        if ((phy.length != 17 && phy.length != 33) || MType.of(phy[0]) != MType.JOIN_ACCEPT) {
            throw new LorawanException(LorawanException.Reason.MALFORMED, "not a join-accept");
        }
        byte[] dec = appKey.encrypt(Arrays.copyOfRange(phy, 1, phy.length));
        byte[] clear = new byte[phy.length];
        clear[0] = phy[0];
        System.arraycopy(dec, 0, clear, 1, dec.length);
        int n = clear.length;
        byte[] mic = Arrays.copyOf(Cmac.mac(appKey, clear, 0, n - 4), 4);
        if (!MessageDigest.isEqual(mic, Arrays.copyOfRange(clear, n - 4, n))) {
            throw new LorawanException(LorawanException.Reason.MIC, "join-accept MIC mismatch");
        }
        return new JoinAccept((int) Bytes.getLe(clear, 1, 3), (int) Bytes.getLe(clear, 4, 3),
                (int) Bytes.getLe(clear, 7, 4), (clear[11] >> 4) & 0x07, clear[11] & 0x0F, clear[12] & 0x0F,
                n == 33 ? Arrays.copyOfRange(clear, 13, 29) : null);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof JoinAccept j && j.appNonce == appNonce && j.netId == netId && j.devAddr == devAddr
                && j.rx1DrOffset == rx1DrOffset && j.rx2DataRate == rx2DataRate && j.rxDelay == rxDelay
                && Arrays.equals(j.cfList, cfList);
    }

    @Override
    public int hashCode() {
        return java.util.Objects.hash(appNonce, netId, devAddr, rx1DrOffset, rx2DataRate, rxDelay);
    }
}
