package io.hopseal.transport.lora.lorawan;

import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Objects;

/**
 * A LoRaWAN 1.0.x data frame (un/confirmed data up/down) with its payload in plaintext, and the codec: FRMPayload
 * encryption with AppSKey (NwkSKey on FPort 0) and the MIC (AES-CMAC with NwkSKey). Layout (§4):
 *
 * <pre>
 * PHYPayload = MHDR(1) | DevAddr(4, LE) | FCtrl(1) | FCnt(2, LE) | FOpts(0..15) | [FPort(1) | FRMPayload] | MIC(4)
 * FCtrl up:    ADR(7) ADRACKReq(6) ACK(5) ClassB(4) FOptsLen(3..0)
 * FCtrl down:  ADR(7) RFU(6)       ACK(5) FPending(4) FOptsLen(3..0)
 * </pre>
 *
 * @param mtype     one of the four data types
 * @param devAddr   the device address
 * @param adr       FCtrl.ADR
 * @param adrAckReq FCtrl.ADRACKReq (uplink only)
 * @param ack       FCtrl.ACK
 * @param fPending  FCtrl.FPending (downlink) or ClassB (uplink)
 * @param fcnt      the full 32-bit frame counter (the low 16 bits go on the air; the MIC and cipher use all 32)
 * @param fopts     MAC commands in the header, 0..15 bytes
 * @param fport     0..255, or -1 for a frame without FPort and FRMPayload
 * @param payload   FRMPayload in plaintext (empty when {@code fport} is -1)
 */
public record DataFrame(MType mtype, int devAddr, boolean adr, boolean adrAckReq, boolean ack, boolean fPending,
                        long fcnt, byte[] fopts, int fport, byte[] payload) {

    /** MHDR + FHDR without FOpts + MIC. */
    public static final int MIN_LENGTH = 12;
    /** Largest PHYPayload the codec accepts. */
    public static final int MAX_LENGTH = 255;

    public DataFrame {
        Objects.requireNonNull(mtype, "mtype");
        if (!mtype.isDataUp() && !mtype.isDataDown()) {
            throw new IllegalArgumentException(mtype + " is not a data frame type");
        }
        fopts = fopts == null ? new byte[0] : fopts;
        payload = payload == null ? new byte[0] : payload;
        if (fopts.length > 15) {
            throw new IllegalArgumentException("FOpts is at most 15 bytes, was " + fopts.length);
        }
        if (fport < -1 || fport > 255) {
            throw new IllegalArgumentException("FPort must be 0..255 or -1 (none), was " + fport);
        }
        if (fport < 0 && payload.length > 0) {
            throw new IllegalArgumentException("a payload needs an FPort");
        }
        if (fport == 0 && fopts.length > 0) {
            throw new IllegalArgumentException("MAC commands go either in FOpts or on FPort 0, not both");
        }
        if (fcnt < 0 || fcnt > FrameCounter.MAX) {
            throw new IllegalArgumentException("FCnt must be 0..2^32-1, was " + fcnt);
        }
        if (MIN_LENGTH + fopts.length + (fport >= 0 ? 1 : 0) + payload.length > MAX_LENGTH) {
            throw new IllegalArgumentException("frame longer than " + MAX_LENGTH + " bytes");
        }
    }

    /** An unconfirmed uplink with a payload on {@code fport}. */
    public static DataFrame uplink(int devAddr, long fcnt, int fport, byte[] payload) {
        return new DataFrame(MType.UNCONFIRMED_DATA_UP, devAddr, false, false, false, false, fcnt, null, fport, payload);
    }

    /** An unconfirmed downlink with a payload on {@code fport} (-1 for none). */
    public static DataFrame downlink(int devAddr, long fcnt, boolean ack, boolean fPending, int fport, byte[] payload) {
        return new DataFrame(MType.UNCONFIRMED_DATA_DOWN, devAddr, false, false, ack, fPending, fcnt, null, fport, payload);
    }

    public boolean isUplink() {
        return mtype.isDataUp();
    }

    public boolean isConfirmed() {
        return mtype == MType.CONFIRMED_DATA_UP || mtype == MType.CONFIRMED_DATA_DOWN;
    }

    /** PHYPayload length of this frame. */
    public int phyLength() {
        return MIN_LENGTH + fopts.length + (fport >= 0 ? 1 + payload.length : 0);
    }

    /** Encodes, encrypts and MICs the frame. */
    public byte[] encode(AesKey nwkSKey, AesKey appSKey) {
        boolean down = mtype.isDataDown();
        byte[] out = new byte[phyLength()];
        int p = 0;
        out[p++] = (byte) mtype.mhdr();
        Bytes.putLe(out, p, devAddr, 4);
        p += 4;
        int fctrl = (adr ? 0x80 : 0) | (ack ? 0x20 : 0) | (fPending ? 0x10 : 0) | fopts.length;
        if (!down && adrAckReq) {
            fctrl |= 0x40;
        }
        out[p++] = (byte) fctrl;
        Bytes.putLe(out, p, fcnt & 0xFFFF, 2);
        p += 2;
        System.arraycopy(fopts, 0, out, p, fopts.length);
        p += fopts.length;
        if (fport >= 0) {
            out[p++] = (byte) fport;
            AesKey k = fport == 0 ? nwkSKey : appSKey;
            byte[] enc = cipher(k, down, devAddr, fcnt, payload, 0, payload.length);
            System.arraycopy(enc, 0, out, p, enc.length);
            p += enc.length;
        }
        byte[] mic = mic(nwkSKey, down, devAddr, fcnt, out, 0, p);
        System.arraycopy(mic, 0, out, p, 4);
        return out;
    }

    /** The cleartext header fields of a data frame: enough to find the device and its frame counter. */
    public record Header(MType mtype, int devAddr, int fctrl, int fcnt16, int foptsLength, int fport, int payloadOffset,
                         int payloadLength) {
        public boolean ack() {
            return (fctrl & 0x20) != 0;
        }

        public boolean adr() {
            return (fctrl & 0x80) != 0;
        }

        /** ADRACKReq on uplinks, RFU on downlinks. */
        public boolean bit6() {
            return (fctrl & 0x40) != 0;
        }

        /** FPending on downlinks, ClassB on uplinks. */
        public boolean bit4() {
            return (fctrl & 0x10) != 0;
        }
    }

    /** Parses the header of a data frame without any key. */
    public static Header parseHeader(byte[] phy) throws LorawanException {
        if (phy.length < MIN_LENGTH || phy.length > MAX_LENGTH) {
            throw malformed("data frame of " + phy.length + " bytes (" + MIN_LENGTH + ".." + MAX_LENGTH + ")");
        }
        if ((phy[0] & 0x03) != 0) {
            throw malformed("unsupported LoRaWAN major version " + (phy[0] & 0x03));
        }
        MType t = MType.of(phy[0]);
        if (!t.isDataUp() && !t.isDataDown()) {
            throw malformed(t + " is not a data frame");
        }
        int devAddr = (int) Bytes.getLe(phy, 1, 4);
        int fctrl = phy[5] & 0xff;
        int fcnt16 = (int) Bytes.getLe(phy, 6, 2);
        int foptsLen = fctrl & 0x0F;
        int p = 8 + foptsLen;
        int end = phy.length - 4;
        if (p > end) {
            throw malformed("FOpts runs past the MIC");
        }
        int fport = -1;
        int payloadOff = p;
        int payloadLen = 0;
        if (p < end) {
            fport = phy[p] & 0xff;
            payloadOff = p + 1;
            payloadLen = end - payloadOff;
            if (fport == 0 && foptsLen > 0) {
                throw malformed("MAC commands both in FOpts and on FPort 0");
            }
        }
        return new Header(t, devAddr, fctrl, fcnt16, foptsLen, fport, payloadOff, payloadLen);
    }

    /**
     * Checks the MIC with the full frame counter and decrypts.
     *
     * @throws LorawanException {@code MIC} when the MIC does not match
     */
    public static DataFrame open(byte[] phy, Header h, long fcnt32, AesKey nwkSKey, AesKey appSKey)
            throws LorawanException {
        boolean down = h.mtype().isDataDown();
        byte[] mic = mic(nwkSKey, down, h.devAddr(), fcnt32, phy, 0, phy.length - 4);
        if (!MessageDigest.isEqual(mic, Arrays.copyOfRange(phy, phy.length - 4, phy.length))) {
            throw new LorawanException(LorawanException.Reason.MIC, "MIC mismatch");
        }
        byte[] payload = new byte[0];
        if (h.fport() >= 0) {
            AesKey k = h.fport() == 0 ? nwkSKey : appSKey;
            payload = cipher(k, down, h.devAddr(), fcnt32, phy, h.payloadOffset(), h.payloadLength());
        }
        byte[] fopts = Arrays.copyOfRange(phy, 8, 8 + h.foptsLength());
        int f = h.fctrl();
        return new DataFrame(h.mtype(), h.devAddr(), (f & 0x80) != 0, !down && (f & 0x40) != 0, (f & 0x20) != 0,
                (f & 0x10) != 0, fcnt32, fopts, h.fport(), payload);
    }

    /** FRMPayload encryption/decryption (§4.3.3): XOR with AES(K, A_i), A_i = 01 0000 0000 Dir DevAddr FCnt 00 i. */
    public static byte[] cipher(AesKey key, boolean downlink, int devAddr, long fcnt, byte[] in, int off, int len) {
        int blocks = (len + 15) / 16;
        byte[] a = new byte[blocks * 16];
        for (int i = 0; i < blocks; i++) {
            int o = i * 16;
            a[o] = 0x01;
            a[o + 5] = (byte) (downlink ? 1 : 0);
            Bytes.putLe(a, o + 6, devAddr, 4);
            Bytes.putLe(a, o + 10, fcnt, 4);
            a[o + 15] = (byte) (i + 1);
        }
        byte[] s = key.encrypt(a);
        byte[] out = new byte[len];
        for (int i = 0; i < len; i++) {
            out[i] = (byte) (in[off + i] ^ s[i]);
        }
        return out;
    }

    /** MIC (§4.4): AES-CMAC(NwkSKey, B0 | msg)[0..3], B0 = 49 0000 0000 Dir DevAddr FCnt 00 len(msg). */
    public static byte[] mic(AesKey nwkSKey, boolean downlink, int devAddr, long fcnt, byte[] msg, int off, int len) {
        byte[] b = new byte[16 + len];
        b[0] = 0x49;
        b[5] = (byte) (downlink ? 1 : 0);
        Bytes.putLe(b, 6, devAddr, 4);
        Bytes.putLe(b, 10, fcnt, 4);
        b[15] = (byte) len;
        System.arraycopy(msg, off, b, 16, len);
        return Arrays.copyOf(Cmac.mac(nwkSKey, b), 4);
    }

    private static LorawanException malformed(String m) {
        return new LorawanException(LorawanException.Reason.MALFORMED, m);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof DataFrame d && d.mtype == mtype && d.devAddr == devAddr && d.adr == adr
                && d.adrAckReq == adrAckReq && d.ack == ack && d.fPending == fPending && d.fcnt == fcnt
                && Arrays.equals(d.fopts, fopts) && d.fport == fport && Arrays.equals(d.payload, payload);
    }

    @Override
    public int hashCode() {
        return Objects.hash(mtype, devAddr, fcnt, fport, Arrays.hashCode(payload));
    }

    @Override
    public String toString() {
        return "DataFrame[" + mtype + ", DevAddr " + String.format("%08X", devAddr) + ", FCnt " + fcnt + ", FPort "
                + fport + ", " + payload.length + " bytes" + (ack ? ", ACK" : "") + (fPending ? ", FPending" : "") + "]";
    }
}
