/**
 * Kura registrations of the TCP transport's configurations (see {@code io.hopseal.impl.kura} in channel-impl for the
 * reasoning). Private to the bundle; loaded only on Kura.
 */
package io.hopseal.transport.tcp.kura;
