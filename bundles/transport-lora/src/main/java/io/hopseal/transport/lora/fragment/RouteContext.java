package io.hopseal.transport.lora.fragment;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.hopseal.api.routing.Address;

/**
 * What one end of a radio link knows about addresses, so that routes on the air can be short (docs/lora.md, "Radio
 * envelope"). Per device, on the gateway and on the device. Not thread-safe.
 *
 * <ul>
 * <li><b>Static context</b>: up to 32 addresses configured identically on both ends (e.g. the backend's
 * {@code /tcp/10.0.0.5:4000} and {@code /service/api}); each goes on the air as one byte.</li>
 * <li><b>Back-references</b>: an address the peer itself put in a message it sent us ({@code theirs}) may be sent
 * back as a 2-byte reference: a 14-bit tag of the address. The peer resolves the tag among the addresses it sent
 * ({@code mine}). Since the peer sent them, loss cannot make the two ends disagree about what a tag means; a tag
 * the peer cannot resolve to exactly one address (evicted, or two of its addresses share the tag) is refused and
 * the message dropped (counted), never resolved to a wrong address.</li>
 * </ul>
 */
public final class RouteContext {
    /** Most static entries (5 bits on the air). */
    public static final int MAX_STATIC = 32;
    static final int MINE_CAPACITY = 32;
    static final int THEIRS_CAPACITY = 16;
    static final int TOMBSTONE_CAPACITY = 128;

    private record Tag(int tag, long hash) {
    }

    private final List<Address> statics;
    private final LinkedHashMap<Address, Tag> mine = new LinkedHashMap<>(16, 0.75f, true);
    /** Hashes of addresses evicted from {@link #mine}, with their tags: a reference to such a tag is ambiguous. */
    private final LinkedHashMap<Long, Integer> tombstones = new LinkedHashMap<>();
    private final LinkedHashMap<Address, Boolean> theirs = new LinkedHashMap<>(16, 0.75f, true);
    private final boolean references;

    /**
     * @param statics    the static context (at most {@value #MAX_STATIC} addresses, no duplicates), identical on both ends
     * @param references whether to send back-references (both ends always resolve them)
     */
    public RouteContext(List<Address> statics, boolean references) {
        if (statics.size() > MAX_STATIC) {
            throw new IllegalArgumentException("at most " + MAX_STATIC + " static route context entries, was " + statics.size());
        }
        if (statics.stream().distinct().count() != statics.size()) {
            throw new IllegalArgumentException("static route context has duplicates");
        }
        this.statics = List.copyOf(statics);
        this.references = references;
    }

    public RouteContext() {
        this(List.of(), true);
    }

    public List<Address> statics() {
        return statics;
    }

    int staticIndex(Address a) {
        return statics.indexOf(a);
    }

    Address staticEntry(int i) throws FrameFormatException {
        if (i >= statics.size()) {
            throw new FrameFormatException("static route context entry " + i + " is not configured (have "
                    + statics.size() + ")");
        }
        return statics.get(i);
    }

    /** Whether {@code a} may go on the air as a back-reference. */
    boolean canReference(Address a) {
        return references && theirs.containsKey(a);
    }

    /** Records an address this end put on the air. */
    void sent(Address a) {
        Tag t = mine.get(a);
        if (t == null) {
            t = tagOf(a);
            tombstones.remove(t.hash);
            mine.put(a, t);
            if (mine.size() > MINE_CAPACITY) {
                Iterator<Map.Entry<Address, Tag>> it = mine.entrySet().iterator();
                Tag old = it.next().getValue();
                it.remove();
                tombstones.put(old.hash, old.tag);
                if (tombstones.size() > TOMBSTONE_CAPACITY) {
                    Iterator<Long> ti = tombstones.keySet().iterator();
                    ti.next();
                    ti.remove();
                }
            }
        }
    }

    /** Records an address the peer put on the air. */
    void received(Address a) {
        theirs.put(a, Boolean.TRUE);
        if (theirs.size() > THEIRS_CAPACITY) {
            Iterator<Address> it = theirs.keySet().iterator();
            it.next();
            it.remove();
        }
    }

    /** Resolves a back-reference among the addresses this end sent. */
    Address resolve(int tag) throws FrameFormatException {
        Address found = null;
        int n = 0;
        for (Map.Entry<Address, Tag> e : mine.entrySet()) {
            if (e.getValue().tag == tag) {
                found = e.getKey();
                n++;
            }
        }
        if (n == 0) {
            throw new FrameFormatException(FrameFormatException.Reason.ROUTE_REFERENCE,
                    "route reference " + tag + " names no address this end sent");
        }
        if (n > 1 || tombstones.containsValue(tag)) {
            throw new FrameFormatException(FrameFormatException.Reason.ROUTE_REFERENCE,
                    "route reference " + tag + " is ambiguous");
        }
        mine.get(found); // touch (LRU)
        return found;
    }

    /** Forgets all learned addresses (new session: the peer forgot too). */
    public void reset() {
        mine.clear();
        theirs.clear();
        tombstones.clear();
    }

    /** Learned entries (for status and memory checks). */
    public int learnedEntries() {
        return mine.size() + theirs.size() + tombstones.size();
    }

    /** The 14-bit tag of an address: the first 14 bits of SHA-256(type | length | value). */
    public static int tag(Address a) {
        return tagOf(a).tag;
    }

    private static Tag tagOf(Address a) {
        MessageDigest md;
        try {
            md = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        md.update((byte) a.type());
        md.update((byte) a.valueLength());
        md.update(a.value());
        ByteBuffer d = ByteBuffer.wrap(md.digest());
        long h = d.getLong(0);
        return new Tag((int) (h >>> 50), h);
    }

    /** A copy with the same static context and no learned state (for size estimates). */
    public RouteContext fresh() {
        return new RouteContext(new ArrayList<>(statics), references);
    }
}
