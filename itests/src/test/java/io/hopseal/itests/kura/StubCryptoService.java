package io.hopseal.itests.kura;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.concurrent.atomic.AtomicInteger;

import org.eclipse.kura.KuraErrorCode;
import org.eclipse.kura.KuraException;
import org.eclipse.kura.crypto.CryptoService;

/**
 * Test stand-in for Kura's CryptoService: "encrypts" as {@code STUB-AES:} + Base64 (Kura: AES-GCM), refuses to
 * decrypt anything else (as Kura does for a value it did not encrypt), and counts decryptions.
 */
final class StubCryptoService implements CryptoService {
    static final String PREFIX = "STUB-AES:";
    final AtomicInteger decryptions = new AtomicInteger();

    static String encrypt(String clear) {
        return PREFIX + Base64.getEncoder().encodeToString(clear.getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public char[] encryptAes(char[] value) {
        return encrypt(new String(value)).toCharArray();
    }

    @Override
    public char[] decryptAes(char[] encryptedValue) throws KuraException {
        decryptions.incrementAndGet();
        String s = new String(encryptedValue);
        if (!s.startsWith(PREFIX)) {
            throw new KuraException(KuraErrorCode.DECODER_ERROR, "not encrypted by this CryptoService");
        }
        return new String(Base64.getDecoder().decode(s.substring(PREFIX.length())), StandardCharsets.UTF_8)
                .toCharArray();
    }

    @Override
    @Deprecated
    public String encryptAes(String value) {
        return encrypt(value);
    }

    @Override
    @Deprecated
    public String decryptAes(String encryptedValue) {
        try {
            return new String(decryptAes(encryptedValue.toCharArray()));
        } catch (KuraException e) {
            throw new IllegalArgumentException(e);
        }
    }

    /** As Kura's {@code CryptoServiceImpl.hash}: the digest of the UTF-8 bytes, Base64 (Kura hashes REST passwords so). */
    @Override
    public String hash(String s, String algorithm) throws NoSuchAlgorithmException {
        byte[] digest = MessageDigest.getInstance(algorithm).digest(s.getBytes(StandardCharsets.UTF_8));
        return Base64.getEncoder().encodeToString(digest);
    }

    @Override
    public String encodeBase64(String stringValue) {
        return Base64.getEncoder().encodeToString(stringValue.getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public String decodeBase64(String encodedValue) {
        return new String(Base64.getDecoder().decode(encodedValue), StandardCharsets.UTF_8);
    }

    @Override
    public char[] getKeyStorePassword(String keyStorePath) {
        return "changeit".toCharArray();
    }

    @Override
    public void setKeyStorePassword(String keyStorePath, char[] password) {
        throw new UnsupportedOperationException();
    }

    @Override
    @Deprecated
    public void setKeyStorePassword(String keyStorePath, String password) {
        throw new UnsupportedOperationException();
    }

    @Override
    public boolean isFrameworkSecure() {
        return false;
    }
}
