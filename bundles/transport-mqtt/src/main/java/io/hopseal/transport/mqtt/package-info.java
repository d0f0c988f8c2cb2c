/** MQTT links: channel frames through MQTT brokers (Eclipse Paho MQTT 5), shared subscriptions for scale-out. */
package io.hopseal.transport.mqtt;
