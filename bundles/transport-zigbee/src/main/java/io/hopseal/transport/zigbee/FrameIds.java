package io.hopseal.transport.zigbee;

/**
 * Frame ids 1..255 of one module, shared by AT commands and Transmit Requests (the module answers each with the same
 * id). Ids are handed out in turn, so an id comes back only after the 254 others were used: a late answer to a frame
 * that timed out is very unlikely to be taken for the answer to a newer one. Not thread-safe.
 */
final class FrameIds {
    private final Object[] owners = new Object[256];
    private int next = 1;
    private int inUse;

    /** An id for {@code owner}, or 0 when all 255 are in use. */
    int allocate(Object owner) {
        if (inUse == 255) {
            return 0;
        }
        while (owners[next] != null) {
            next = next == 255 ? 1 : next + 1;
        }
        int id = next;
        owners[id] = owner;
        inUse++;
        next = next == 255 ? 1 : next + 1;
        return id;
    }

    /** Frees an id; returns its owner (null if it was free). */
    Object release(int id) {
        if (id < 1 || id > 255) {
            return null;
        }
        Object o = owners[id];
        if (o != null) {
            owners[id] = null;
            inUse--;
        }
        return o;
    }

    Object owner(int id) {
        return id < 1 || id > 255 ? null : owners[id];
    }

    int inUse() {
        return inUse;
    }

    void clear() {
        java.util.Arrays.fill(owners, null);
        inUse = 0;
    }
}
