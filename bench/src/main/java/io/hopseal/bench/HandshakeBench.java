package io.hopseal.bench;

import java.security.SecureRandom;
import java.time.Clock;
import java.util.concurrent.TimeUnit;

import org.bouncycastle.math.ec.rfc7748.X25519;
import org.bouncycastle.math.ec.rfc8032.Ed25519;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

import io.hopseal.api.channel.CipherSuite;
import io.hopseal.api.channel.HandshakePattern;
import io.hopseal.impl.channel.BenchChannels;
import io.hopseal.impl.identity.LocalIdentity;
import io.hopseal.vault.MemoryVault;

/**
 * Complete mutually authenticated handshakes, both sides in memory on one thread: Hopseal XX with identity proofs,
 * Hopseal KK, JDK TLS 1.3 with client certificates, and the raw public-key crypto those Hopseal handshakes perform,
 * timed alone (the limit).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class HandshakeBench {
    LocalIdentity alice;
    LocalIdentity bob;
    long now;
    TlsPair.Factory tls;

    // raw crypto material: long-term keys and proofs as the identities hold them
    final SecureRandom random = new SecureRandom();
    final byte[] aliceStaticPriv = new byte[32];
    final byte[] aliceStaticPub = new byte[32];
    final byte[] bobStaticPriv = new byte[32];
    final byte[] bobStaticPub = new byte[32];
    final byte[] aliceSignPriv = new byte[32];
    final byte[] aliceSignPub = new byte[32];
    final byte[] bobSignPriv = new byte[32];
    final byte[] bobSignPub = new byte[32];
    /** the bytes a purpose-key proof signs: context (26) + identifier (20) + key (32) + expiry (4) */
    final byte[] proofData = new byte[82];
    final byte[] aliceProof = new byte[64];
    final byte[] bobProof = new byte[64];

    @Setup
    public void setup() throws Exception {
        alice = LocalIdentity.loadOrCreate(new MemoryVault(), Clock.systemUTC());
        bob = LocalIdentity.loadOrCreate(new MemoryVault(), Clock.systemUTC());
        now = Clock.systemUTC().instant().getEpochSecond();
        tls = new TlsPair.Factory(true);
        X25519.generatePrivateKey(random, aliceStaticPriv);
        X25519.generatePublicKey(aliceStaticPriv, 0, aliceStaticPub, 0);
        X25519.generatePrivateKey(random, bobStaticPriv);
        X25519.generatePublicKey(bobStaticPriv, 0, bobStaticPub, 0);
        Ed25519.generatePrivateKey(random, aliceSignPriv);
        Ed25519.generatePublicKey(aliceSignPriv, 0, aliceSignPub, 0);
        Ed25519.generatePrivateKey(random, bobSignPriv);
        Ed25519.generatePublicKey(bobSignPriv, 0, bobSignPub, 0);
        random.nextBytes(proofData);
        Ed25519.sign(aliceSignPriv, 0, aliceSignPub, 0, proofData, 0, proofData.length, aliceProof, 0);
        Ed25519.sign(bobSignPriv, 0, bobSignPub, 0, proofData, 0, proofData.length, bobProof, 0);
    }

    /** Noise XX, AESGCM_SHA256, with a purpose-key proof each way, verified, over LocalIdentity + MemoryVault. */
    @Benchmark
    public Object hopsealXX() {
        return BenchChannels.handshake(HandshakePattern.XX, CipherSuite.AESGCM_SHA256, alice, bob, now);
    }

    /** Noise KK between known peers (one round trip). */
    @Benchmark
    public Object hopsealKK() {
        return BenchChannels.handshake(HandshakePattern.KK, CipherSuite.AESGCM_SHA256, alice, bob, now);
    }

    /** JDK TLS 1.3, Ed25519 client and server certificates, X25519, new engines, session ticket read. */
    @Benchmark
    public Object tls13MutualAuth() throws Exception {
        return tls.newPair().handshake();
    }

    /**
     * The public-key operations of one Hopseal XX handshake with proofs, both sides: 2 ephemeral key generations,
     * 6 X25519 agreements (ee, es, se on each side), 2 Ed25519 verifications of the peers' proofs (proofs are signed
     * once per identity, not per handshake).
     */
    @Benchmark
    public int rawCryptoXX() {
        return rawXX(false);
    }

    /** As {@link #rawCryptoXX()} plus an Ed25519 signature per side (a design that signs per handshake, like TLS). */
    @Benchmark
    public int rawCryptoXXWithSign() {
        return rawXX(true);
    }

    /** The public-key operations of one KK handshake: 2 key generations, 8 X25519 agreements. */
    @Benchmark
    public int rawCryptoKK() {
        byte[] ei = new byte[32];
        byte[] eiPub = new byte[32];
        byte[] er = new byte[32];
        byte[] erPub = new byte[32];
        byte[] out = new byte[32];
        X25519.generatePrivateKey(random, ei);
        X25519.generatePublicKey(ei, 0, eiPub, 0);
        X25519.generatePrivateKey(random, er);
        X25519.generatePublicKey(er, 0, erPub, 0);
        int acc = 0;
        // initiator: es, ss, ee, se
        acc += agree(ei, bobStaticPub, out);
        acc += agree(aliceStaticPriv, bobStaticPub, out);
        acc += agree(ei, erPub, out);
        acc += agree(aliceStaticPriv, erPub, out);
        // responder: es, ss, ee, se
        acc += agree(bobStaticPriv, eiPub, out);
        acc += agree(bobStaticPriv, aliceStaticPub, out);
        acc += agree(er, eiPub, out);
        acc += agree(er, aliceStaticPub, out);
        return acc;
    }

    private int rawXX(boolean sign) {
        byte[] ei = new byte[32];
        byte[] eiPub = new byte[32];
        byte[] er = new byte[32];
        byte[] erPub = new byte[32];
        byte[] out = new byte[32];
        X25519.generatePrivateKey(random, ei);
        X25519.generatePublicKey(ei, 0, eiPub, 0);
        X25519.generatePrivateKey(random, er);
        X25519.generatePublicKey(er, 0, erPub, 0);
        int acc = 0;
        // responder: ee, es (its static with the initiator's ephemeral), then se after message 3
        acc += agree(er, eiPub, out);
        acc += agree(bobStaticPriv, eiPub, out);
        // initiator: ee, es, se
        acc += agree(ei, erPub, out);
        acc += agree(ei, bobStaticPub, out);
        acc += agree(aliceStaticPriv, erPub, out);
        acc += agree(er, aliceStaticPub, out);
        if (sign) {
            byte[] sig = new byte[64];
            Ed25519.sign(bobSignPriv, 0, bobSignPub, 0, proofData, 0, proofData.length, sig, 0);
            acc += sig[0];
            Ed25519.sign(aliceSignPriv, 0, aliceSignPub, 0, proofData, 0, proofData.length, sig, 0);
            acc += sig[0];
        }
        acc += Ed25519.verify(bobProof, 0, bobSignPub, 0, proofData, 0, proofData.length) ? 1 : 0;
        acc += Ed25519.verify(aliceProof, 0, aliceSignPub, 0, proofData, 0, proofData.length) ? 1 : 0;
        return acc;
    }

    private static int agree(byte[] priv, byte[] pub, byte[] out) {
        X25519.calculateAgreement(priv, 0, pub, 0, out, 0);
        return out[0];
    }
}
