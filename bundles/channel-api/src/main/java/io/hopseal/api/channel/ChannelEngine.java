package io.hopseal.api.channel;

import java.util.List;
import java.util.Map;

import org.osgi.annotation.versioning.ProviderType;

import io.hopseal.api.identity.Identifier;
import io.hopseal.api.identity.Identity;

/**
 * One end of a secure channel that does no I/O and keeps no time, for applications that move the bytes themselves: a
 * device's own modem loop, a Netty pipeline, a message queue, a file. It speaks the channel layer of
 * {@code docs/protocol.md} (handshake frames, then transport frames of bound data), with the same identities, trust
 * policies, known peers and credentials as {@link SecureChannel}s of the service that made it; it carries no routes.
 *
 * <p>Used like the JDK's {@code SSLEngine}: the initiator sends {@link #start()}; each side passes every handshake
 * frame it receives to {@link #readHandshake} and sends what that returns, until {@link #state()} is
 * {@link ChannelState#OPEN}. Then {@link #seal} and {@link #open} work in the caller's buffers: no array is allocated
 * per message. Frames must reach the peer whole (the caller's link frames them), in any order within the replay window.
 *
 * <p>Hostile input never throws: a frame that is malformed, forged, replayed or too old is dropped, counted in
 * {@link #counters()} by reason, and changes no state. Handshake retransmission is the caller's (it has the clock):
 * resend {@link #lastHandshakeFrame()} when no answer came in time; a repeated peer frame is answered with ours again.
 *
 * <p>Thread-safety: handshake calls are serialized; once open, one thread may seal while another opens.
 */
@ProviderType
public interface ChannelEngine extends AutoCloseable {

    /** The most bytes a transport frame adds to its plaintext: a header byte, an 8-byte counter, a 16-byte tag. */
    int MAX_OVERHEAD = 25;

    /** The authentication tag that ends every transport frame. */
    int TAG_LENGTH = 16;

    /** {@link #open} result: the frame was refused and counted; nothing changed. */
    int DROPPED = -1;

    /** {@link #open} result: the frame was the peer's authenticated close; {@link #closeReason()} says why. */
    int CLOSED = -2;

    boolean isInitiator();

    ChannelState state();

    /** Why it closed (or never opened); null while handshaking or open. */
    CloseReason closeReason();

    /**
     * The initiator's first handshake frame (call once, first).
     *
     * @throws IllegalStateException on a responder, or when called twice
     */
    byte[] start();

    /**
     * Reads a handshake frame from the peer and returns the frames to send back, in order (often one, none at the
     * end; a refused peer gets an authenticated refusal). A frame that is not valid here is dropped and counted.
     */
    List<byte[]> readHandshake(byte[] frame);

    /** The last handshake frame this end produced, to resend on the caller's timeout; null when none is pending. */
    byte[] lastHandshakeFrame();

    /**
     * Seals {@code plaintext[off, off+len)} into {@code out} from {@code outOff}, which must have room for
     * {@code len + }{@link #MAX_OVERHEAD} bytes; returns the frame's length. {@code out} must not overlap the plaintext.
     *
     * @throws IllegalStateException when the channel is not open, or after an {@link #exportSession()} when the
     *                               counters it reserved are used up ({@link #reservationLeft()} is 0)
     * @throws ChannelException      with {@link CloseReason#COUNTER_EXHAUSTED} when this end has sent its last counter
     *                               (the engine is then closed)
     */
    int seal(byte[] plaintext, int off, int len, byte[] out, int outOff);

    /**
     * Opens the transport frame {@code frame[off, off+len)} into {@code out} from {@code outOff} ({@code out} must not
     * overlap the frame); returns the plaintext length, {@link #DROPPED} or {@link #CLOSED}. Room for {@code len - 18}
     * bytes always suffices; a frame whose plaintext does not fit is dropped and counted
     * ({@code drop.too_large}), so a buffer sized to the application's largest message also bounds what a peer can
     * make it accept. A dropped frame never leaves unauthenticated plaintext in {@code out} (the range may be zeroed).
     */
    int open(byte[] frame, int off, int len, byte[] out, int outOff);

    /**
     * Opens the transport frame {@code frame[off, off+len)} in place, decrypting over its ciphertext; returns the
     * plaintext length {@code n}, {@link #DROPPED} or {@link #CLOSED}. The plaintext then ends where the tag began:
     * {@code frame[off + len - TAG_LENGTH - n, off + len - TAG_LENGTH)}. A dropped frame is left unchanged.
     */
    int openInPlace(byte[] frame, int off, int len);

    /** The authenticated peer; null until open. */
    Identifier peer();

    /** The peer's proven identity; null until open. */
    Identity peerIdentity();

    /** The peer's attributes from credentials that verified against this node's trusted authorities. */
    Map<String, String> peerAttributes();

    /** The Noise protocol name, e.g. {@code Noise_XX_25519_AESGCM_SHA256}; null on a responder before message 1. */
    String protocolName();

    /**
     * Closes this end with an authenticated close frame for the peer, which this returns (null when the channel was
     * not open, so there is nobody to tell). Keys are wiped.
     */
    byte[] closeFrame();

    /** Closes without telling the peer; keys are wiped. */
    @Override
    void close();

    /** Frames and bytes in and out, drops by reason ({@code drop.replay}, {@code drop.forged}, ...), rekeys. */
    Map<String, Long> counters();

    /**
     * This open end's session as an opaque blob, sealed under a key this node's vault derives from its channel static
     * key (nobody without that vault can open it), for {@link SecureChannelService#resumeEngine} after a reboot
     * (docs/protocol.md §5.2). Its keys, counters, peer and expiry; never the handshake's keys.
     *
     * <p><b>Counter reservation</b> (OSCORE, RFC 8613 Appendix B.1): the blob reserves the next
     * {@link Resumption#reservation()} send counters, and from the first export on this end seals only counters a
     * blob reserved ({@link #reservationLeft()}). Store the blob durably (write, fsync, rename), replacing the one
     * before, <em>before</em> the next {@link #seal}: a resumed end starts above the reserved ceiling, so a crash at any
     * moment skips counters and never repeats one. Never resume an older blob than the last stored one (it would
     * repeat counters). Calls to this and to {@link #seal} must not overlap.
     *
     * <p>The receive side is kept as it is at the export: a resumed end refuses every counter up to the highest it had
     * accepted. A message opened after the last export may be accepted once more after a resume from it, so a caller
     * that must never act twice on a message exports (and stores) after {@link #open} and before acting on it.
     *
     * @throws IllegalStateException when the engine is not open, or its options say {@link Resumption#off()}
     * @throws ChannelException      with {@link CloseReason#SESSION_REFUSED} when the session has passed its
     *                               {@link Resumption#maxAge()} or {@link Resumption#maxMessages()} (nothing is
     *                               reserved: a new handshake is due), or the vault cannot seal
     * @since 1.7
     */
    byte[] exportSession();

    /**
     * How many more frames {@link #seal} may produce before a new {@link #exportSession()} must be stored:
     * {@link Long#MAX_VALUE} before the first export (nothing persisted, nothing limited), 0 on an end just resumed.
     * Beyond it {@code seal} throws {@link IllegalStateException} and the engine stays open. Exporting again when
     * this falls below a fraction of the reservation keeps a sender from ever waiting for its storage.
     *
     * @since 1.7
     */
    long reservationLeft();
}
