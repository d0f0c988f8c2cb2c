/**
 * Declarative Services wiring of the TCP transport: the transport component ({@code io.hopseal.transport.tcp}) and
 * the listener factory component ({@code io.hopseal.transport.tcp.listener}). Private to the bundle.
 */
package io.hopseal.transport.tcp.component;
