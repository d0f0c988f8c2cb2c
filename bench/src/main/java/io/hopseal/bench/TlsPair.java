package io.hopseal.bench;

import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLException;
import javax.net.ssl.TrustManagerFactory;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * The JDK's own TLS 1.3 as a baseline: two {@link SSLEngine}s in memory, mutual authentication with self-signed
 * Ed25519 certificates (made at setup with BouncyCastle's PKIX builder, keys and signatures by the JDK), X25519 key
 * share. Counts every byte each engine produces.
 */
public final class TlsPair {
    static {
        // the key share group; must be set before the JDK's TLS classes initialise (also passed to JMH forks)
        if (System.getProperty("jdk.tls.namedGroups") == null) {
            System.setProperty("jdk.tls.namedGroups", "x25519");
        }
    }

    private static final ByteBuffer EMPTY = ByteBuffer.allocate(0);

    /** Contexts (keys, certificates, trust) made once; each {@link #newPair()} is a fresh pair of engines. */
    public static final class Factory {
        private final SSLContext client;
        private final SSLContext server;
        private final boolean mutual;

        /** @param mutual true for client certificates (mutual authentication) */
        public Factory(boolean mutual) throws Exception {
            this.mutual = mutual;
            KeyPair ck = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
            KeyPair sk = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
            X509Certificate cc = selfSigned(ck, "CN=device");
            X509Certificate sc = selfSigned(sk, "CN=backend");
            this.client = context(ck, cc, sc);
            this.server = context(sk, sc, cc);
        }

        /** A new pair of engines, not yet handshaken (no peer host given, so no session resumption). */
        public TlsPair newPair() throws SSLException {
            SSLEngine c = client.createSSLEngine();
            c.setUseClientMode(true);
            c.setEnabledProtocols(new String[] {"TLSv1.3"});
            SSLEngine s = server.createSSLEngine();
            s.setUseClientMode(false);
            s.setEnabledProtocols(new String[] {"TLSv1.3"});
            if (mutual) {
                s.setNeedClientAuth(true);
            }
            return new TlsPair(c, s);
        }
    }

    static X509Certificate selfSigned(KeyPair kp, String dn) throws Exception {
        X500Name name = new X500Name(dn);
        long now = System.currentTimeMillis();
        X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(name, BigInteger.valueOf(now), new Date(now - 3_600_000L),
                new Date(now + 365L * 86_400_000L), name, kp.getPublic());
        return new JcaX509CertificateConverter().getCertificate(
                b.build(new JcaContentSignerBuilder("Ed25519").build(kp.getPrivate())));
    }

    static SSLContext context(KeyPair mine, X509Certificate myCert, X509Certificate peerCert) throws Exception {
        char[] pw = "bench".toCharArray();
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        ks.setKeyEntry("me", mine.getPrivate(), pw, new X509Certificate[] {myCert});
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, pw);
        KeyStore ts = KeyStore.getInstance("PKCS12");
        ts.load(null, null);
        ts.setCertificateEntry("peer", peerCert);
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(ts);
        SSLContext ctx = SSLContext.getInstance("TLSv1.3");
        ctx.init(kmf.getKeyManagers(), tmf.getTrustManagers(), new SecureRandom());
        return ctx;
    }

    private final SSLEngine client;
    private final SSLEngine server;
    private final ByteBuffer c2s;
    private final ByteBuffer s2c;
    private final ByteBuffer cApp;
    private final ByteBuffer sApp;
    /** Bytes produced by the client/server during the handshake proper, and post-handshake (session tickets). */
    private long clientHandshakeBytes;
    private long serverHandshakeBytes;
    private long postHandshakeBytes;
    private boolean serverDone;
    private boolean clientDone;
    private final List<Integer> handshakeRecords = new ArrayList<>();

    private TlsPair(SSLEngine client, SSLEngine server) {
        this.client = client;
        this.server = server;
        int net = Math.max(client.getSession().getPacketBufferSize(), server.getSession().getPacketBufferSize());
        int app = Math.max(client.getSession().getApplicationBufferSize(), server.getSession().getApplicationBufferSize());
        c2s = ByteBuffer.allocate(net * 4);
        s2c = ByteBuffer.allocate(net * 4);
        cApp = ByteBuffer.allocate(app * 2);
        sApp = ByteBuffer.allocate(app * 2);
    }

    /**
     * Runs the complete handshake both ways, including the client reading the server's session ticket(s).
     *
     * @return this
     */
    public TlsPair handshake() throws SSLException {
        client.beginHandshake();
        server.beginHandshake();
        for (int round = 0; round < 200; round++) {
            boolean progress = step(client, true, c2s, s2c, cApp);
            progress |= step(server, false, s2c, c2s, sApp);
            if (!progress && clientDone && serverDone && c2s.position() == 0 && s2c.position() == 0) {
                return this;
            }
            if (!progress && round > 100) {
                break;
            }
        }
        throw new SSLException("TLS handshake did not complete: client " + client.getHandshakeStatus() + ", server "
                + server.getHandshakeStatus());
    }

    /** One action of one engine; true if it produced or consumed anything. */
    private boolean step(SSLEngine e, boolean isClient, ByteBuffer out, ByteBuffer in, ByteBuffer app)
            throws SSLException {
        SSLEngineResult.HandshakeStatus hs = e.getHandshakeStatus();
        switch (hs) {
            case NEED_TASK -> {
                Runnable t;
                while ((t = e.getDelegatedTask()) != null) {
                    t.run();
                }
                return true;
            }
            case NEED_WRAP -> {
                SSLEngineResult r = e.wrap(EMPTY, out);
                count(isClient, r);
                return r.bytesProduced() > 0 || r.getHandshakeStatus() != hs;
            }
            default -> {
                // NEED_UNWRAP, NEED_UNWRAP_AGAIN, NOT_HANDSHAKING (post-handshake messages such as tickets)
                if (in.position() == 0 && hs != SSLEngineResult.HandshakeStatus.NEED_UNWRAP_AGAIN) {
                    if (hs == SSLEngineResult.HandshakeStatus.NOT_HANDSHAKING) {
                        markDone(isClient);
                    }
                    return false;
                }
                in.flip();
                SSLEngineResult r = e.unwrap(in, app);
                in.compact();
                app.clear();
                count(isClient, r);
                if (e.getHandshakeStatus() == SSLEngineResult.HandshakeStatus.NOT_HANDSHAKING) {
                    markDone(isClient);
                }
                return r.bytesConsumed() > 0 || r.getHandshakeStatus() != hs;
            }
        }
    }

    private void markDone(boolean isClient) {
        if (isClient) {
            clientDone = true;
        } else {
            serverDone = true;
        }
    }

    private void count(boolean isClient, SSLEngineResult r) {
        int n = r.bytesProduced();
        // The client's handshake ends with the wrap of its last flight (FINISHED); anything the server produces
        // after that (NewSessionTicket) is post-handshake.
        if (n > 0) {
            boolean post = clientDone;
            if (post) {
                postHandshakeBytes += n;
            } else {
                handshakeRecords.add(n);
                addHandshake(isClient, n);
            }
        }
        if (r.getHandshakeStatus() == SSLEngineResult.HandshakeStatus.FINISHED) {
            markDone(isClient);
        }
    }

    private void addHandshake(boolean isClient, int n) {
        if (isClient) {
            clientHandshakeBytes += n;
        } else {
            serverHandshakeBytes += n;
        }
    }

    /** Handshake bytes both ways (records, headers included), without post-handshake messages. */
    public long handshakeBytes() {
        return clientHandshakeBytes + serverHandshakeBytes;
    }

    public long clientHandshakeBytes() {
        return clientHandshakeBytes;
    }

    public long serverHandshakeBytes() {
        return serverHandshakeBytes;
    }

    /** Post-handshake bytes (the server's NewSessionTicket records). */
    public long postHandshakeBytes() {
        return postHandshakeBytes;
    }

    /** The byte count of each wrap that produced handshake records, in order. */
    public List<Integer> handshakeFlights() {
        return handshakeRecords;
    }

    public String cipherSuite() {
        return client.getSession().getCipherSuite();
    }

    public String protocol() {
        return client.getSession().getProtocol();
    }

    /**
     * Sends {@code len} bytes of {@code src} as application data client → server and reads them at the server.
     *
     * @return bytes on the wire (all records)
     */
    public int transfer(ByteBuffer src) throws SSLException {
        int wire = 0;
        c2s.clear();
        while (src.hasRemaining()) {
            SSLEngineResult r = client.wrap(src, c2s);
            if (r.getStatus() != SSLEngineResult.Status.OK) {
                throw new SSLException("wrap: " + r);
            }
            wire += r.bytesProduced();
        }
        c2s.flip();
        sApp.clear();
        while (c2s.hasRemaining()) {
            SSLEngineResult r = server.unwrap(c2s, sApp);
            if (r.getStatus() != SSLEngineResult.Status.OK) {
                throw new SSLException("unwrap: " + r);
            }
        }
        c2s.clear();
        return wire;
    }

    /** The server's application buffer after {@link #transfer} (flip to read). */
    public ByteBuffer received() {
        return sApp;
    }
}
