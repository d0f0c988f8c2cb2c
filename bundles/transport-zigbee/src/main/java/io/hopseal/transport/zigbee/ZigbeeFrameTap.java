package io.hopseal.transport.zigbee;

/**
 * Sees every routing envelope a {@link ZigbeeTransport} sends or receives (diagnostics, tests). Called on the sending
 * thread (outbound, before it is fragmented and queued, even if it is then refused) or the module's reader thread
 * (inbound, after reassembly); must be quick and must not change the array. Exceptions are caught and ignored.
 */
@FunctionalInterface
public interface ZigbeeFrameTap {
    /**
     * @param module   the module's name
     * @param peer     the 64-bit address of the device the envelope goes to or came from
     * @param inbound  true for an envelope received, false for one about to be sent
     * @param envelope the routing envelope (fragment headers removed)
     */
    void frame(String module, long peer, boolean inbound, byte[] envelope);
}
