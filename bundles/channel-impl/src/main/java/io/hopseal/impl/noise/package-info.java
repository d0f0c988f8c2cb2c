/**
 * Noise Protocol Framework (revision 34), sans-I/O: handshake patterns from the pattern language, DH 25519,
 * AESGCM and ChaChaPoly, SHA256 and BLAKE2s.
 */
package io.hopseal.impl.noise;
