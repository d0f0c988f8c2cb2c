package io.hopseal.impl.channel.resume;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;

/**
 * Everything a channel end needs to go on after its process restarted, without a handshake: the keys of both
 * directions with their epochs and counter positions, the peer, the routes and the limits of the session. A plain
 * record with a strict codec (sans-I/O); it is only ever stored sealed under a vault key ({@link SessionStore}).
 *
 * <pre>
 * version      u8 = 1
 * flags        u8        bit 0: this end is the initiator
 * session id   16        random, the same for the whole session
 * generation   u64       +1 at every write; must match the generation marker (rollback check)
 * cipher       u8        0 AESGCM, 1 ChaChaPoly
 * created      u64       seconds since 1970 (the handshake)
 * expires      u64       seconds since 1970: never restored after this
 * max messages u64       never restored once a direction's position passed this
 * send         shift u8 ‖ epoch u64 ‖ key 32 ‖ position u64 (first counter a restored end may use)
 * receive      shift u8 ‖ epoch u64 ‖ key 32 ‖ position i64 (highest counter a restored end refuses; -1 none)
 * peer static  32
 * peer history u16 length ‖ bytes        (the peer identity's verified change history)
 * local addr   u8 length ‖ bytes         (the address the peer sends to: the channel id)
 * peer route   u16 length ‖ route bytes
 * bound route  u16 length ‖ route bytes  (0 length: none)
 * protocol     u8 length ‖ ASCII         (e.g. Noise_KK_25519_AESGCM_SHA256)
 * </pre>
 * The key fields hold the key of the epoch named: the key of an earlier epoch (and of the Noise {@code Split()}) is
 * never written, so a stolen file cannot read traffic from before that epoch.
 */
public record SessionSnapshot(byte[] sessionId, long generation, boolean initiator, int cipher, long createdAt,
                              long expiresAt, long maxMessages, Direction send, Direction receive, byte[] peerStatic,
                              byte[] peerHistory, byte[] localAddress, byte[] peerRoute, byte[] boundRoute,
                              String protocolName) {

    public static final int VERSION = 1;
    public static final int ID_LENGTH = 16;
    public static final int KEY_LENGTH = 32;
    /** Far more than any real snapshot; a longer blob is refused before it is parsed. */
    public static final int MAX_LENGTH = 8192;

    /** One direction: rekey interval as a shift, the epoch whose key this is, the key, the counter position. */
    public record Direction(int shift, long epoch, byte[] key, long position) {
        public Direction {
            Objects.requireNonNull(key, "key");
            if (key.length != KEY_LENGTH || shift < 6 || shift > 20 || epoch < 0) {
                throw new IllegalArgumentException("malformed direction");
            }
        }

        /** The same direction at another position (the key is shared, not copied). */
        public Direction at(long newPosition) {
            return new Direction(shift, epoch, key, newPosition);
        }

        /** Overwrites the key bytes. */
        public void wipe() {
            Arrays.fill(key, (byte) 0);
        }

        @Override
        public String toString() {
            return "Direction[epoch " + epoch + ", position " + position + "]"; // never the key
        }
    }

    public SessionSnapshot {
        Objects.requireNonNull(sessionId, "sessionId");
        Objects.requireNonNull(send, "send");
        Objects.requireNonNull(receive, "receive");
        Objects.requireNonNull(peerStatic, "peerStatic");
        Objects.requireNonNull(peerHistory, "peerHistory");
        Objects.requireNonNull(localAddress, "localAddress");
        Objects.requireNonNull(peerRoute, "peerRoute");
        Objects.requireNonNull(boundRoute, "boundRoute");
        Objects.requireNonNull(protocolName, "protocolName");
        if (sessionId.length != ID_LENGTH || peerStatic.length != KEY_LENGTH || cipher < 0 || cipher > 1
                || peerHistory.length > 0xffff || localAddress.length < 1 || localAddress.length > 255
                || peerRoute.length > 0xffff || boundRoute.length > 0xffff || protocolName.length() > 255
                || send.position < 0 || receive.position < -1) {
            throw new IllegalArgumentException("malformed session snapshot");
        }
    }

    /** The same session at the next generation with these directions (the rest shared). */
    public SessionSnapshot next(Direction newSend, Direction newReceive) {
        return new SessionSnapshot(sessionId, generation + 1, initiator, cipher, createdAt, expiresAt, maxMessages,
                newSend, newReceive, peerStatic, peerHistory, localAddress, peerRoute, boundRoute, protocolName);
    }

    /** The same session with another route to the peer (roaming). */
    public SessionSnapshot withPeerRoute(byte[] route) {
        return new SessionSnapshot(sessionId, generation, initiator, cipher, createdAt, expiresAt, maxMessages, send,
                receive, peerStatic, peerHistory, localAddress, route, boundRoute, protocolName);
    }

    /** Whether this session may no longer be resumed at {@code nowSeconds}. */
    public boolean expired(long nowSeconds) {
        return nowSeconds >= expiresAt || nowSeconds < createdAt - 300 // a clock far before the handshake: distrust
                || send.position >= maxMessages || receive.position >= maxMessages;
    }

    public byte[] encode() {
        byte[] proto = protocolName.getBytes(StandardCharsets.US_ASCII);
        int n = 2 + ID_LENGTH + 8 + 1 + 8 + 8 + 8 + 2 * (1 + 8 + KEY_LENGTH + 8) + KEY_LENGTH + 2 + peerHistory.length
                + 1 + localAddress.length + 2 + peerRoute.length + 2 + boundRoute.length + 1 + proto.length;
        ByteBuffer b = ByteBuffer.allocate(n);
        b.put((byte) VERSION).put((byte) (initiator ? 1 : 0)).put(sessionId).putLong(generation).put((byte) cipher)
                .putLong(createdAt).putLong(expiresAt).putLong(maxMessages);
        put(b, send);
        put(b, receive);
        b.put(peerStatic);
        b.putShort((short) peerHistory.length).put(peerHistory);
        b.put((byte) localAddress.length).put(localAddress);
        b.putShort((short) peerRoute.length).put(peerRoute);
        b.putShort((short) boundRoute.length).put(boundRoute);
        b.put((byte) proto.length).put(proto);
        return b.array();
    }

    private static void put(ByteBuffer b, Direction d) {
        b.put((byte) d.shift).putLong(d.epoch).put(d.key).putLong(d.position);
    }

    /**
     * Parses a snapshot; every length is checked before anything is allocated for it.
     *
     * @throws IllegalArgumentException for anything malformed, truncated, of another version or with trailing bytes
     */
    public static SessionSnapshot decode(byte[] bytes) {
        if (bytes == null || bytes.length > MAX_LENGTH) {
            throw new IllegalArgumentException("session snapshot missing or too long");
        }
        try {
            ByteBuffer b = ByteBuffer.wrap(bytes);
            if (b.get() != VERSION) {
                throw new IllegalArgumentException("session snapshot of another version");
            }
            int flags = b.get();
            if ((flags & ~1) != 0) {
                throw new IllegalArgumentException("session snapshot with reserved flags");
            }
            byte[] id = take(b, ID_LENGTH);
            long generation = b.getLong();
            int cipher = b.get();
            long created = b.getLong();
            long expires = b.getLong();
            long maxMessages = b.getLong();
            Direction send = direction(b);
            Direction receive = direction(b);
            byte[] peerStatic = take(b, KEY_LENGTH);
            byte[] history = take(b, b.getShort() & 0xffff);
            byte[] local = take(b, b.get() & 0xff);
            byte[] route = take(b, b.getShort() & 0xffff);
            byte[] bound = take(b, b.getShort() & 0xffff);
            String proto = new String(take(b, b.get() & 0xff), StandardCharsets.US_ASCII);
            if (b.hasRemaining()) {
                throw new IllegalArgumentException("session snapshot with trailing bytes");
            }
            return new SessionSnapshot(id, generation, (flags & 1) != 0, cipher, created, expires, maxMessages, send,
                    receive, peerStatic, history, local, route, bound, proto);
        } catch (java.nio.BufferUnderflowException e) {
            throw new IllegalArgumentException("session snapshot truncated");
        }
    }

    private static Direction direction(ByteBuffer b) {
        int shift = b.get();
        long epoch = b.getLong();
        byte[] key = take(b, KEY_LENGTH);
        return new Direction(shift, epoch, key, b.getLong());
    }

    private static byte[] take(ByteBuffer b, int n) {
        if (n > b.remaining()) {
            throw new IllegalArgumentException("session snapshot truncated");
        }
        byte[] out = new byte[n];
        b.get(out);
        return out;
    }

    /** Overwrites both directions' keys. */
    public void wipe() {
        send.wipe();
        receive.wipe();
    }

    @Override
    public String toString() {
        return "SessionSnapshot[generation " + generation + ", " + protocolName + ", send " + send + ", receive "
                + receive + "]"; // never keys
    }
}
