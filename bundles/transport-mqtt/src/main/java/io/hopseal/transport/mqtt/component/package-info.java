/** DS components of the MQTT transport: the transport service and one factory configuration per broker link. */
package io.hopseal.transport.mqtt.component;
