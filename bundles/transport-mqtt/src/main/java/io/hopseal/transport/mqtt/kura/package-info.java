/** Kura registrations and helpers of the MQTT transport. Private to the bundle; loaded only on Kura. */
package io.hopseal.transport.mqtt.kura;
