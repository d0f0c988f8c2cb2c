package io.hopseal.transport.zigbee.xbee;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Objects;

/**
 * The XBee API frames the ZigBee transport uses (XBee 3 Zigbee / S2C Zigbee firmware). Immutable values; byte arrays
 * are copied in and out. Layouts (frame data, i.e. what follows the length field; multi-byte fields big-endian):
 *
 * <pre>
 * 0x08 AT Command           0x08 | frame id | command (2 ASCII) | parameter (0..n)
 * 0x88 AT Command Response  0x88 | frame id | command (2 ASCII) | status | data (0..n)
 * 0x10 Transmit Request     0x10 | frame id | dest64 (8) | dest16 (2) | broadcast radius | options | RF data (0..n)
 * 0x8B Transmit Status      0x8B | frame id | dest16 (2) | retry count | delivery status | discovery status
 * 0x90 Receive Packet       0x90 | src64 (8) | src16 (2) | receive options | RF data (0..n)
 * 0x8A Modem Status         0x8A | status
 * </pre>
 */
public sealed interface XBeeFrame {
    int AT_COMMAND = 0x08;
    int AT_COMMAND_RESPONSE = 0x88;
    int TRANSMIT_REQUEST = 0x10;
    int TRANSMIT_STATUS = 0x8B;
    int RECEIVE_PACKET = 0x90;
    int MODEM_STATUS = 0x8A;

    /** 16-bit network address "unknown": the module discovers it. */
    int NWK_UNKNOWN = 0xFFFE;
    /** 64-bit address of the coordinator. */
    long COORDINATOR = 0L;
    /** 64-bit broadcast address. */
    long BROADCAST = 0xFFFFL;

    /** The API identifier (frame type). */
    int type();

    /** Frame data length: the value of the length field. */
    int frameDataLength();

    /** 0x08: asks the local module for a parameter ({@code parameter} empty) or sets it. */
    record AtCommand(int frameId, String command, byte[] parameter) implements XBeeFrame {
        public AtCommand {
            checkU8("frameId", frameId);
            checkCommand(command);
            parameter = parameter == null ? new byte[0] : parameter.clone();
        }

        /** A query (no parameter). */
        public AtCommand(int frameId, String command) {
            this(frameId, command, new byte[0]);
        }

        @Override
        public int type() {
            return AT_COMMAND;
        }

        @Override
        public byte[] parameter() {
            return parameter.clone();
        }

        @Override
        public int frameDataLength() {
            return 4 + parameter.length;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof AtCommand a && a.frameId == frameId && a.command.equals(command)
                    && Arrays.equals(a.parameter, parameter);
        }

        @Override
        public int hashCode() {
            return Objects.hash(frameId, command, Arrays.hashCode(parameter));
        }

        @Override
        public String toString() {
            return "AtCommand[id=" + frameId + " " + command + (parameter.length > 0 ? " " + hex(parameter) : "") + "]";
        }
    }

    /**
     * 0x88: the module's answer to an {@link AtCommand}. Status 0 OK, 1 error, 2 invalid command, 3 invalid parameter,
     * 4 transmit failure.
     */
    record AtCommandResponse(int frameId, String command, int status, byte[] data) implements XBeeFrame {
        public static final int OK = 0;
        public static final int ERROR = 1;
        public static final int INVALID_COMMAND = 2;
        public static final int INVALID_PARAMETER = 3;

        public AtCommandResponse {
            checkU8("frameId", frameId);
            checkCommand(command);
            checkU8("status", status);
            data = data == null ? new byte[0] : data.clone();
        }

        @Override
        public int type() {
            return AT_COMMAND_RESPONSE;
        }

        @Override
        public byte[] data() {
            return data.clone();
        }

        @Override
        public int frameDataLength() {
            return 5 + data.length;
        }

        public boolean ok() {
            return status == OK;
        }

        /** The data as an unsigned big-endian number (at most 8 bytes; 0 for no data). */
        public long value() {
            long v = 0;
            for (int i = Math.max(0, data.length - 8); i < data.length; i++) {
                v = v << 8 | (data[i] & 0xff);
            }
            return v;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof AtCommandResponse a && a.frameId == frameId && a.command.equals(command)
                    && a.status == status && Arrays.equals(a.data, data);
        }

        @Override
        public int hashCode() {
            return Objects.hash(frameId, command, status, Arrays.hashCode(data));
        }

        @Override
        public String toString() {
            return "AtCommandResponse[id=" + frameId + " " + command + " status=" + status
                    + (data.length > 0 ? " " + hex(data) : "") + "]";
        }
    }

    /**
     * 0x10: sends RF data to {@code dest64} (with {@code dest16} = the cached network address, or
     * {@link #NWK_UNKNOWN}). Options: 0x01 disable retries, 0x20 APS encryption, 0x40 extended timeout. Frame id 0
     * asks for no Transmit Status.
     */
    record TransmitRequest(int frameId, long dest64, int dest16, int radius, int options, byte[] data)
            implements XBeeFrame {
        /** Bytes of frame data before the RF data. */
        public static final int OVERHEAD = 14;

        public TransmitRequest {
            checkU8("frameId", frameId);
            checkU16("dest16", dest16);
            checkU8("radius", radius);
            checkU8("options", options);
            data = data == null ? new byte[0] : data.clone();
        }

        @Override
        public int type() {
            return TRANSMIT_REQUEST;
        }

        @Override
        public byte[] data() {
            return data.clone();
        }

        /** The RF data length without copying. */
        public int dataLength() {
            return data.length;
        }

        @Override
        public int frameDataLength() {
            return OVERHEAD + data.length;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof TransmitRequest t && t.frameId == frameId && t.dest64 == dest64 && t.dest16 == dest16
                    && t.radius == radius && t.options == options && Arrays.equals(t.data, data);
        }

        @Override
        public int hashCode() {
            return Objects.hash(frameId, dest64, dest16, radius, options, Arrays.hashCode(data));
        }

        @Override
        public String toString() {
            return "TransmitRequest[id=" + frameId + " to " + hex64(dest64) + "/" + hex16(dest16) + " radius=" + radius
                    + " options=" + options + ", " + data.length + " bytes]";
        }
    }

    /**
     * 0x8B: the outcome of a {@link TransmitRequest} with the same frame id. {@code dest16} is the network address the
     * packet went to (0xFFFE when not delivered); {@code deliveryStatus} see {@link DeliveryStatus}.
     */
    record TransmitStatus(int frameId, int dest16, int retryCount, int deliveryStatus, int discoveryStatus)
            implements XBeeFrame {
        public TransmitStatus {
            checkU8("frameId", frameId);
            checkU16("dest16", dest16);
            checkU8("retryCount", retryCount);
            checkU8("deliveryStatus", deliveryStatus);
            checkU8("discoveryStatus", discoveryStatus);
        }

        @Override
        public int type() {
            return TRANSMIT_STATUS;
        }

        @Override
        public int frameDataLength() {
            return 7;
        }

        public boolean delivered() {
            return deliveryStatus == DeliveryStatus.SUCCESS;
        }
    }

    /**
     * 0x90: RF data from {@code src64} / {@code src16}. Options: 0x01 acknowledged, 0x02 broadcast, 0x20
     * APS-encrypted, 0x40 from an end device.
     */
    record ReceivePacket(long src64, int src16, int options, byte[] data) implements XBeeFrame {
        /** Bytes of frame data before the RF data. */
        public static final int OVERHEAD = 12;
        public static final int OPTION_BROADCAST = 0x02;

        public ReceivePacket {
            checkU16("src16", src16);
            checkU8("options", options);
            data = data == null ? new byte[0] : data.clone();
        }

        @Override
        public int type() {
            return RECEIVE_PACKET;
        }

        @Override
        public byte[] data() {
            return data.clone();
        }

        @Override
        public int frameDataLength() {
            return OVERHEAD + data.length;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof ReceivePacket r && r.src64 == src64 && r.src16 == src16 && r.options == options
                    && Arrays.equals(r.data, data);
        }

        @Override
        public int hashCode() {
            return Objects.hash(src64, src16, options, Arrays.hashCode(data));
        }

        @Override
        public String toString() {
            return "ReceivePacket[from " + hex64(src64) + "/" + hex16(src16) + " options=" + options + ", "
                    + data.length + " bytes]";
        }
    }

    /**
     * 0x8A: the module reports an event: 0x00 hardware reset, 0x01 watchdog reset, 0x02 joined network, 0x03
     * disassociated, 0x06 coordinator started, 0x07 network security key updated, 0x0D supply voltage too high, 0x11
     * configuration changed while joining, 0x80 and above stack errors.
     */
    record ModemStatus(int status) implements XBeeFrame {
        public static final int HARDWARE_RESET = 0x00;
        public static final int WATCHDOG_RESET = 0x01;
        public static final int JOINED = 0x02;
        public static final int DISASSOCIATED = 0x03;
        public static final int COORDINATOR_STARTED = 0x06;

        public ModemStatus {
            checkU8("status", status);
        }

        @Override
        public int type() {
            return MODEM_STATUS;
        }

        @Override
        public int frameDataLength() {
            return 2;
        }

        /** A name for logs. */
        public String describe() {
            return switch (status) {
                case 0x00 -> "hardware reset";
                case 0x01 -> "watchdog timer reset";
                case 0x02 -> "joined network";
                case 0x03 -> "disassociated";
                case 0x06 -> "coordinator started";
                case 0x07 -> "network security key updated";
                case 0x0D -> "voltage supply limit exceeded";
                case 0x11 -> "modem configuration changed while join in progress";
                default -> status >= 0x80 ? String.format("stack error 0x%02X", status) : String.format("0x%02X", status);
            };
        }
    }

    private static void checkU8(String what, int v) {
        if (v < 0 || v > 0xFF) {
            throw new IllegalArgumentException(what + " must be 0..255, was " + v);
        }
    }

    private static void checkU16(String what, int v) {
        if (v < 0 || v > 0xFFFF) {
            throw new IllegalArgumentException(what + " must be 0..65535, was " + v);
        }
    }

    private static void checkCommand(String command) {
        if (command == null || command.length() != 2 || command.getBytes(StandardCharsets.US_ASCII).length != 2
                || !command.chars().allMatch(c -> c > 0x20 && c < 0x7F)) {
            throw new IllegalArgumentException("AT command must be two printable ASCII characters, was '" + command + "'");
        }
    }

    /** 16 upper-case hex digits. */
    static String hex64(long v) {
        return String.format("%016X", v);
    }

    /** 4 upper-case hex digits. */
    static String hex16(int v) {
        return String.format("%04X", v);
    }

    private static String hex(byte[] b) {
        return HexFormat.of().withUpperCase().formatHex(b);
    }
}
