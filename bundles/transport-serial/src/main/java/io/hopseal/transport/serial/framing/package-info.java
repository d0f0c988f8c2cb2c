/**
 * Sans-I/O serial line framing: COBS with a 0x00 delimiter around each frame, CRC-32C (Castagnoli) over the
 * payload, streaming decoder with resynchronisation and drop counters. Byte layout: {@code docs/serial-framing.md}.
 * Private to the bundle.
 */
package io.hopseal.transport.serial.framing;
