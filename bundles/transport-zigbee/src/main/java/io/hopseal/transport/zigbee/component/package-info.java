/**
 * Declarative Services wiring of the ZigBee transport: the transport component ({@code io.hopseal.transport.zigbee})
 * and the module factory component ({@code io.hopseal.transport.zigbee.module}, one configuration per XBee), and on
 * Kura the comm API provider ({@code io.hopseal.transport.zigbee.kura}). Private to the bundle.
 */
package io.hopseal.transport.zigbee.component;
