/**
 * The secure channel service: sans-I/O handshake and transport cores with thin router adapters.
 */
package io.hopseal.impl.channel;
