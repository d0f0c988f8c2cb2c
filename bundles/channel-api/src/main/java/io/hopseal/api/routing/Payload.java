package io.hopseal.api.routing;

import java.util.Arrays;
import java.util.Objects;

/**
 * A message's bytes as a view {@code array[offset, offset+length)}, so a frame travels from a link's buffer through
 * the router to a channel (and from a channel's sealing buffer to the link) without being copied.
 *
 * <p>The array is handed over with the view: nobody changes {@code [offset, offset+length)} once a payload exists.
 * The {@code headroom} bytes just before {@code offset} are scratch space the payload's creator gives away: a
 * transport may write its link header and routing envelope there and send {@code [offset-n, offset+length)} in one
 * piece instead of copying the payload into a new frame. Headroom is good for one send: a message sent again (a
 * retransmission) must use a view without headroom, or the second framing would overwrite the first while it may still
 * be queued. A view into a received frame has no headroom (the bytes before it are that frame's header).
 *
 * @param array    the backing array
 * @param offset   first byte of the payload
 * @param length   number of payload bytes
 * @param headroom writable bytes before {@code offset} ({@code 0..offset})
 */
public record Payload(byte[] array, int offset, int length, int headroom) {
    /** An empty payload. */
    public static final Payload EMPTY = new Payload(new byte[0], 0, 0, 0);

    public Payload {
        Objects.requireNonNull(array, "array");
        if (offset < 0 || length < 0 || offset > array.length - length) {
            throw new IndexOutOfBoundsException("payload view [" + offset + ", +" + length + ") outside " + array.length
                    + " bytes");
        }
        if (headroom < 0 || headroom > offset) {
            throw new IndexOutOfBoundsException("headroom " + headroom + " exceeds offset " + offset);
        }
    }

    /** The whole array, handed over (not copied). */
    public static Payload of(byte[] array) {
        return new Payload(array, 0, array.length, 0);
    }

    /** A view without headroom. */
    public static Payload of(byte[] array, int offset, int length) {
        return new Payload(array, offset, length, 0);
    }

    /** The bytes as an array of their own size: the backing array itself when the view spans all of it. */
    public byte[] toArray() {
        if (offset == 0 && length == array.length) {
            return array;
        }
        return Arrays.copyOfRange(array, offset, offset + length);
    }

    /** The byte at {@code index} (relative to the view). */
    public byte get(int index) {
        Objects.checkIndex(index, length);
        return array[offset + index];
    }

    /** The view from {@code from} (relative) to its end, without headroom. */
    public Payload from(int from) {
        Objects.checkFromToIndex(from, length, length);
        return new Payload(array, offset + from, length - from, 0);
    }

    /** Copies the viewed bytes into {@code dst} at {@code dstOffset}; returns {@link #length()}. */
    public int copyTo(byte[] dst, int dstOffset) {
        System.arraycopy(array, offset, dst, dstOffset, length);
        return length;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Payload p && Arrays.equals(array, offset, offset + length, p.array, p.offset,
                p.offset + p.length);
    }

    @Override
    public int hashCode() {
        int h = 1;
        for (int i = offset; i < offset + length; i++) {
            h = 31 * h + array[i];
        }
        return h;
    }

    @Override
    public String toString() {
        // never the bytes: they may be secret plaintext
        return "Payload[" + length + " bytes]";
    }
}
