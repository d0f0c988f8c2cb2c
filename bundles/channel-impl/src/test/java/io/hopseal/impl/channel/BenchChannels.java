package io.hopseal.impl.channel;

import java.util.ArrayList;
import java.util.List;

import io.hopseal.api.channel.ChannelOptions;
import io.hopseal.api.channel.CipherSuite;
import io.hopseal.api.channel.HandshakePattern;
import io.hopseal.api.channel.KnownPeer;
import io.hopseal.api.identity.TrustPolicy;
import io.hopseal.impl.identity.LocalIdentity;

/**
 * Benchmark access to the package-private sans-I/O cores ({@link Handshake}, {@link TransportCrypto}). Test code of
 * channel-impl, published in its test jar for the bench module: never in the shipped bundle, and the bench module holds
 * no class of this package (no split package; checked by build-check).
 */
public final class BenchChannels {
    private static final TrustPolicy ALL = TrustPolicy.everyone();
    private static final long REKEY = ChannelOptions.DEFAULT_REKEY_INTERVAL;
    private static final int WINDOW = ChannelOptions.DEFAULT_REPLAY_WINDOW;

    private BenchChannels() {
    }

    /** The transport kind of data for the channel's bound service (docs/protocol.md §5). */
    public static final int DATA_BOUND = Wire.DATA_BOUND;

    /** Both ends of a completed handshake, and the channel-layer size of every handshake frame in order. */
    public static final class Pair {
        private final TransportCrypto initiator;
        private final TransportCrypto responder;
        private final List<Integer> frameSizes;

        Pair(TransportCrypto initiator, TransportCrypto responder, List<Integer> frameSizes) {
            this.initiator = initiator;
            this.responder = responder;
            this.frameSizes = frameSizes;
        }

        /**
         * Seals {@code pt} as bound data at the initiator; the frame as it goes on the wire (channel layer). This is
         * the call {@code ChannelEndpoint.sendData} makes: a new array of exactly the frame's size, which becomes the
         * payload of the {@code Message} handed to the router.
         */
        public byte[] sealAtInitiator(byte[] pt) {
            return initiator.seal(Wire.DATA_BOUND, pt, 0, pt.length);
        }

        /**
         * Opens a bound-data frame at the responder; the plaintext, or null if it was dropped. This is the call
         * {@code ChannelEndpoint.onRemote} makes for bound data: the plaintext is decrypted straight into a new array
         * of its exact size, which becomes the payload of the delivered {@code Message}.
         */
        public byte[] openAtResponder(byte[] frame) {
            TransportCrypto.Opened o = responder.open(frame);
            return o.ok() ? o.plaintext() : null;
        }

        /** Channel-layer bytes of each handshake frame, in order. */
        public List<Integer> frameSizes() {
            return frameSizes;
        }

        public int handshakeBytes() {
            int n = 0;
            for (int s : frameSizes) {
                n += s;
            }
            return n;
        }

        public void destroy() {
            initiator.destroy();
            responder.destroy();
        }
    }

    /**
     * Runs one complete handshake of {@code pattern} between two identities in memory (both sides: every message
     * written and read, proofs verified, trust checked, Split, transport state built).
     *
     * @throws IllegalStateException if any step does not succeed
     */
    public static Pair handshake(HandshakePattern pattern, CipherSuite suite, LocalIdentity initiator,
                                 LocalIdentity responder, long nowSeconds) {
        KnownPeer knownResponder = pattern == HandshakePattern.XX ? null
                : new KnownPeer(responder.identity(), responder.staticPublicKey());
        KnownPeer knownInitiator = pattern == HandshakePattern.KK
                ? new KnownPeer(initiator.identity(), initiator.staticPublicKey()) : null;
        return handshake(pattern, suite, initiator, responder, knownResponder, knownInitiator, nowSeconds);
    }

    /** As {@link #handshake(HandshakePattern, CipherSuite, LocalIdentity, LocalIdentity, long)} with known peers given. */
    public static Pair handshake(HandshakePattern pattern, CipherSuite suite, LocalIdentity initiator,
                                 LocalIdentity responder, KnownPeer knownResponder, KnownPeer knownInitiator,
                                 long nowSeconds) {
        List<Integer> sizes = new ArrayList<>(3);
        // as over TCP, serial, LoRaWAN and ZigBee, whose links validate addresses: XX message 1 without its padding
        // (docs/protocol.md §4.5; 33 bytes more over other links)
        Handshake i = Handshake.initiator(pattern, suite, initiator, knownResponder, ALL, REKEY, null).padFirst(false);
        byte[] frame = i.start();
        sizes.add(frame.length);
        Handshake r = Handshake.responder(frame, responder, knownInitiator, ALL, REKEY);
        Handshake current = r;
        Handshake other = i;
        while (frame != null) {
            Handshake.Outcome o = current.read(frame, nowSeconds);
            if (o != Handshake.Outcome.OK) {
                throw new IllegalStateException(pattern + " handshake step failed: " + o);
            }
            frame = current.reply();
            if (frame != null) {
                sizes.add(frame.length);
            }
            Handshake t = current;
            current = other;
            other = t;
        }
        if (!i.isComplete() || !r.isComplete()) {
            throw new IllegalStateException(pattern + " handshake did not complete");
        }
        return new Pair(i.transport(WINDOW, ChannelEndpoint.MAX_SKIP_EPOCHS),
                r.transport(WINDOW, ChannelEndpoint.MAX_SKIP_EPOCHS), sizes);
    }

    /** Transport-message overhead in bytes for a message with this counter (header, counter, tag). */
    public static int transportOverhead(long counter) {
        return TransportCrypto.overhead(counter);
    }
}
