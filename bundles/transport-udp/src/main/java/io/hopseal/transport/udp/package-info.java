/** UDP links: one envelope per datagram, the shared fragmenter above the MTU, NAT keep-alive, IPv4 and IPv6. */
package io.hopseal.transport.udp;
