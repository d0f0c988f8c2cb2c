package org.eclipse.kura.security.keystore;

import java.security.KeyPair;
import java.security.KeyStore;
import java.security.KeyStore.Entry;
import java.security.SecureRandom;
import java.security.cert.CRL;
import java.security.cert.CertStore;
import java.security.cert.X509CRL;
import java.security.spec.AlgorithmParameterSpec;
import java.util.Collection;
import java.util.List;
import java.util.Map;

import javax.net.ssl.KeyManager;
import javax.security.auth.x500.X500Principal;

import org.eclipse.kura.KuraException;
import org.osgi.annotation.versioning.ProviderType;

/**
 * A Kura keystore (a factory component of Kura's, selected by consumers through a {@code KeystoreService.target}
 * filter on {@code kura.service.pid}), with the methods and signatures of package 1.1.0 (Kura 5.3.0 to 5.5). Kura 5.6
 * (package 1.2.0) added {@code getKeyManagers(String, String)}; it is left out so that no Hopseal code can call it.
 * Hopseal uses {@link #getAliases()}, {@link #getEntry(String)}, {@link #setEntry(String, Entry)} and
 * {@link #deleteEntry(String)} only. Implemented by Kura only.
 *
 * <p>Follows eclipse/kura tag {@code KURA_5.3.0_RELEASE},
 * {@code kura/org.eclipse.kura.api/src/main/java/org/eclipse/kura/security/keystore/KeystoreService.java}.
 */
@ProviderType
public interface KeystoreService {

    KeyStore getKeyStore() throws KuraException;

    Entry getEntry(String alias) throws KuraException;

    void setEntry(String alias, Entry entry) throws KuraException;

    Map<String, Entry> getEntries() throws KuraException;

    void deleteEntry(String alias) throws KuraException;

    List<KeyManager> getKeyManagers(String algorithm) throws KuraException;

    void createKeyPair(String alias, String algorithm, int keySize, String signatureAlgorithm, String attributes)
            throws KuraException;

    void createKeyPair(String alias, String algorithm, int keySize, String signatureAlgorithm, String attributes,
            SecureRandom secureRandom) throws KuraException;

    void createKeyPair(String alias, String algorithm, AlgorithmParameterSpec algorithmParameter,
            String signatureAlgorithm, String attributes) throws KuraException;

    void createKeyPair(String alias, String algorithm, AlgorithmParameterSpec algorithmParameter,
            String signatureAlgorithm, String attributes, SecureRandom secureRandom) throws KuraException;

    String getCSR(KeyPair keyPair, X500Principal principal, String signerAlg) throws KuraException;

    String getCSR(String alias, X500Principal principal, String signerAlg) throws KuraException;

    List<String> getAliases() throws KuraException;

    Collection<CRL> getCRLs() throws KuraException;

    CertStore getCRLStore() throws KuraException;

    void addCRL(X509CRL crl) throws KuraException;
}
