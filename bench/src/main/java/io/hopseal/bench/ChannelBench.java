package io.hopseal.bench;

import java.nio.ByteBuffer;
import java.security.SecureRandom;
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
import io.hopseal.api.channel.ListenerOptions;
import io.hopseal.api.channel.SecureChannel;
import io.hopseal.api.routing.BorrowingWorker;
import io.hopseal.api.routing.Payload;
import io.hopseal.api.routing.SendResult;
import io.hopseal.api.routing.Worker;
import io.hopseal.node.HopsealNode;

/**
 * One message sealed at one end and opened at the other, per operation, one thread: Hopseal's transport phase
 * (header, explicit counter, AES-256-GCM, replay window, epoch keys), JDK TLS 1.3 application data (SSLEngine wrap at
 * the client, unwrap at the server, TLS_AES_256_GCM_SHA384) and the raw AEAD limit: JDK AES-256-GCM with one key, a
 * new nonce per message, the same 3 bytes of associated data, into preallocated buffers.
 *
 * <p>Hopseal is measured through both of its public ways to move data:
 * {@link #hopsealEngine()} is the {@code ChannelEngine} API (sans-I/O, the caller's buffers: the same shape as
 * {@code SSLEngine}, so this is the like-for-like comparison with TLS), handshaken by two real nodes;
 * {@link #hopsealRouted()} is the routed {@code SecureChannel} end to end: {@code SecureChannel.send} on a device
 * node, whose channel end seals with the first hop's headroom into one array and hands it to its router; the router
 * hands it to a {@link DirectLink} end, which frames it in place and passes that same array to the backend node's end
 * (no copy, on the same thread); the backend decodes the envelope as a view, its router delivers the view to the
 * channel end, which opens it into one new plaintext array and sends that to the bound service {@code sink}. Two
 * arrays per message (the sealed frame, the plaintext), as on any link, plus the routing on both nodes.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class ChannelBench {
    @Param({"64", "1024", "16384"})
    public int size;

    byte[] plaintext;
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
    /** The routed path over the zero-copy link ({@link #hopsealRouted()}, {@link #hopsealRoutedInPlace()}). */
    Routed zeroCopy;
    SecureChannel routed;
    /** The headroom {@link #hopsealRoutedInPlace()} gives each payload ({@code SecureChannel.sendHeadroom()}). */
    int sendRoom;
    /** The routed path over a copying link that gives lent frames back ({@link #hopsealRoutedCopyPooled()}). */
    Routed copyPooled;
    /** The routed path over a copying link that never releases ({@link #hopsealRoutedCopy()}). */
    Routed copyUnpooled;
    /** The routed path over the zero-copy link that lends frames to a borrowing service ({@link #hopsealRoutedLent()}). */
    Routed lent;

    /** A device and a backend node over their own link, with an open channel from one to the other's sink service. */
    static final class Routed implements AutoCloseable {
        final DirectLink link;
        final DirectLink.End deviceEnd;
        final HopsealNode device;
        final HopsealNode backend;
        final SecureChannel channel;
        long bytes;
        long messages;
        /** The arrays the sink was handed (by identity): few when frames are lent back, one per message when kept. */
        final java.util.Set<byte[]> arrays = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());

        Routed(DirectLink link, byte[] plaintext) throws Exception {
            this(link, plaintext, false);
        }

        /** {@code borrowing}: the backend's service reads each body during {@code handle} only ({@link BorrowingWorker}). */
        Routed(DirectLink link, byte[] plaintext, boolean borrowing) throws Exception {
            this.link = link;
            DirectLink.End d = link.join("device");
            DirectLink.End b = link.join("backend");
            deviceEnd = d;
            device = HopsealNode.builder().transport(() -> d).build();
            backend = HopsealNode.builder().transport(() -> b).build();
            Worker sink = (m, ctx) -> {
                bytes += m.body().length();
                messages++;
                if (messages <= 100) {
                    arrays.add(m.body().array());
                }
            };
            backend.service("sink", borrowing ? (BorrowingWorker) sink::handle : sink);
            backend.channels().listen("api", ListenerOptions.defaults());
            channel = device.channels().connect("/mem/backend/secure/api/service/sink", ChannelOptions.defaults())
                    .get(20, TimeUnit.SECONDS);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (backend.channels().channels().stream().noneMatch(c -> c.state() == ChannelState.OPEN)) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("backend end of the routed channel did not open");
                }
                Thread.sleep(1);
            }
            link.direct(true);
            for (int i = 0; i < 100; i++) {
                if (channel.send(plaintext).isDropped()) {
                    throw new IllegalStateException("routed send dropped");
                }
            }
            if (messages != 100 || bytes != 100L * plaintext.length) {
                throw new IllegalStateException("routed channel delivered " + messages + " messages, " + bytes
                        + " bytes; expected 100 of " + plaintext.length);
            }
        }

        long send(byte[] plaintext) {
            SendResult r = channel.send(plaintext);
            if (r.isDropped()) {
                throw new IllegalStateException("routed send dropped: " + r);
            }
            return bytes;
        }

        @Override
        public void close() {
            channel.close();
            device.close();
            backend.close();
            link.close();
        }
    }

    @Setup
    public void setup() throws Exception {
        plaintext = new byte[size];
        new SecureRandom().nextBytes(plaintext);
        nodeA = HopsealNode.builder().build();
        nodeB = HopsealNode.builder().build();
        engineA = nodeA.channels().initiatorEngine(ChannelOptions.defaults());
        engineB = nodeB.channels().responderEngine(ListenerOptions.defaults());
        byte[] m3 = engineA.readHandshake(engineB.readHandshake(engineA.start()).get(0)).get(0);
        engineB.readHandshake(m3);
        if (engineA.state() != ChannelState.OPEN || engineB.state() != ChannelState.OPEN) {
            throw new IllegalStateException("engine handshake did not complete");
        }
        setupRouted();
        copyPooled = new Routed(DirectLink.copying(true), plaintext);
        copyUnpooled = new Routed(DirectLink.copying(false), plaintext);
        lent = new Routed(DirectLink.lending(), plaintext, true);
        if (size >= 1024 && lent.arrays.size() > 8) { // frames under 1 KiB are not pooled: a new array each
            throw new IllegalStateException("lent frames did not come back: the sink saw " + lent.arrays.size()
                    + " arrays in 100 messages");
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

    /**
     * Two nodes (device, backend) joined by a {@link DirectLink}; an XX channel from the device to the backend's
     * listener {@code api}, bound to the backend's service {@code sink}. Checks that messages arrive whole and are
     * framed in place (the zero-copy path), then switches the link to synchronous delivery.
     */
    void setupRouted() throws Exception {
        zeroCopy = new Routed(new DirectLink(), plaintext);
        routed = zeroCopy.channel;
        sendRoom = routed.sendHeadroom();
        long inPlace = zeroCopy.deviceEnd.counters().getOrDefault("frames.in_place", 0L);
        long before = zeroCopy.messages;
        for (int i = 0; i < 100; i++) {
            SendResult r = i % 2 == 0 ? routed.send(plaintext) : routed.send(Payload.of(plaintext.clone()));
            if (r.isDropped()) {
                throw new IllegalStateException("routed send dropped: " + r);
            }
        }
        if (zeroCopy.messages - before != 100) {
            throw new IllegalStateException("routed channel delivered " + (zeroCopy.messages - before)
                    + " of 100 messages");
        }
        if (zeroCopy.deviceEnd.counters().getOrDefault("frames.in_place", 0L) - inPlace != 100) {
            throw new IllegalStateException("routed frames were not framed in place: " + zeroCopy.deviceEnd.counters());
        }
    }

    /** The routed {@code SecureChannel} end to end through two nodes' routers over a zero-copy link. */
    @Benchmark
    public long hopsealRouted() {
        SendResult r = routed.send(plaintext);
        if (r.isDropped()) {
            throw new IllegalStateException("routed send dropped: " + r);
        }
        return zeroCopy.bytes;
    }

    /**
     * As {@link #hopsealRouted()} through {@code SecureChannel.send(Payload)}: the application builds each message in
     * a new array with the channel's headroom and the tag's tailroom (here: copies the plaintext in) and hands it over;
     * the channel seals it in place and the link frames it in its headroom. One array per message, the one the
     * application fills; no array in the channel, the routers or the link.
     */
    @Benchmark
    public long hopsealRoutedInPlace() {
        byte[] buf = new byte[sendRoom + size + SecureChannel.SEND_TAILROOM];
        System.arraycopy(plaintext, 0, buf, sendRoom, size);
        SendResult r = routed.send(new Payload(buf, sendRoom, size, sendRoom));
        if (r.isDropped()) {
            throw new IllegalStateException("routed send dropped: " + r);
        }
        return zeroCopy.bytes;
    }

    /**
     * The routed {@code SecureChannel} over a link that copies each frame into the receiver's own array, as a socket
     * read does, and gives the sender's lent frame back to the channel service's pool once copied: the channel seals
     * into a warm pooled array, the receiver pays the new array (TCP once it releases).
     */
    @Benchmark
    public long hopsealRoutedCopyPooled() {
        return copyPooled.send(plaintext);
    }

    /**
     * As {@link #hopsealRouted()} with the sealed frame lent all the way: the channel seals into a pooled array, the
     * zero-copy link hands that array to the backend with its release, the backend opens it in place and its service
     * borrows the plaintext ({@code BorrowingWorker}); once {@code handle} returns the channel end wipes the plaintext
     * and the array goes back to the device's pool. No array per message (frames of 1 KiB and more).
     */
    @Benchmark
    public long hopsealRoutedLent() {
        return lent.send(plaintext);
    }

    /** As {@link #hopsealRoutedCopyPooled()} over a link that never releases: a new send frame per message too. */
    @Benchmark
    public long hopsealRoutedCopy() {
        return copyUnpooled.send(plaintext);
    }

    @TearDown
    public void tearDown() {
        copyPooled.close();
        copyUnpooled.close();
        lent.close();
        engineA.close();
        engineB.close();
        nodeA.close();
        nodeB.close();
        zeroCopy.close();
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

    /**
     * The raw AEAD with one new array per message (the ciphertext; the plaintext into the reused buffer): what a routed
     * path costs that allocates only the sealed frame, e.g. one that opened bound data in place. Diagnostic.
     */
    @Benchmark
    public int rawAesGcmOneArray() throws Exception {
        long n = ++nonce;
        for (int i = 0; i < 8; i++) {
            iv[4 + i] = (byte) (n >>> (56 - 8 * i));
        }
        GCMParameterSpec spec = new GCMParameterSpec(128, iv);
        enc.init(Cipher.ENCRYPT_MODE, key, spec);
        enc.updateAAD(ad);
        byte[] c = new byte[size + 16];
        int cl = enc.doFinal(plaintext, 0, size, c, 0);
        dec.init(Cipher.DECRYPT_MODE, key, spec);
        dec.updateAAD(ad);
        return dec.doFinal(c, 0, cl, pt2, 0);
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
