/** DS components of the UDP transport: the transport service and one factory configuration per listening port. */
package io.hopseal.transport.udp.component;
