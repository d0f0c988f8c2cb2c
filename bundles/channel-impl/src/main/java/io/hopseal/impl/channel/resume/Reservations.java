package io.hopseal.impl.channel.resume;

/**
 * Where a channel end's transport crypto records, before it uses them, how far its counters may go (OSCORE, RFC 8613
 * Appendix B.1). Called from inside a direction's lock, at most once per reservation step; implementations take only
 * their own lock and never call back into the channel.
 */
public interface Reservations {

    /**
     * Persists one direction's state: for the sending direction, {@code d.position()} is the first counter a restored
     * end may use (nothing at or above it has been used); for the receiving direction, the highest counter a restored
     * end must refuse (nothing above it has been accepted).
     *
     * @param d the direction with {@code position} = the counter about to be used (sending) or accepted (receiving)
     * @return the new limit once it is stored: sending, the first counter that needs the next reservation; receiving,
     *         the highest counter accepted without one. {@link Long#MAX_VALUE} once no resumable copy of this session
     *         exists any more (the caller goes on in memory); -1 when neither could be ensured: the caller must not use
     *         (or accept) the counter
     */
    long reserve(boolean sending, SessionSnapshot.Direction d);
}
