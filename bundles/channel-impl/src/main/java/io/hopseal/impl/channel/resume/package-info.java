/**
 * Channel resumption: a channel end's session (keys, counters, peer, routes) sealed at rest under a vault-held key,
 * with OSCORE-style counter reservations so that no (key, nonce) pair is ever used twice across crashes and restores
 * (docs/protocol.md §5.2). {@link io.hopseal.impl.channel.resume.SessionSnapshot} is the sans-I/O record and codec,
 * {@link io.hopseal.impl.channel.resume.SessionStore} the one place that touches files.
 */
package io.hopseal.impl.channel.resume;
