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

import io.hopseal.api.channel.CipherSuite;
import io.hopseal.api.channel.HandshakePattern;
import io.hopseal.impl.channel.BenchChannels;
import io.hopseal.impl.identity.LocalIdentity;
import io.hopseal.vault.MemoryVault;

/**
 * One message sealed at one end and opened at the other, per operation, one thread: Hopseal's transport phase
 * (TransportCrypto: header, explicit counter, AES-256-GCM, replay window, epoch keys), JDK TLS 1.3 application data
 * (SSLEngine wrap at the client, unwrap at the server, TLS_AES_256_GCM_SHA384) and the raw AEAD limit: JDK
 * AES-256-GCM with one key, a new nonce per message, the same 3 bytes of associated data, into preallocated buffers.
 *
 * <p>{@link #hopseal()} makes exactly the two calls a channel makes per bound-data message on its hot path
 * ({@code ChannelEndpoint.sendData}: seal into a new frame array, which becomes the {@code Message} payload;
 * {@code ChannelEndpoint.onRemote}: open into a new plaintext array, which becomes the delivered payload). The public
 * {@code Message} API hands whole arrays over, so those two arrays are part of the channel's cost.
 * {@link #hopsealInPlace()} is a diagnostic: the same transport code sealing into a reused buffer and opening in place
 * (no array per message), which splits Hopseal's distance from the limit into the arrays the API requires and the
 * rest.
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
    BenchChannels.Pair hopsealDiag;
    byte[] frameBuf;

    @Setup
    public void setup() throws Exception {
        plaintext = new byte[size];
        new SecureRandom().nextBytes(plaintext);
        LocalIdentity a = LocalIdentity.loadOrCreate(new MemoryVault(), Clock.systemUTC());
        LocalIdentity b = LocalIdentity.loadOrCreate(new MemoryVault(), Clock.systemUTC());
        hopseal = BenchChannels.handshake(HandshakePattern.XX, CipherSuite.AESGCM_SHA256, a, b,
                Clock.systemUTC().instant().getEpochSecond());
        hopsealDiag = BenchChannels.handshake(HandshakePattern.XX, CipherSuite.AESGCM_SHA256, a, b,
                Clock.systemUTC().instant().getEpochSecond());
        frameBuf = new byte[size + BenchChannels.MAX_OVERHEAD];
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

    @Benchmark
    public byte[] hopseal() {
        return hopseal.openAtResponder(hopseal.sealAtInitiator(plaintext));
    }

    /**
     * Diagnostic: Hopseal's transport code without the arrays of the {@code Message} API: seal into a reused buffer,
     * open in place (what routed, close and control frames use on receive). Not the bound-data path.
     */
    @Benchmark
    public int hopsealInPlace() {
        return hopsealDiag.openAtResponderInPlace(frameBuf, hopsealDiag.sealAtInitiatorInto(plaintext, frameBuf));
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
