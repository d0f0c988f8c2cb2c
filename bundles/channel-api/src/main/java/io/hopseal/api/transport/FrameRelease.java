package io.hopseal.api.transport;

import org.osgi.annotation.versioning.ProviderType;

/**
 * The way back to its pool for a frame buffer that a sender lent to a transport
 * ({@link Transport#send(io.hopseal.api.routing.Address, io.hopseal.api.routing.Message, FrameRelease)}).
 *
 * <p>Ownership, in order: the sender borrows an array from its pool and builds the frame in it (a channel seals into
 * it with the link's headroom in front); from the call to {@code send} on, the transport may read the frame and write
 * its link header into the payload's headroom, and nobody else touches the array; the transport calls
 * {@link #release()} once it will never look at the array again (the frame's bytes are written to the socket, or
 * copied into a buffer of its own, or the frame is dropped); from then on the pool may lend the array to the next
 * sender. So a frame that waits in a transport's queue keeps its bytes: its array is not back in the pool yet.
 *
 * <p>A transport must not let anyone keep the lent array (e.g. hand it to a receiver as a zero-copy view): a receiver
 * owns what it is given, and a released array will be overwritten. A transport that hands the array itself to a
 * receiver passes the release along with it ({@link InboundSink#deliver(io.hopseal.api.routing.Message, Ingress,
 * FrameRelease)}, since 2.4): then the receiving side releases, once nobody reads the array any more, or never.
 *
 * <p>The same interface gives back a transport's own receive buffers: a transport that reads a frame into an array
 * of its own may lend it inbound with a release that returns it to the transport.
 *
 * <p>Not releasing is always correct: the array then stays with the message and the garbage collector takes it; the
 * pool makes a new one for the next sender. Releasing twice is a transport bug; the pool ignores the second call.
 * Released arrays hold only framing and ciphertext: a channel seals into them and never leaves plaintext there.
 */
@ProviderType
public interface FrameRelease {

    /**
     * The transport is done with the frame's array. Call at most once, from any thread, after the last access to the
     * array; never throws.
     */
    void release();
}
