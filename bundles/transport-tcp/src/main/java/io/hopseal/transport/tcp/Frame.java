package io.hopseal.transport.tcp;

/**
 * One frame ready to be written: {@code array[offset, offset+length)} holds the frame header and the envelope. When
 * {@code inPlace}, the array is a message's payload array (framed in its headroom, see
 * {@link TcpFraming#frame(io.hopseal.api.routing.Message, int)}), else a new array of exactly the frame's size. Either
 * way nobody changes those bytes once the frame exists.
 */
record Frame(byte[] array, int offset, int length, boolean inPlace) {
}
