/**
 * Digi XBee API frames, sans-I/O: {@link io.hopseal.transport.zigbee.xbee.XBeeCodec} encodes and parses the frames
 * the ZigBee transport uses (0x08/0x88 AT command and response, 0x10 Transmit Request, 0x8B Transmit Status, 0x90
 * Receive Packet, 0x8A Modem Status) in API mode 1 and API mode 2 (escaped), and
 * {@link io.hopseal.transport.zigbee.xbee.XBeeDecoder} turns a byte stream into frames, dropping and counting damaged
 * ones and resynchronising on the next start delimiter. No threads, no ports: bytes in, frames out. Private to the
 * bundle.
 */
package io.hopseal.transport.zigbee.xbee;
