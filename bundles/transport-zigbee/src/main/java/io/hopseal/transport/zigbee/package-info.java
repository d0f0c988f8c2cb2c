/**
 * The ZigBee transport ({@link io.hopseal.transport.zigbee.ZigbeeTransport}): Digi XBee modules in API mode on serial
 * ports, ZigBee 64-bit addresses as Hopseal addresses ({@code /zigbee/0013A20040A1B2C3}), fragmentation to the radio's
 * payload ({@link io.hopseal.link.fragment.Fragments}, {@link io.hopseal.link.fragment.Reassembler}) and
 * delivery with Transmit Status handling. Byte layouts: {@code docs/zigbee.md}. Private to the bundle.
 */
package io.hopseal.transport.zigbee;
