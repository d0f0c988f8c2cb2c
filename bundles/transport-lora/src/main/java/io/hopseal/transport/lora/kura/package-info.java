/**
 * Kura registrations of this transport's configurations. Private to the bundle; loaded only on Kura.
 */
package io.hopseal.transport.lora.kura;
