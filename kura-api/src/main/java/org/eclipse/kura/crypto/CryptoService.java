package org.eclipse.kura.crypto;

import java.io.IOException;
import java.io.UnsupportedEncodingException;
import java.security.InvalidKeyException;
import java.security.NoSuchAlgorithmException;

import javax.crypto.BadPaddingException;
import javax.crypto.IllegalBlockSizeException;
import javax.crypto.NoSuchPaddingException;

import org.eclipse.kura.KuraException;
import org.osgi.annotation.versioning.ProviderType;

/**
 * Kura's crypto service, with the methods and signatures of package 1.3.0 (identical in Kura 5.3.0 through 5.6). Kura
 * encrypts each {@code Password} attribute with {@link #encryptAes(char[])} before it reaches ConfigurationAdmin, so a
 * component receives the ciphertext as a String and calls {@link #decryptAes(char[])}. Implemented by Kura only.
 *
 * <p>Follows eclipse/kura tag {@code KURA_5.3.0_RELEASE},
 * {@code kura/org.eclipse.kura.api/src/main/java/org/eclipse/kura/crypto/CryptoService.java}.
 */
@ProviderType
public interface CryptoService {

    /** Encrypts a value (Kura: AES-GCM, Base64 text). */
    char[] encryptAes(char[] value) throws KuraException;

    /** Decrypts a value produced by {@link #encryptAes(char[])}; throws if it is not such a value. */
    char[] decryptAes(char[] encryptedValue) throws KuraException;

    /** @deprecated use {@link #encryptAes(char[])} */
    @Deprecated
    String encryptAes(String value) throws NoSuchAlgorithmException, NoSuchPaddingException, InvalidKeyException,
            IllegalBlockSizeException, BadPaddingException;

    /** @deprecated use {@link #decryptAes(char[])} */
    @Deprecated
    String decryptAes(String encryptedValue) throws NoSuchAlgorithmException, NoSuchPaddingException,
            InvalidKeyException, IOException, IllegalBlockSizeException, BadPaddingException;

    default String sha1Hash(String s) throws NoSuchAlgorithmException, UnsupportedEncodingException {
        return hash(s, "SHA-1");
    }

    default String sha256Hash(String s) throws NoSuchAlgorithmException, UnsupportedEncodingException {
        return hash(s, "SHA-256");
    }

    String hash(String s, String algorithm) throws NoSuchAlgorithmException, UnsupportedEncodingException;

    String encodeBase64(String stringValue) throws NoSuchAlgorithmException, UnsupportedEncodingException;

    String decodeBase64(String encodedValue) throws NoSuchAlgorithmException, UnsupportedEncodingException;

    char[] getKeyStorePassword(String keyStorePath);

    void setKeyStorePassword(String keyStorePath, char[] password) throws KuraException;

    /** @deprecated use {@link #setKeyStorePassword(String, char[])} */
    @Deprecated
    void setKeyStorePassword(String keyStorePath, String password) throws IOException;

    boolean isFrameworkSecure();
}
