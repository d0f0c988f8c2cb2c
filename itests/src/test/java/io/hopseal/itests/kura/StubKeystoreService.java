package io.hopseal.itests.kura;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.security.KeyPair;
import java.security.KeyStore;
import java.security.KeyStore.Entry;
import java.security.SecureRandom;
import java.security.cert.CRL;
import java.security.cert.CertStore;
import java.security.cert.X509CRL;
import java.security.spec.AlgorithmParameterSpec;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import javax.net.ssl.KeyManager;
import javax.security.auth.x500.X500Principal;

import org.eclipse.kura.KuraErrorCode;
import org.eclipse.kura.KuraException;
import org.eclipse.kura.security.keystore.KeystoreService;

/**
 * Test stand-in for a Kura keystore (FilesystemKeystoreServiceImpl): a PKCS#12 key store whose entries are all
 * protected by the keystore password, saved to bytes after every change (as Kura saves its file).
 */
final class StubKeystoreService implements KeystoreService {
    static final char[] PASSWORD = "stub-keystore-password".toCharArray();
    private KeyStore keyStore;
    private byte[] saved;

    StubKeystoreService(byte[] pkcs12) throws Exception {
        keyStore = KeyStore.getInstance("PKCS12");
        keyStore.load(pkcs12 == null ? null : new ByteArrayInputStream(pkcs12), PASSWORD);
        save();
    }

    /** The key store as saved after the last change (PKCS#12 bytes). */
    synchronized byte[] saved() {
        return saved.clone();
    }

    private void save() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        keyStore.store(out, PASSWORD);
        saved = out.toByteArray();
    }

    private static KuraException error(Exception e) {
        return new KuraException(KuraErrorCode.INTERNAL_ERROR, e, e.getMessage());
    }

    @Override
    public synchronized KeyStore getKeyStore() {
        return keyStore;
    }

    @Override
    public synchronized Entry getEntry(String alias) throws KuraException {
        try {
            return keyStore.getEntry(alias, new KeyStore.PasswordProtection(PASSWORD));
        } catch (Exception e) {
            throw error(e);
        }
    }

    @Override
    public synchronized void setEntry(String alias, Entry entry) throws KuraException {
        try {
            keyStore.setEntry(alias, entry, new KeyStore.PasswordProtection(PASSWORD));
            save();
        } catch (Exception e) {
            throw error(e);
        }
    }

    @Override
    public synchronized Map<String, Entry> getEntries() throws KuraException {
        Map<String, Entry> m = new TreeMap<>();
        for (String a : getAliases()) {
            m.put(a, getEntry(a));
        }
        return m;
    }

    @Override
    public synchronized void deleteEntry(String alias) throws KuraException {
        try {
            keyStore.deleteEntry(alias);
            save();
        } catch (Exception e) {
            throw error(e);
        }
    }

    @Override
    public synchronized List<String> getAliases() throws KuraException {
        try {
            return Collections.list(keyStore.aliases());
        } catch (Exception e) {
            throw error(e);
        }
    }

    @Override
    public List<KeyManager> getKeyManagers(String algorithm) {
        throw new UnsupportedOperationException();
    }

    @Override
    public void createKeyPair(String alias, String algorithm, int keySize, String signatureAlgorithm,
            String attributes) {
        throw new UnsupportedOperationException();
    }

    @Override
    public void createKeyPair(String alias, String algorithm, int keySize, String signatureAlgorithm,
            String attributes, SecureRandom secureRandom) {
        throw new UnsupportedOperationException();
    }

    @Override
    public void createKeyPair(String alias, String algorithm, AlgorithmParameterSpec algorithmParameter,
            String signatureAlgorithm, String attributes) {
        throw new UnsupportedOperationException();
    }

    @Override
    public void createKeyPair(String alias, String algorithm, AlgorithmParameterSpec algorithmParameter,
            String signatureAlgorithm, String attributes, SecureRandom secureRandom) {
        throw new UnsupportedOperationException();
    }

    @Override
    public String getCSR(KeyPair keyPair, X500Principal principal, String signerAlg) {
        throw new UnsupportedOperationException();
    }

    @Override
    public String getCSR(String alias, X500Principal principal, String signerAlg) {
        throw new UnsupportedOperationException();
    }

    @Override
    public Collection<CRL> getCRLs() {
        return List.of();
    }

    @Override
    public CertStore getCRLStore() {
        throw new UnsupportedOperationException();
    }

    @Override
    public void addCRL(X509CRL crl) {
        throw new UnsupportedOperationException();
    }
}
