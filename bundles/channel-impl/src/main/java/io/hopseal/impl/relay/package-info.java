/**
 * Named relays: a node others can reach forwards, under a name, to a node that cannot be reached (behind NAT, on a
 * cellular gateway) along the secure channel that node opened to it.
 */
package io.hopseal.impl.relay;
