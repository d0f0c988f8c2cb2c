package io.hopseal.transport.zigbee.xbee;

/**
 * Delivery status codes of the 0x8B Transmit Status frame (XBee Zigbee firmware) and how the transport treats them.
 *
 * <p><b>Transient</b> (retried with backoff): the mesh may deliver a little later (no MAC/network acknowledgement, busy
 * channel, route or address not found yet, module not joined yet, a sleeping end device that did not poll in time,
 * module buffers full). <b>Permanent</b> (dropped and counted at once): retrying the same frame cannot help (payload
 * too large, invalid endpoint or binding, self-addressed, APS encryption misconfigured, key not authorised) — and any
 * code this class does not know.
 */
public final class DeliveryStatus {
    public static final int SUCCESS = 0x00;
    public static final int MAC_ACK_FAILURE = 0x01;
    public static final int CCA_FAILURE = 0x02;
    public static final int INDIRECT_PURGED = 0x03;
    public static final int INVALID_ENDPOINT = 0x15;
    public static final int NETWORK_ACK_FAILURE = 0x21;
    public static final int NOT_JOINED = 0x22;
    public static final int SELF_ADDRESSED = 0x23;
    public static final int ADDRESS_NOT_FOUND = 0x24;
    public static final int ROUTE_NOT_FOUND = 0x25;
    public static final int BROADCAST_RELAY_NOT_HEARD = 0x26;
    public static final int INVALID_BINDING_INDEX = 0x2B;
    public static final int RESOURCE_ERROR_BUFFERS = 0x2C;
    public static final int APS_BROADCAST = 0x2D;
    public static final int APS_UNICAST_EE0 = 0x2E;
    public static final int INTERNAL_RESOURCE_ERROR = 0x31;
    public static final int RESOURCE_ERROR = 0x32;
    public static final int PAYLOAD_TOO_LARGE = 0x74;
    public static final int INDIRECT_UNREQUESTED = 0x75;
    public static final int KEY_NOT_AUTHORIZED = 0xBB;

    /** Not an XBee code: no Transmit Status arrived in time (treated as transient). */
    public static final int TIMEOUT = -1;
    /** Not an XBee code: the serial line refused the frame (queue full, port down); treated as transient. */
    public static final int LINE_REFUSED = -2;

    private DeliveryStatus() {
    }

    /** True if retrying may succeed. */
    public static boolean isTransient(int status) {
        return switch (status) {
            case MAC_ACK_FAILURE, CCA_FAILURE, INDIRECT_PURGED, NETWORK_ACK_FAILURE, NOT_JOINED, ADDRESS_NOT_FOUND,
                ROUTE_NOT_FOUND, BROADCAST_RELAY_NOT_HEARD, RESOURCE_ERROR_BUFFERS, INTERNAL_RESOURCE_ERROR,
                RESOURCE_ERROR, INDIRECT_UNREQUESTED, TIMEOUT, LINE_REFUSED -> true;
            default -> false;
        };
    }

    /**
     * True if the failure suggests the cached 16-bit network address is stale (the device rejoined elsewhere or the
     * route is gone): the next attempt goes out with 0xFFFE so the module rediscovers it.
     */
    public static boolean invalidatesNetworkAddress(int status) {
        return switch (status) {
            case MAC_ACK_FAILURE, NETWORK_ACK_FAILURE, ADDRESS_NOT_FOUND, ROUTE_NOT_FOUND, INDIRECT_PURGED,
                INDIRECT_UNREQUESTED, TIMEOUT -> true;
            default -> false;
        };
    }

    /** Counter-friendly name, e.g. {@code network_ack_failure}; {@code 0xNN} for codes this class does not name. */
    public static String name(int status) {
        return switch (status) {
            case SUCCESS -> "success";
            case MAC_ACK_FAILURE -> "mac_ack_failure";
            case CCA_FAILURE -> "cca_failure";
            case INDIRECT_PURGED -> "indirect_purged";
            case INVALID_ENDPOINT -> "invalid_endpoint";
            case NETWORK_ACK_FAILURE -> "network_ack_failure";
            case NOT_JOINED -> "not_joined";
            case SELF_ADDRESSED -> "self_addressed";
            case ADDRESS_NOT_FOUND -> "address_not_found";
            case ROUTE_NOT_FOUND -> "route_not_found";
            case BROADCAST_RELAY_NOT_HEARD -> "broadcast_relay_not_heard";
            case INVALID_BINDING_INDEX -> "invalid_binding_index";
            case RESOURCE_ERROR_BUFFERS -> "resource_error_buffers";
            case APS_BROADCAST -> "aps_broadcast";
            case APS_UNICAST_EE0 -> "aps_unicast_without_encryption";
            case INTERNAL_RESOURCE_ERROR -> "internal_resource_error";
            case RESOURCE_ERROR -> "resource_error";
            case PAYLOAD_TOO_LARGE -> "payload_too_large";
            case INDIRECT_UNREQUESTED -> "indirect_unrequested";
            case KEY_NOT_AUTHORIZED -> "key_not_authorized";
            case TIMEOUT -> "status_timeout";
            case LINE_REFUSED -> "line_refused";
            default -> String.format("0x%02x", status & 0xFF);
        };
    }
}
