package io.hopseal.impl.channel;

import io.hopseal.impl.noise.AeadKey;
import io.hopseal.impl.noise.NoiseException;
import io.hopseal.impl.channel.resume.Reservations;
import io.hopseal.impl.channel.resume.SessionSnapshot;

/**
 * Sans-I/O transport phase of a channel: seals and opens transport messages with explicit counters, a replay window
 * and epoch rekeying. The two directions are independent; each has its own lock so sending and receiving do not wait
 * on each other.
 *
 * <pre>
 * header   u8   kind << 4 | (counter length - 1)      (kind 4 bound data, 5 routed data, 6 close, 7 control)
 * counter  1..8 bytes, big-endian, minimal length
 * body     AEAD(key of epoch counter / rekeyInterval, nonce = counter, ad = header and counter, plaintext) + 16-byte tag
 * </pre>
 * Key of epoch e+1 = Noise REKEY(key of epoch e). Nothing on the wire marks a rekey: both sides derive it from the
 * counter, so a receiver can cross any gap (within {@link #maxSkipEpochs}) without a round trip.
 */
final class TransportCrypto {

    /** Why an inbound message was refused. */
    enum Drop {
        MALFORMED("drop.malformed"), REPLAY("drop.replay"), TOO_OLD("drop.too_old"), TOO_FAR("drop.too_far"),
        FORGED("drop.forged"), TOO_LARGE("drop.too_large"),
        NOT_PERSISTED("drop.not_persisted");

        final String counter;

        Drop(String counter) {
            this.counter = counter;
        }
    }

    /**
     * The result of opening: either a kind and the plaintext {@code buffer[offset, offset+length)}, or a drop
     * reason. Opened in place, {@code buffer} is the frame itself.
     */
    record Opened(int kind, byte[] buffer, int offset, int length, long counter, Drop drop, boolean newest) {
        boolean ok() {
            return drop == null;
        }

        /** The plaintext as an array of its own (no copy when the buffer is exactly the plaintext). */
        byte[] plaintext() {
            return offset == 0 && length == buffer.length ? buffer
                    : java.util.Arrays.copyOfRange(buffer, offset, offset + length);
        }
    }

    private final Sender sender;
    private final Receiver receiver;

    TransportCrypto(AeadKey sendKey, long sendRekeyInterval, AeadKey receiveKey, long receiveRekeyInterval,
                    int window, int maxSkipEpochs) {
        this.sender = new Sender(sendKey, Long.numberOfTrailingZeros(sendRekeyInterval));
        this.receiver = new Receiver(receiveKey, Long.numberOfTrailingZeros(receiveRekeyInterval), window, maxSkipEpochs);
    }

    /**
     * A transport restored from a persisted session (channel resumption): the sender continues at the stored ceiling,
     * the receiver refuses everything at or below the stored position. Both keep reserving through {@code r}.
     */
    static TransportCrypto restored(io.hopseal.impl.noise.NoiseCipher cipher, SessionSnapshot.Direction send,
                                    SessionSnapshot.Direction receive, int window, int maxSkipEpochs, Reservations r) {
        TransportCrypto t = new TransportCrypto(AeadKey.of(cipher, send.key()), 1L << send.shift(),
                AeadKey.of(cipher, receive.key()), 1L << receive.shift(), window, maxSkipEpochs);
        t.sender.restore(send);
        t.receiver.restore(receive);
        t.persistTo(r);
        return t;
    }

    /**
     * From now on every counter beyond the last reservation is reserved through {@code r} before it is used (sending)
     * or accepted (receiving); null stops that.
     */
    void persistTo(Reservations r) {
        sender.persistTo(r);
        receiver.persistTo(r);
    }

    /** The counter the next sealed frame will carry. */
    long nextSendCounter() {
        return sender.next();
    }

    /** This end's two directions as they are now (keys copied: the caller wipes them), for a first snapshot. */
    SessionSnapshot.Direction[] directions() {
        return new SessionSnapshot.Direction[] {sender.direction(), receiver.direction()};
    }

    /**
     * Seals one message into a new array of exactly the frame's size, or returns null when the counter is exhausted
     * (the channel must close). One allocation: header and counter are written into the frame and authenticated
     * there.
     */
    byte[] seal(int kind, byte[] plaintext, int off, int len) {
        return sender.sealNew(kind, plaintext, off, len);
    }

    /**
     * Seals one message into {@code out} at {@code outOff}, which needs {@code len + }{@link #MAX_OVERHEAD} bytes
     * there; returns the frame length, or -1 when the counter is exhausted.
     */
    int seal(int kind, byte[] plaintext, int off, int len, byte[] out, int outOff) {
        java.util.Objects.checkFromIndexSize(outOff, len + MAX_OVERHEAD, out.length);
        return sender.seal(kind, plaintext, off, len, out, outOff);
    }

    /**
     * Seals {@code buf[off, off+len)} in place: the header and counter are written just before the plaintext (which
     * needs {@link #MAX_HEADER} bytes there), the ciphertext over it and the tag after it ({@link Wire#TAG} bytes).
     * Returns the frame length (the frame ends at {@code off + len + TAG}), or -1 when the counter is exhausted.
     */
    int sealInPlace(int kind, byte[] buf, int off, int len) {
        java.util.Objects.checkFromIndexSize(off - MAX_HEADER, MAX_HEADER + len + Wire.TAG, buf.length);
        return sender.seal(kind, buf, off, len, buf, -1);
    }

    /** Opens a frame into a new plaintext array (the frame is not changed). */
    Opened open(byte[] frame) {
        return receiver.open(frame, 0, frame.length, null, 0);
    }

    /** Opens {@code frame[off, off+len)} into a new plaintext array (the frame is not changed). */
    Opened open(byte[] frame, int off, int len) {
        java.util.Objects.checkFromIndexSize(off, len, frame.length);
        return receiver.open(frame, off, len, null, 0);
    }

    /**
     * Opens {@code frame[off, off+len)} in place: the plaintext is decrypted over the ciphertext and returned as a
     * view into {@code frame}. A frame that does not authenticate is left unchanged (the JDK checks the tag before
     * it writes any plaintext), as is the channel's state.
     */
    Opened openInPlace(byte[] frame, int off, int len) {
        java.util.Objects.checkFromIndexSize(off, len, frame.length);
        return receiver.open(frame, off, len, frame, -1);
    }

    /**
     * Opens {@code frame[off, off+len)} into {@code out} from {@code outOff}, which needs room for the plaintext
     * ({@code len - 18} bytes at most); {@code out} may be {@code frame} with {@code outOff = off}. A frame that does not
     * authenticate leaves {@code out} and the channel's state unchanged.
     */
    Opened openInto(byte[] frame, int off, int len, byte[] out, int outOff) {
        java.util.Objects.checkFromIndexSize(off, len, frame.length);
        java.util.Objects.checkIndex(outOff, out.length + 1);
        return receiver.open(frame, off, len, out, outOff);
    }

    long rekeys() {
        return sender.rekeys + receiver.rekeys;
    }

    /**
     * Adds this channel's message counters to {@code m} ({@code messages.in/out}, {@code bytes.in/out}: frames and
     * their bytes opened, and sealed except close frames; {@code rekeys}). Plain fields, updated under the two
     * direction locks that every message takes anyway: a per-channel map of counters cost ~400 B of heap per channel.
     */
    void counters(java.util.Map<String, Long> m) {
        long[] out = sender.counts();
        long[] in = receiver.counts();
        putIfCounted(m, "messages.out", out[0]);
        putIfCounted(m, "bytes.out", out[1]);
        putIfCounted(m, "messages.in", in[0]);
        putIfCounted(m, "bytes.in", in[1]);
        m.put("rekeys", out[2] + in[2]);
    }

    private static void putIfCounted(java.util.Map<String, Long> m, String name, long n) {
        if (n > 0) {
            m.merge(name, n, Long::sum);
        }
    }

    /** Wipes both directions' keys. */
    void destroy() {
        sender.destroy();
        receiver.destroy();
    }

    static int overhead(long counter) {
        return 1 + Wire.counterLength(counter) + Wire.TAG;
    }

    /** The most a frame adds to its plaintext: header, an 8-byte counter, tag. */
    static final int MAX_OVERHEAD = 1 + 8 + Wire.TAG;
    /** The most a frame puts before its ciphertext: header and an 8-byte counter. */
    static final int MAX_HEADER = MAX_OVERHEAD - Wire.TAG;

    /**
     * Resumption's state of one direction, null while the channel is not persisted (most ends: an idle channel end
     * pays one reference for it, not a reference and a long; RESULTS.md §4 counts every byte). Sender: counters from
     * {@code limit} on need a reservation first; receiver: accepting a counter above {@code limit} does.
     */
    private static final class Persisted {
        final Reservations reservations;
        long limit;

        Persisted(Reservations reservations, long limit) {
            this.reservations = reservations;
            this.limit = limit;
        }

        /** The limit from now on: the earlier one's, or {@code position}, whichever is lower. */
        static Persisted of(Reservations r, Persisted before, long position) {
            return r == null ? null : new Persisted(r, Math.min(before == null ? Long.MAX_VALUE : before.limit, position));
        }
    }

    private static byte checkedShift(int shift) {
        if (shift < 0 || shift > 63) {
            throw new IllegalArgumentException("rekey shift " + shift + " outside 0..63");
        }
        return (byte) shift;
    }

    /** Fields sized for the heap of an idle end: a byte shift, no per-seal scratch field (64 B with its header). */
    private static final class Sender {
        private final byte shift;
        private AeadKey key;
        private long next;
        private long epoch;
        long rekeys;
        private long messages;
        private long bytes;
        private Persisted persisted;

        Sender(AeadKey key, int shift) {
            this.key = key;
            this.shift = checkedShift(shift);
        }

        synchronized void persistTo(Reservations r) {
            persisted = Persisted.of(r, persisted, next);
        }

        synchronized void restore(SessionSnapshot.Direction d) {
            next = d.position();
            epoch = d.epoch();
            if (persisted != null) {
                persisted.limit = next; // the first counter after a restore is reserved again before it is used
            } // else persistTo follows and starts at next
        }

        synchronized SessionSnapshot.Direction direction() {
            return new SessionSnapshot.Direction(shift, epoch, key.exportKey(), next);
        }

        synchronized long next() {
            return next;
        }

        /** Seals into a new array of exactly the frame's size; null when the counter is exhausted. */
        synchronized byte[] sealNew(int kind, byte[] pt, int off, int len) {
            if (key == null || next > Wire.MAX_COUNTER) {
                return null;
            }
            byte[] frame = new byte[1 + Wire.counterLength(next) + len + Wire.TAG];
            return seal(kind, pt, off, len, frame, 0) < 0 ? null : frame;
        }

        /**
         * Seals into {@code out} at {@code o}, or in place when {@code o} is -1 ({@code out == pt}, the header just
         * before {@code off}); returns the frame's length, or -1 when the counter is exhausted.
         */
        synchronized int seal(int kind, byte[] pt, int off, int len, byte[] out, int o) {
            if (key == null || next > Wire.MAX_COUNTER) {
                return -1;
            }
            long c = next;
            long e = c >>> shift;
            while (epoch < e) {
                AeadKey k = key.rekeyed();
                key.close();
                key = k;
                epoch++;
                rekeys++;
            }
            Persisted p = persisted;
            if (p != null && c >= p.limit) {
                long limit = p.reservations.reserve(true, new SessionSnapshot.Direction(shift, epoch, key.exportKey(), c));
                if (limit <= c) {
                    return -1; // neither reserved nor safely forgotten: this counter must not be used
                }
                p.limit = limit;
            }
            int n = Wire.counterLength(c);
            int h = 1 + n;
            byte[] frame = out;
            if (o < 0) {
                o = off - h; // in place: the ciphertext starts exactly where the plaintext does
            }
            frame[o] = (byte) (kind << 4 | (n - 1));
            for (int i = 0; i < n; i++) {
                frame[o + 1 + i] = (byte) (c >>> (8 * (n - 1 - i)));
            }
            int length = h + key.encrypt(c, frame, o, h, pt, off, len, frame, o + h);
            next = c + 1;
            if (kind != Wire.CLOSE) {
                messages++;
                bytes += length;
            }
            return length;
        }

        synchronized long[] counts() {
            return new long[] {messages, bytes, rekeys};
        }

        synchronized void destroy() {
            if (key != null) {
                key.close();
                key = null;
            }
        }
    }

    private static final class Receiver {
        private final byte shift;
        private final short maxSkip;
        private final ReplayWindow window;
        private AeadKey current;
        private AeadKey previous;
        private long epoch;
        long rekeys;
        private long messages;
        private long bytes;

        private Persisted persisted;

        Receiver(AeadKey key, int shift, int window, int maxSkip) {
            this.current = key;
            this.shift = checkedShift(shift);
            this.window = new ReplayWindow(window);
            if (maxSkip < 0 || maxSkip > Short.MAX_VALUE) {
                throw new IllegalArgumentException("max skip epochs " + maxSkip + " outside 0.." + Short.MAX_VALUE);
            }
            this.maxSkip = (short) maxSkip;
        }

        synchronized void persistTo(Reservations r) {
            persisted = Persisted.of(r, persisted, window.highest());
        }

        synchronized void restore(SessionSnapshot.Direction d) {
            epoch = d.epoch();
            window.restoreFloor(d.position());
            if (persisted != null) {
                persisted.limit = d.position();
            } // else persistTo follows and starts at the restored floor
        }

        synchronized SessionSnapshot.Direction direction() {
            return new SessionSnapshot.Direction(shift, epoch, current.exportKey(), window.highest());
        }

        /** Into {@code dst} at {@code dstOff}; a new array when {@code dst} is null; over the ciphertext when -1. */
        synchronized Opened open(byte[] f, int off, int len, byte[] dst, int dstOff) {
            if (current == null || len < 2) {
                return drop(Drop.MALFORMED);
            }
            int h = f[off] & 0xff;
            int kind = h >>> 4;
            if ((h & 0x08) != 0 || kind < Wire.DATA_BOUND || kind > Wire.CONTROL) {
                return drop(Drop.MALFORMED);
            }
            int n = (h & 7) + 1;
            if (len < 1 + n + Wire.TAG) {
                return drop(Drop.MALFORMED);
            }
            long c = 0;
            for (int i = 0; i < n; i++) {
                c = c << 8 | (f[off + 1 + i] & 0xff);
            }
            // eight counter bytes can make c negative; non-minimal encodings would give one counter two wire forms
            if (c < 0 || c > Wire.MAX_COUNTER || (n > 1 && Wire.counterLength(c) != n)) {
                return drop(Drop.MALFORMED);
            }
            switch (window.check(c)) {
                case DUPLICATE: return drop(Drop.REPLAY);
                case TOO_OLD: return drop(Drop.TOO_OLD);
                default: break;
            }
            long e = c >>> shift;
            AeadKey key;
            AeadKey[] derived = null;
            if (e == epoch) {
                key = current;
            } else if (e == epoch - 1 && previous != null) {
                key = previous;
            } else if (e < epoch) {
                return drop(Drop.TOO_OLD);
            } else {
                long skip = e - epoch;
                if (skip > maxSkip) {
                    return drop(Drop.TOO_FAR);
                }
                // derive tentatively; committed only if the message authenticates
                derived = new AeadKey[(int) skip];
                AeadKey k = current;
                for (int i = 0; i < skip; i++) {
                    k = k.rekeyed();
                    derived[i] = k;
                }
                key = k;
            }
            int ctOff = off + 1 + n;
            int ctLen = len - 1 - n;
            if (dst != null && dstOff >= 0 && dst.length - dstOff < ctLen - Wire.TAG) {
                return drop(Drop.TOO_LARGE); // more than the caller made room for
            }
            // every check passed: only now allocate (hostile input costs no plaintext array)
            byte[] out = dst != null ? dst : new byte[ctLen - Wire.TAG];
            int outOff = dst == null ? 0 : dstOff < 0 ? ctOff : dstOff;
            try {
                key.decrypt(c, f, off, 1 + n, f, ctOff, ctLen, out, outOff);
            } catch (NoiseException ex) {
                if (derived != null) {
                    for (AeadKey k : derived) {
                        k.close();
                    }
                }
                return drop(Drop.FORGED);
            }
            Persisted p = persisted;
            if (p != null && c > p.limit) {
                // persisted before it counts as accepted, so a restart can never accept it again
                long limit = p.reservations.reserve(false, new SessionSnapshot.Direction(shift, e, key.exportKey(), c));
                if (limit < c) {
                    if (derived != null) {
                        for (AeadKey k : derived) {
                            k.close();
                        }
                    }
                    java.util.Arrays.fill(out, outOff, outOff + ctLen - Wire.TAG, (byte) 0); // no plaintext left behind
                    return drop(Drop.NOT_PERSISTED);
                }
                p.limit = limit;
            }
            boolean newest = c > window.highest();
            window.mark(c);
            if (derived != null) {
                AeadKey newPrev = derived.length >= 2 ? derived[derived.length - 2] : current;
                for (int i = 0; i < derived.length - 2; i++) {
                    derived[i].close();
                }
                if (previous != null && previous != newPrev) {
                    previous.close();
                }
                if (current != newPrev) {
                    current.close();
                }
                previous = newPrev;
                current = derived[derived.length - 1];
                rekeys += derived.length;
                epoch = e;
            }
            messages++;
            bytes += len;
            return new Opened(kind, out, outOff, ctLen - Wire.TAG, c, null, newest);
        }

        synchronized long[] counts() {
            return new long[] {messages, bytes, rekeys};
        }

        private static Opened drop(Drop d) {
            return new Opened(-1, null, 0, 0, -1, d, false);
        }

        synchronized void destroy() {
            if (current != null) {
                current.close();
                current = null;
            }
            if (previous != null) {
                previous.close();
                previous = null;
            }
        }
    }
}
