/**
 * The router: local delivery to workers, hand-off to the transports it binds (transport SPI 2.0, whiteboard).
 */
package io.hopseal.impl.routing;
