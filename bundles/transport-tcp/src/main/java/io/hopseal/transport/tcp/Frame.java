package io.hopseal.transport.tcp;

import io.hopseal.api.transport.FrameRelease;

/**
 * One frame ready to be written: {@code array[offset, offset+length)} holds the frame header and the envelope. When
 * {@code inPlace}, the array is a message's payload array (framed in its headroom, see
 * {@link TcpFraming#frame(io.hopseal.api.routing.Message, int, FrameRelease)}), else a new array of exactly the frame's
 * size. Either way nobody changes those bytes once the frame exists. {@code release} (null: none) gives a lent payload
 * array back to its pool: called once, when the frame's last byte went to the socket or the frame was dropped.
 */
record Frame(byte[] array, int offset, int length, boolean inPlace, FrameRelease release) {

    /** The transport is done with the array (written, or dropped). */
    void released() {
        if (release != null) {
            release.release();
        }
    }
}
