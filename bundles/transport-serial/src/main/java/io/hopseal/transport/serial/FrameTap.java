package io.hopseal.transport.serial;

/**
 * Sees every routing envelope a {@link SerialTransport} sends or receives (diagnostics, tests). Called on the sending
 * thread (outbound, before queueing) or the port's reader thread (inbound, after the CRC check); must be quick and
 * must not change the array. Exceptions are caught and ignored.
 */
@FunctionalInterface
public interface FrameTap {
    /**
     * @param linkAddress the port's link address
     * @param inbound     true for a frame read from the line, false for one about to be written
     * @param envelope    the routing envelope (the frame payload, CRC and COBS removed)
     */
    void frame(String linkAddress, boolean inbound, byte[] envelope);
}
