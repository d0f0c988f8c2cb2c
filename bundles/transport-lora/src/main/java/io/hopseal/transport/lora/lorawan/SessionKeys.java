package io.hopseal.transport.lora.lorawan;

/**
 * The session keys of an ABP device or derived from an OTAA join (LoRaWAN 1.0.x §6.2.5):
 *
 * <pre>
 * NwkSKey = aes128_encrypt(AppKey, 0x01 | AppNonce(3) | NetID(3) | DevNonce(2) | pad16)
 * AppSKey = aes128_encrypt(AppKey, 0x02 | AppNonce(3) | NetID(3) | DevNonce(2) | pad16)
 * </pre>
 */
public record SessionKeys(AesKey nwkSKey, AesKey appSKey) {

    public static SessionKeys derive(AesKey appKey, int appNonce, int netId, int devNonce) {
        return new SessionKeys(new AesKey(block(appKey, 0x01, appNonce, netId, devNonce)),
                new AesKey(block(appKey, 0x02, appNonce, netId, devNonce)));
    }

    private static byte[] block(AesKey appKey, int type, int appNonce, int netId, int devNonce) {
        byte[] b = new byte[16];
        b[0] = (byte) type;
        Bytes.putLe(b, 1, appNonce, 3);
        Bytes.putLe(b, 4, netId, 3);
        Bytes.putLe(b, 7, devNonce, 2);
        return appKey.encrypt(b);
    }

    @Override
    public String toString() {
        return "SessionKeys[***]";
    }
}
