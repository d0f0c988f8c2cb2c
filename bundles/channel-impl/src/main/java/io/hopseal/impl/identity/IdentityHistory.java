package io.hopseal.impl.identity;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.bouncycastle.math.ec.rfc8032.Ed25519;

import io.hopseal.api.identity.Identifier;
import io.hopseal.api.identity.Identity;
import io.hopseal.api.transport.Envelope;
import io.hopseal.api.transport.MalformedMessageException;

/**
 * The signed chain of an identity's keys (docs/protocol.md, "Identities").
 *
 * <pre>
 * history   = count u8 (1..16) ‖ first key (32) ‖ (count − 1) × change
 * change    = previous change hash (20) ‖ flags u8 (0) ‖ new key (32)
 *             ‖ signature by the previous key (64) ‖ signature by the new key (64)       181 bytes
 * signed    = "hopseal/change/v1" ‖ previous change hash ‖ flags ‖ new key
 * hash(first)  = H20("hopseal/change/v1" ‖ 0x01 ‖ first key)
 * hash(change) = H20("hopseal/change/v1" ‖ previous hash ‖ flags ‖ new key)
 * </pre>
 * The identifier comes from the first key and never changes; the current key is the last one. Each change is signed
 * by the key it replaces (authorisation) and by the new key (possession).
 */
public final class IdentityHistory {
    public static final int MAX_KEYS = 16;
    public static final int CHANGE_LENGTH = 20 + 1 + 32 + 64 + 64;
    private static final String DOMAIN = "hopseal/change/v1";

    private IdentityHistory() {
    }

    static byte[] firstHash(byte[] firstKey) {
        return Hashes.h20(DOMAIN, new byte[] {1}, firstKey);
    }

    static byte[] signedData(byte[] prevHash, int flags, byte[] newKey) {
        return Hashes.concat(DOMAIN.getBytes(java.nio.charset.StandardCharsets.US_ASCII), prevHash,
                new byte[] {(byte) flags}, newKey);
    }

    static byte[] changeHash(byte[] prevHash, int flags, byte[] newKey) {
        return Hashes.h20(DOMAIN, prevHash, new byte[] {(byte) flags}, newKey);
    }

    /** Length of an encoded history in bytes, from its first byte. */
    public static int length(int count) {
        return 1 + 32 + (count - 1) * CHANGE_LENGTH;
    }

    /** Reads and verifies a history at the reader's position. */
    public static Identity read(Envelope.Reader r) throws IdentityException, MalformedMessageException {
        int start = r.position();
        int count = r.u8("history count");
        if (count < 1 || count > MAX_KEYS) {
            throw new IdentityException("history must hold 1.." + MAX_KEYS + " keys, has " + count);
        }
        byte[] first = r.bytes(32, "first key");
        byte[] prevKey = first;
        byte[] prevHash = firstHash(first);
        for (int i = 1; i < count; i++) {
            byte[] linked = r.bytes(20, "previous change hash");
            int flags = r.u8("change flags");
            byte[] key = r.bytes(32, "new key");
            byte[] sigPrev = r.bytes(64, "signature by previous key");
            byte[] sigNew = r.bytes(64, "signature by new key");
            if (!java.security.MessageDigest.isEqual(linked, prevHash)) {
                throw new IdentityException("change " + i + " does not link to the previous change");
            }
            if (flags != 0) {
                throw new IdentityException("change " + i + " has unknown flags");
            }
            byte[] data = signedData(prevHash, flags, key);
            if (!verify(prevKey, data, sigPrev)) {
                throw new IdentityException("change " + i + " is not signed by the previous key");
            }
            if (!verify(key, data, sigNew)) {
                throw new IdentityException("change " + i + " is not signed by its new key");
            }
            prevHash = changeHash(prevHash, flags, key);
            prevKey = key;
        }
        byte[] encoded = new byte[r.position() - start];
        // re-read the consumed bytes for the identity's own copy
        System.arraycopy(r.buffer(), start, encoded, 0, encoded.length);
        Identifier id = Identity.deriveIdentifier(first);
        return Identity.ofVerifiedHistory(id, prevKey, encoded, count);
    }

    public static Identity decode(byte[] encoded) throws IdentityException {
        Envelope.Reader r = new Envelope.Reader(encoded, 0, encoded.length);
        try {
            Identity id = read(r);
            if (r.remaining() != 0) {
                throw new IdentityException("trailing bytes after the history");
            }
            return id;
        } catch (MalformedMessageException e) {
            throw new IdentityException("history truncated: " + e.getMessage());
        }
    }

    /** Hash of the latest change (what a rotation must link to). */
    static byte[] latestHash(Identity identity) {
        byte[] h = identity.encodedHistory();
        byte[] prevHash = firstHash(Arrays.copyOfRange(h, 1, 33));
        int off = 33;
        for (int i = 1; i < identity.changeCount(); i++) {
            byte[] key = Arrays.copyOfRange(h, off + 21, off + 53);
            prevHash = changeHash(prevHash, h[off + 20] & 0xff, key);
            off += CHANGE_LENGTH;
        }
        return prevHash;
    }

    /**
     * Appends a change from the current key to {@code newKey}; the two signatures come from the caller's vault.
     */
    static Identity append(Identity current, byte[] newKey, java.util.function.Function<byte[], byte[]> signWithCurrent,
                           java.util.function.Function<byte[], byte[]> signWithNew) {
        if (current.changeCount() >= MAX_KEYS) {
            throw new IllegalStateException("identity already has " + MAX_KEYS + " keys");
        }
        byte[] prevHash = latestHash(current);
        byte[] data = signedData(prevHash, 0, newKey);
        byte[] change = Hashes.concat(prevHash, new byte[] {0}, newKey, signWithCurrent.apply(data), signWithNew.apply(data));
        byte[] old = current.encodedHistory();
        byte[] h = Hashes.concat(old, change);
        h[0] = (byte) (current.changeCount() + 1);
        return Identity.ofVerifiedHistory(current.identifier(), newKey, h, current.changeCount() + 1);
    }

    static boolean verify(byte[] key, byte[] data, byte[] sig) {
        try {
            return Ed25519.verify(sig, 0, key, 0, data, 0, data.length);
        } catch (RuntimeException e) {
            return false;
        }
    }

    /** The keys of a history, first to current. */
    static List<byte[]> keys(Identity identity) {
        byte[] h = identity.encodedHistory();
        List<byte[]> keys = new ArrayList<>();
        keys.add(Arrays.copyOfRange(h, 1, 33));
        int off = 33;
        for (int i = 1; i < identity.changeCount(); i++) {
            keys.add(Arrays.copyOfRange(h, off + 21, off + 53));
            off += CHANGE_LENGTH;
        }
        return keys;
    }
}
