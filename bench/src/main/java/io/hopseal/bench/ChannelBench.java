package io.hopseal.bench;

import java.nio.ByteBuffer;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.concurrent.TimeUnit;

import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import io.hopseal.api.channel.ChannelEngine;
import io.hopseal.api.channel.ChannelOptions;
import io.hopseal.api.channel.ChannelState;
import io.hopseal.api.channel.CipherSuite;
import io.hopseal.api.channel.HandshakePattern;
import io.hopseal.api.channel.ListenerOptions;
import io.hopseal.impl.channel.BenchChannels;
import io.hopseal.impl.identity.LocalIdentity;
import io.hopseal.node.HopsealNode;
import io.hopseal.vault.MemoryVault;

/**
 * One message sealed at one end and opened at the other, per operation, one thread: Hopseal's transport phase
 * (header, explicit counter, AES-256-GCM, replay window, epoch keys), JDK TLS 1.3 application data (SSLEngine wrap at
 * the client, unwrap at the server, TLS_AES_256_GCM_SHA384) and the raw AEAD limit: JDK AES-256-GCM with one key, a
 * new nonce per message, the same 3 bytes of associated data, into preallocated buffers.
 *
 * <p>Hopseal is measured through both of its public ways to move data:
 * {@link #hopsealEngine()} is the {@code ChannelEngine} API (sans-I/O, the caller's buffers: the same shape as
 * {@code SSLEngine}, so this is the like-for-like comparison with TLS), handshaken by two real nodes;
 * {@link #hopsealMessages()} makes exactly the two calls a routed {@code SecureChannel} makes per bound-data message
 * ({@code ChannelEndpoint.sendData}: seal into a new frame array, which becomes the {@code Message} payload;
 * {@code ChannelEndpoint.onRemote}: open into a new plaintext array, which becomes the delivered payload): the
 * {@code Message} API hands whole arrays over, so those two arrays are part of that path's cost.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class ChannelBench {
    @Param({"64", "1024", "16384"})
    public int size;

    byte[] plaintext;
    BenchChannels.Pair hopseal;
    TlsPair tls;
    ByteBuffer tlsSrc;

    Cipher enc;
    Cipher dec;
    SecretKeySpec key;
    final byte[] iv = new byte[12];
    final byte[] ad = new byte[3];
    byte[] ct;
    byte[] pt2;
    long nonce;
    HopsealNode nodeA;
    HopsealNode nodeB;
    ChannelEngine engineA;
    ChannelEngine engineB;
    byte[] frameBuf;
    byte[] engineOut;

    @Setup
    public void setup() throws Exception {
        plaintext = new byte[size];
        new SecureRandom().nextBytes(plaintext);
        LocalIdentity a = LocalIdentity.loadOrCreate(new MemoryVault(), Clock.systemUTC());
        LocalIdentity b = LocalIdentity.loadOrCreate(new MemoryVault(), Clock.systemUTC());
        hopseal = BenchChannels.handshake(HandshakePattern.XX, CipherSuite.AESGCM_SHA256, a, b,
                Clock.systemUTC().instant().getEpochSecond());
        nodeA = HopsealNode.builder().build();
        nodeB = HopsealNode.builder().build();
        engineA = nodeA.channels().initiatorEngine(ChannelOptions.defaults());
        engineB = nodeB.channels().responderEngine(ListenerOptions.defaults());
        byte[] m3 = engineA.readHandshake(engineB.readHandshake(engineA.start()).get(0)).get(0);
        engineB.readHandshake(m3);
        if (engineA.state() != ChannelState.OPEN || engineB.state() != ChannelState.OPEN) {
            throw new IllegalStateException("engine handshake did not complete");
        }
        frameBuf = new byte[size + ChannelEngine.MAX_OVERHEAD];
        engineOut = new byte[size];
        tls = new TlsPair.Factory(true).newPair().handshake();
        tlsSrc = ByteBuffer.wrap(plaintext);
        byte[] k = new byte[32];
        new SecureRandom().nextBytes(k);
        key = new SecretKeySpec(k, "AES");
        enc = Cipher.getInstance("AES/GCM/NoPadding");
        dec = Cipher.getInstance("AES/GCM/NoPadding");
        ct = new byte[size + 16];
        pt2 = new byte[size];
    }

    /** The public {@code ChannelEngine}: seal into the caller's frame buffer, open into the caller's plaintext buffer. */
    @Benchmark
    public int hopsealEngine() {
        int n = engineA.seal(plaintext, 0, size, frameBuf, 0);
        return engineB.open(frameBuf, 0, n, engineOut, 0);
    }

    /** A routed {@code SecureChannel}'s two calls per bound-data message: a new frame array, a new plaintext array. */
    @Benchmark
    public byte[] hopsealMessages() {
        return hopseal.openAtResponder(hopseal.sealAtInitiator(plaintext));
    }

    @TearDown
    public void tearDown() {
        engineA.close();
        engineB.close();
        nodeA.close();
        nodeB.close();
        hopseal.destroy();
    }

    @Benchmark
    public int tls13() throws Exception {
        tlsSrc.clear();
        return tls.transfer(tlsSrc);
    }

    /**
     * The raw AEAD through a copying API: like {@link #rawAesGcm()} but a new ciphertext and a new plaintext array
     * per message (what any byte[]-returning channel API pays). Not a limit: splits Hopseal's gap into allocation
     * and the rest.
     */
    @Benchmark
    public byte[] rawAesGcmAllocating() throws Exception {
        long n = ++nonce;
        for (int i = 0; i < 8; i++) {
            iv[4 + i] = (byte) (n >>> (56 - 8 * i));
        }
        GCMParameterSpec spec = new GCMParameterSpec(128, iv);
        enc.init(Cipher.ENCRYPT_MODE, key, spec);
        enc.updateAAD(ad);
        byte[] c = new byte[size + 16];
        enc.doFinal(plaintext, 0, size, c, 0);
        dec.init(Cipher.DECRYPT_MODE, key, spec);
        dec.updateAAD(ad);
        byte[] p = new byte[size];
        dec.doFinal(c, 0, c.length, p, 0);
        return p;
    }

    @Benchmark
    public int rawAesGcm() throws Exception {
        long n = ++nonce;
        for (int i = 0; i < 8; i++) {
            iv[4 + i] = (byte) (n >>> (56 - 8 * i));
        }
        GCMParameterSpec spec = new GCMParameterSpec(128, iv);
        enc.init(Cipher.ENCRYPT_MODE, key, spec);
        enc.updateAAD(ad);
        int c = enc.doFinal(plaintext, 0, size, ct, 0);
        dec.init(Cipher.DECRYPT_MODE, key, spec);
        dec.updateAAD(ad);
        return dec.doFinal(ct, 0, c, pt2, 0);
    }
}
