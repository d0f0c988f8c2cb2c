package io.hopseal.transport.mqtt;

import java.io.IOException;
import java.io.Writer;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.util.Date;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/** A CA and a broker certificate for {@code localhost}/127.0.0.1, generated for one test (EC P-256, PEM files). */
record TestPki(Path caFile, Path certFile, Path keyFile) {

    static TestPki generate(Path dir) throws IOException, GeneralSecurityException, OperatorCreationException {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(256);
        KeyPair ca = g.generateKeyPair();
        KeyPair server = g.generateKeyPair();
        long now = System.currentTimeMillis();
        X500Name caName = new X500Name("CN=Hopseal test CA");
        JcaX509v3CertificateBuilder cab = new JcaX509v3CertificateBuilder(caName, BigInteger.ONE,
                new Date(now - 3_600_000L), new Date(now + 86_400_000L), caName, ca.getPublic());
        cab.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
        cab.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
        X509Certificate caCert = new JcaX509CertificateConverter()
                .getCertificate(cab.build(new JcaContentSignerBuilder("SHA256withECDSA").build(ca.getPrivate())));
        JcaX509v3CertificateBuilder sb = new JcaX509v3CertificateBuilder(caName, BigInteger.TWO,
                new Date(now - 3_600_000L), new Date(now + 86_400_000L), new X500Name("CN=localhost"),
                server.getPublic());
        sb.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
        sb.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(new GeneralName[] {
            new GeneralName(GeneralName.dNSName, "localhost"), new GeneralName(GeneralName.iPAddress, "127.0.0.1") }));
        X509Certificate serverCert = new JcaX509CertificateConverter()
                .getCertificate(sb.build(new JcaContentSignerBuilder("SHA256withECDSA").build(ca.getPrivate())));
        TestPki pki = new TestPki(dir.resolve("ca.pem"), dir.resolve("server.pem"), dir.resolve("server-key.pem"));
        pem(pki.caFile, caCert);
        pem(pki.certFile, serverCert);
        pem(pki.keyFile, new org.bouncycastle.openssl.jcajce.JcaPKCS8Generator(server.getPrivate(), null));
        return pki;
    }

    private static void pem(Path file, Object o) throws IOException {
        try (Writer w = Files.newBufferedWriter(file); JcaPEMWriter p = new JcaPEMWriter(w)) {
            p.writeObject(o);
        }
    }
}
