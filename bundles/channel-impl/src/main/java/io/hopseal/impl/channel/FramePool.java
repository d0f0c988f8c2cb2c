package io.hopseal.impl.channel;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.atomic.LongAdder;

import io.hopseal.api.transport.FrameRelease;

/**
 * Frame arrays that channel ends seal into and transports give back once the frame is written
 * ({@link FrameRelease}): a busy channel reuses a few warm arrays instead of allocating, zeroing and cache-missing a
 * new one per message. Ownership: an array is in the pool, or lent (to exactly one {@link Lease}, from
 * {@link #lend} until that lease's first {@link Lease#release}); a lent array is never in the pool, so a frame waiting
 * in a transport's queue keeps its bytes whatever is sent after it.
 *
 * <p>Only frames of {@value #MIN_POOLED} bytes and more are pooled (below that a new array costs less than the pool's
 * atomics and the lease object); sizes go by classes of a power of two plus {@value #SLACK} bytes for headers (a
 * 16 KiB payload and its framing fit the 16 KiB class), up to the 64 KiB class. Each class keeps at most
 * {@value #SLOTS} arrays: the pool never holds more than about 512 KiB, and only what was once in flight at the same
 * time. One pool per channel service, shared by all threads (a transport releases on its own writer thread): slots
 * are taken and filled lock-free, first free slot first, so a thread that sends and gets the release back before its
 * next send reuses the same warm array.
 */
final class FramePool {
    /** Smallest frame that is pooled. */
    static final int MIN_POOLED = 1024;
    /** Bytes each class has beyond its power of two, for link, envelope and channel headers. */
    static final int SLACK = 256;
    static final int MIN_SHIFT = 10;
    static final int MAX_SHIFT = 16;
    /** Arrays kept per size class. */
    static final int SLOTS = 4;

    private final AtomicReferenceArray<byte[]> free = new AtomicReferenceArray<>((MAX_SHIFT - MIN_SHIFT + 1) * SLOTS);
    private final LongAdder made = new LongAdder();
    private final LongAdder released = new LongAdder();
    private final LongAdder releasedAgain = new LongAdder();

    /**
     * An array of at least {@code length} bytes, lent until its lease is released; null when frames of that length
     * are not pooled (the caller allocates). The array holds whatever its last frame left: the caller overwrites the
     * range it sends.
     */
    Lease lend(int length) {
        if (length < MIN_POOLED || length > (1 << MAX_SHIFT) + SLACK) {
            return null;
        }
        int cls = Math.max(0, 32 - Integer.numberOfLeadingZeros(length - SLACK - 1) - MIN_SHIFT);
        int base = cls * SLOTS;
        for (int i = base; i < base + SLOTS; i++) {
            byte[] a = free.get(i);
            if (a != null && free.compareAndSet(i, a, null)) {
                return new Lease(this, a, base);
            }
        }
        made.increment();
        return new Lease(this, new byte[(1 << (cls + MIN_SHIFT)) + SLACK], base);
    }

    private void giveBack(byte[] a, int base) {
        released.increment();
        for (int i = base; i < base + SLOTS; i++) {
            if (free.get(i) == null && free.compareAndSet(i, null, a)) {
                return;
            }
        }
        // the class is full: the garbage collector takes this one
    }

    /** Arrays made because none was free. */
    long made() {
        return made.sum();
    }

    /** Leases released (first calls only). */
    long released() {
        return released.sum();
    }

    /** Second and later release calls of a lease, ignored (a transport bug). */
    long releasedAgain() {
        return releasedAgain.sum();
    }

    /** Arrays waiting in the pool now. */
    int idle() {
        int n = 0;
        for (int i = 0; i < free.length(); i++) {
            n += free.get(i) == null ? 0 : 1;
        }
        return n;
    }

    /** One loan of one array: the array goes back to the pool on the first {@link #release()}, never twice. */
    static final class Lease implements FrameRelease {
        private static final VarHandle DONE;

        static {
            try {
                DONE = MethodHandles.lookup().findVarHandle(Lease.class, "done", boolean.class);
            } catch (ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }

        final byte[] array;
        private final FramePool pool;
        private final int base;
        @SuppressWarnings("unused") // through DONE
        private volatile boolean done;

        private Lease(FramePool pool, byte[] array, int base) {
            this.pool = pool;
            this.array = array;
            this.base = base;
        }

        @Override
        public void release() {
            if (DONE.compareAndSet(this, false, true)) {
                pool.giveBack(array, base);
            } else {
                pool.releasedAgain.increment();
            }
        }

        @Override
        public String toString() {
            return "FramePool.Lease[" + array.length + " bytes]";
        }
    }
}
