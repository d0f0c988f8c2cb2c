/** Kura registrations of the UDP transport's configurations. Private to the bundle; loaded only on Kura. */
package io.hopseal.transport.udp.kura;
