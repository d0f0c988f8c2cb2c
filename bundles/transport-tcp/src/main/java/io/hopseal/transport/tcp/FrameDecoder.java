package io.hopseal.transport.tcp;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Sans-I/O decoder for one direction of a TCP link: checks the peer's preamble, then cuts the byte stream into frames
 * (see {@link TcpFraming}). Feed it chunks of any size, split anywhere; it returns each complete frame body (the
 * envelope bytes) exactly once.
 *
 * <p>A frame's length is checked against the max frame size as soon as its four header bytes are known, before any
 * buffer is allocated, so a peer cannot make the decoder allocate more than the max frame size. After an error the
 * decoder stays failed: every later call throws the same exception. Not thread-safe (one reader owns it).
 */
public final class FrameDecoder {

    /** Receives frames as they complete. */
    @FunctionalInterface
    public interface FrameSink {
        /** @param envelope the frame body, owned by the receiver */
        void onFrame(byte[] envelope) throws FramingException;
    }

    private final boolean expectPreamble;
    private int maxFrameSize;

    private int preambleSeen;        // bytes of the preamble checked so far
    private final byte[] header = new byte[TcpFraming.HEADER_LENGTH];
    private int headerFill;
    private byte[] body;             // null while reading a header
    private int bodyFill;
    private FramingException failure;

    /** A decoder that expects the preamble first. */
    public FrameDecoder(int maxFrameSize) {
        this(maxFrameSize, true);
    }

    /**
     * @param maxFrameSize   largest frame body accepted, 1..{@value TcpFraming#MAX_FRAME_SIZE_LIMIT}
     * @param expectPreamble whether the stream starts with the preamble
     */
    public FrameDecoder(int maxFrameSize, boolean expectPreamble) {
        maxFrameSize(maxFrameSize);
        this.expectPreamble = expectPreamble;
        this.preambleSeen = expectPreamble ? 0 : TcpFraming.PREAMBLE_LENGTH;
    }

    /** Changes the max frame size for frames whose header is not yet complete. */
    public void maxFrameSize(int max) {
        if (max < 1 || max > TcpFraming.MAX_FRAME_SIZE_LIMIT) {
            throw new IllegalArgumentException("maxFrameSize must be 1.." + TcpFraming.MAX_FRAME_SIZE_LIMIT + ", was " + max);
        }
        this.maxFrameSize = max;
    }

    public int maxFrameSize() {
        return maxFrameSize;
    }

    /** Whether the whole preamble has been received and checked. */
    public boolean preambleDone() {
        return preambleSeen == TcpFraming.PREAMBLE_LENGTH;
    }

    /** Bytes held for an incomplete frame (header and body). */
    public int bufferedBytes() {
        return headerFill + bodyFill;
    }

    /** Whether the decoder has failed. */
    public boolean failed() {
        return failure != null;
    }

    /** Decodes a chunk; returns the frames it completed (possibly none). */
    public List<byte[]> feed(byte[] chunk) throws FramingException {
        return feed(chunk, 0, chunk.length);
    }

    /** Decodes {@code chunk[off, off+len)}; returns the frames it completed (possibly none). */
    public List<byte[]> feed(byte[] chunk, int off, int len) throws FramingException {
        List<byte[]> out = new ArrayList<>(2);
        feed(chunk, off, len, out::add);
        return out;
    }

    /**
     * Decodes {@code chunk[off, off+len)}, passing each completed frame to {@code sink} in order. Frames completed
     * before an error in the same chunk are delivered before the exception is thrown.
     *
     * @throws FramingException on a bad preamble, a zero length or a length above the max frame size; also whatever
     *                          the sink throws (the decoder then stays failed with it)
     */
    public void feed(byte[] chunk, int off, int len, FrameSink sink) throws FramingException {
        Objects.checkFromIndexSize(off, len, chunk.length);
        feed(ByteBuffer.wrap(chunk, off, len), sink);
    }

    /**
     * Decodes the bytes remaining in {@code src} (a heap or direct buffer, e.g. one read buffer shared by many links),
     * consuming them all, passing each completed frame to {@code sink} in order. Only a partial frame is kept between
     * calls: at most the four header bytes, and once its length is known and checked, the frame's own array.
     *
     * @throws FramingException as {@link #feed(byte[], int, int, FrameSink)}
     */
    public void feed(ByteBuffer src, FrameSink sink) throws FramingException {
        if (failure != null) {
            throw failure;
        }
        try {
            while (src.hasRemaining()) {
                if (preambleSeen < TcpFraming.PREAMBLE_LENGTH) {
                    byte b = src.get();
                    if (b != TcpFraming.preambleByte(preambleSeen)) {
                        throw new FramingException(FramingException.Reason.BAD_PREAMBLE, preambleSeen < 2
                                ? "bad preamble: not a Hopseal TCP peer (magic mismatch)"
                                : preambleSeen == 2 ? "bad preamble: unsupported protocol version " + (b & 0xff)
                                : "bad preamble: reserved byte is not 0");
                    }
                    preambleSeen++;
                } else if (body == null) {
                    int n = Math.min(TcpFraming.HEADER_LENGTH - headerFill, src.remaining());
                    src.get(header, headerFill, n);
                    headerFill += n;
                    if (headerFill == TcpFraming.HEADER_LENGTH) {
                        startFrame(src, sink);
                    }
                } else {
                    int n = Math.min(body.length - bodyFill, src.remaining());
                    src.get(body, bodyFill, n);
                    bodyFill += n;
                    if (bodyFill == body.length) {
                        byte[] frame = body;
                        body = null;
                        bodyFill = 0;
                        sink.onFrame(frame);
                    }
                }
            }
        } catch (FramingException e) {
            failure = e;
            body = null;
            bodyFill = 0;
            headerFill = 0;
            throw e;
        }
    }

    /** A complete header: checks the length before allocating, then takes the body whole if it is all here. */
    private void startFrame(ByteBuffer src, FrameSink sink) throws FramingException {
        long length = (header[0] & 0xffL) << 24 | (header[1] & 0xff) << 16 | (header[2] & 0xff) << 8 | (header[3] & 0xff);
        if (length == 0) {
            throw new FramingException(FramingException.Reason.MALFORMED, "zero-length frame");
        }
        if (length > maxFrameSize) {
            throw new FramingException(FramingException.Reason.OVERSIZED,
                    "frame of " + length + " bytes exceeds the max frame size " + maxFrameSize);
        }
        headerFill = 0;
        int l = (int) length;
        if (src.remaining() >= l) { // whole body in this chunk: no intermediate state
            byte[] frame = new byte[l];
            src.get(frame);
            sink.onFrame(frame);
        } else {
            body = new byte[l];
            bodyFill = 0;
        }
    }

    @Override
    public String toString() {
        return "FrameDecoder[max=" + maxFrameSize + ", preamble=" + (expectPreamble ? preambleSeen + "/4" : "none")
                + ", buffered=" + bufferedBytes() + (failure != null ? ", failed: " + failure.getMessage() : "") + "]";
    }
}
