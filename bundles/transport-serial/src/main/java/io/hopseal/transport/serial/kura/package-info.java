/**
 * Kura registrations of the serial transport's configurations (see {@code io.hopseal.impl.kura} in channel-impl for
 * the reasoning). Private to the bundle; loaded only on Kura.
 */
package io.hopseal.transport.serial.kura;
