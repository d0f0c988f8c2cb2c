/**
 * The serial port layer the serial and ZigBee transports share: {@link io.hopseal.link.serial.SerialPortSettings},
 * the {@link io.hopseal.link.serial.SerialPortProvider} SPI (jSerialComm standalone; Kura's comm API on Kura, in
 * {@code io.hopseal.link.serial.kura}), the choice among providers ({@link io.hopseal.link.serial.SerialPortAccess})
 * and {@link io.hopseal.link.serial.SerialLink}, which keeps one port open with its reader and writer threads and
 * reopens it with backoff.
 *
 * <p>A plain library, exported by no bundle: each transport embeds a private copy (bnd {@code -conditionalpackage:
 * io.hopseal.link.serial.*}), so neither transport imports the other and updating one never refreshes the other.
 */
package io.hopseal.link.serial;
