package io.hopseal.transport.zigbee;

import io.hopseal.api.routing.Address;
import io.hopseal.transport.zigbee.xbee.DeliveryStatus;

/**
 * A message the ZigBee transport accepted ({@code FORWARDED}) but could not deliver, told to the
 * {@link ZigbeeTransport#setDeliveryListener delivery listener}: {@link io.hopseal.api.transport.Transport#send} returns before the radio
 * answers, so this is how a sender learns the outcome (besides the counters and the log).
 *
 * @param destination        {@code /zigbee/<64-bit address>}
 * @param status             the last delivery status: an XBee code (see {@link DeliveryStatus}), or
 *                           {@link DeliveryStatus#TIMEOUT} / {@link DeliveryStatus#LINE_REFUSED}
 * @param permanent          true if the status is permanent (dropped at once), false if retries ran out or the port
 *                           went down
 * @param attempts           transmissions of the failing fragment
 * @param fragmentsDelivered fragments of the message the mesh had acknowledged before it failed
 * @param fragments          fragments of the message
 * @param module             the module's name
 */
public record DeliveryFailure(Address destination, int status, boolean permanent, int attempts, int fragmentsDelivered,
        int fragments, String module) {

    /** The status as a name, e.g. {@code payload_too_large}. */
    public String statusName() {
        return DeliveryStatus.name(status);
    }

    @Override
    public String toString() {
        return "delivery to " + destination + " failed (" + statusName() + ", " + (permanent ? "permanent" : "transient")
                + ", " + attempts + " attempt(s), " + fragmentsDelivered + "/" + fragments + " fragments delivered, module "
                + module + ")";
    }
}
