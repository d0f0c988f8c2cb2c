/**
 * The serial transport ({@link io.hopseal.transport.serial.SerialTransport}): COBS + CRC-32C framed routing envelopes
 * over serial ports, on the serial port layer {@code io.hopseal.link.serial} (embedded privately). Private to the
 * bundle: other bundles reach it only as a {@link io.hopseal.api.transport.Transport} service.
 */
package io.hopseal.transport.serial;
