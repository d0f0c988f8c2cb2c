/**
 * The serial transport ({@link io.hopseal.transport.serial.SerialTransport}) and the reusable port layer under it:
 * {@link io.hopseal.transport.serial.SerialPortSettings}, the {@link io.hopseal.transport.serial.SerialPortProvider}
 * SPI (jSerialComm standalone, Kura's comm API on Kura) and {@link io.hopseal.transport.serial.SerialLink}, which owns
 * one port with its reader and writer threads and reopens it with backoff. Other line protocols (e.g. XBee API frames)
 * reuse {@code SerialLink} with their own framing.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.1.0")
package io.hopseal.transport.serial;
