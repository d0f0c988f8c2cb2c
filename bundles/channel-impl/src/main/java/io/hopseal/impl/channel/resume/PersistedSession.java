package io.hopseal.impl.channel.resume;

import java.io.IOException;

/**
 * A live session that keeps its persisted copy current: the {@link Reservations} a channel end's transport crypto
 * calls before it uses a counter beyond what is stored. A send reservation stores {@code sendStep} counters ahead
 * (after a crash the end continues at the stored ceiling, so up to that many counters are skipped, none reused); a
 * receive reservation stores the exact counter being accepted when {@code receiveStep} is 1 (after a crash nothing
 * accepted before is accepted again), or up to {@code receiveStep - 1} beyond it (fewer writes; a restored receiver
 * then also refuses that many of the peer's next counters).
 *
 * <p>When a write fails the files are deleted and the session goes on in memory only (not resumable); only when even
 * that fails is the counter refused. A session whose counters reach its message limit is dropped from disk the same way.
 */
public final class PersistedSession implements Reservations {
    private final SessionStore store;
    private final String name;
    private final long sendStep;
    private final long receiveStep;
    /** Guarded by this: the latest stored (or, before the first write, the initial) snapshot. */
    private SessionSnapshot current;
    private boolean dropped;
    private boolean written;

    public PersistedSession(SessionStore store, String name, SessionSnapshot initial, long sendStep, long receiveStep) {
        if (sendStep < 1 || receiveStep < 1) {
            throw new IllegalArgumentException("reservation steps must be at least 1");
        }
        this.store = store;
        this.name = name;
        this.current = initial;
        this.sendStep = sendStep;
        this.receiveStep = receiveStep;
    }

    public String name() {
        return name;
    }

    @Override
    public synchronized long reserve(boolean sending, SessionSnapshot.Direction d) {
        if (dropped) {
            return Long.MAX_VALUE;
        }
        long position = sending ? d.position() + sendStep : d.position() + receiveStep - 1;
        if (position >= current.maxMessages() || store.nowSeconds() >= current.expiresAt()) {
            drop(); // expired: no longer resumable, the channel itself goes on
            return dropped ? Long.MAX_VALUE : -1;
        }
        SessionSnapshot next = sending ? current.next(d.at(position), current.receive())
                : current.next(current.send(), d.at(position));
        return store(next) ? position : dropped ? Long.MAX_VALUE : -1;
    }

    /** Stores the session again as it is (at deactivation: the latest peer route), or with a new route to the peer. */
    public synchronized boolean persist(byte[] peerRoute) {
        if (dropped) {
            return false;
        }
        SessionSnapshot s = current;
        if (peerRoute != null) {
            s = s.withPeerRoute(peerRoute);
        }
        return store(s.next(s.send(), s.receive()));
    }

    /** Whether the session is still resumable from its files. */
    public synchronized boolean resumable() {
        return !dropped && written;
    }

    /** Forgets the files (the channel closed for good). */
    public synchronized void drop() {
        dropped = store.delete(name) || dropped;
        if (!dropped) {
            // the files could not be deleted: keep refusing counters beyond them, so they can never lead to reuse
            return;
        }
        current = null;
    }

    private boolean store(SessionSnapshot next) {
        try {
            store.write(name, next);
            current = next;
            written = true;
            return true;
        } catch (IOException e) {
            drop();
            return dropped;
        }
    }

    public synchronized SessionSnapshot current() {
        return current;
    }

    @Override
    public String toString() {
        return "PersistedSession[" + name + (dropped ? ", dropped" : "") + "]";
    }
}
