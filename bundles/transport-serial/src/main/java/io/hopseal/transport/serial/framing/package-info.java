/**
 * Sans-I/O serial line framing: COBS with a 0x00 delimiter around each frame, CRC-32C (Castagnoli) over the
 * payload, streaming decoder with resynchronisation and drop counters. Byte layout: {@code docs/serial-framing.md}.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.0.0")
package io.hopseal.transport.serial.framing;
