package io.hopseal.itests.kura;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HexFormat;

import javax.crypto.Cipher;
import javax.crypto.spec.SecretKeySpec;

/**
 * Builds what a LoRa concentrator's packet forwarder sends for one uplink: a Semtech UDP PUSH_DATA datagram carrying a
 * LoRaWAN 1.0 unconfirmed data frame with no FPort and no payload, whose MIC is computed with the given NwkSKey (or an
 * OTAA join-request whose MIC is computed with the AppKey). The
 * gateway counts it as an uplink frame only if its own NwkSKey is the same key (written here from the LoRaWAN 1.0.x
 * specification with JDK AES, independent of the transport's code).
 */
final class LoraUplink {
    private LoraUplink() {
    }

    static byte[] pushData(long gatewayEui, int devAddr, int fcnt, String nwkSKeyHex) throws Exception {
        byte[] phy = new byte[1 + 7 + 4];
        phy[0] = 0x40; // unconfirmed data up, LoRaWAN R1
        le(phy, 1, devAddr, 4);
        phy[5] = 0; // FCtrl: no ADR, no FOpts
        le(phy, 6, fcnt, 2);
        byte[] b0 = new byte[16 + 8];
        b0[0] = 0x49;
        b0[5] = 0; // uplink
        le(b0, 6, devAddr, 4);
        le(b0, 10, fcnt, 4);
        b0[15] = 8; // length of MHDR | FHDR
        System.arraycopy(phy, 0, b0, 16, 8);
        byte[] mic = cmac(HexFormat.of().parseHex(nwkSKeyHex), b0);
        System.arraycopy(mic, 0, phy, 8, 4);
        return push(gatewayEui, phy);
    }

    /** An OTAA join-request (LoRaWAN 1.0.x: MHDR, AppEUI, DevEUI, DevNonce, MIC with the AppKey) in a PUSH_DATA. */
    static byte[] joinRequest(long gatewayEui, long appEui, long devEui, int devNonce, String appKeyHex) throws Exception {
        byte[] phy = new byte[1 + 8 + 8 + 2 + 4];
        phy[0] = 0x00; // join-request, LoRaWAN R1
        le(phy, 1, appEui, 8);
        le(phy, 9, devEui, 8);
        le(phy, 17, devNonce, 2);
        byte[] mic = cmac(HexFormat.of().parseHex(appKeyHex), java.util.Arrays.copyOf(phy, 19));
        System.arraycopy(mic, 0, phy, 19, 4);
        return push(gatewayEui, phy);
    }

    /** A Semtech UDP PUSH_DATA datagram carrying one received frame. */
    private static byte[] push(long gatewayEui, byte[] phy) throws Exception {
        String json = "{\"rxpk\":[{\"tmst\":1000000,\"chan\":0,\"rfch\":0,\"freq\":868.100000,\"stat\":1,"
                + "\"modu\":\"LORA\",\"datr\":\"SF7BW125\",\"codr\":\"4/5\",\"rssi\":-40,\"lsnr\":9.5,\"size\":"
                + phy.length + ",\"data\":\"" + Base64.getEncoder().encodeToString(phy) + "\"}]}";
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(new byte[] {2, 0x12, 0x34, 0x00}); // protocol 2, token, PUSH_DATA
        for (int i = 7; i >= 0; i--) {
            out.write((int) (gatewayEui >>> (8 * i)));
        }
        out.write(json.getBytes(StandardCharsets.US_ASCII));
        return out.toByteArray();
    }

    private static void le(byte[] b, int off, long v, int n) {
        for (int i = 0; i < n; i++) {
            b[off + i] = (byte) (v >>> (8 * i));
        }
    }

    /** AES-CMAC (RFC 4493). */
    static byte[] cmac(byte[] key, byte[] msg) throws Exception {
        Cipher aes = Cipher.getInstance("AES/ECB/NoPadding");
        aes.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, "AES"));
        byte[] k1 = dbl(aes.doFinal(new byte[16]));
        byte[] k2 = dbl(k1);
        int blocks = Math.max(1, (msg.length + 15) / 16);
        boolean complete = msg.length > 0 && msg.length % 16 == 0;
        byte[] last = new byte[16];
        int lastOff = (blocks - 1) * 16;
        for (int i = 0; i < 16; i++) {
            int j = lastOff + i;
            if (complete) {
                last[i] = (byte) (msg[j] ^ k1[i]);
            } else {
                byte m = j < msg.length ? msg[j] : (j == msg.length ? (byte) 0x80 : 0);
                last[i] = (byte) (m ^ k2[i]);
            }
        }
        byte[] x = new byte[16];
        for (int b = 0; b < blocks - 1; b++) {
            for (int i = 0; i < 16; i++) {
                x[i] ^= msg[b * 16 + i];
            }
            x = aes.doFinal(x);
        }
        for (int i = 0; i < 16; i++) {
            x[i] ^= last[i];
        }
        return aes.doFinal(x);
    }

    private static byte[] dbl(byte[] in) {
        byte[] out = new byte[16];
        for (int i = 0; i < 15; i++) {
            out[i] = (byte) ((in[i] << 1) | ((in[i + 1] & 0xff) >>> 7));
        }
        out[15] = (byte) (in[15] << 1);
        if ((in[0] & 0x80) != 0) {
            out[15] ^= (byte) 0x87;
        }
        return out;
    }
}
