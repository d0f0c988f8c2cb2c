package io.hopseal.transport.tcp;

import java.io.IOException;

/**
 * A peer broke the TCP link protocol; the connection must be closed. The message describes the problem, never the
 * peer's bytes.
 */
public final class FramingException extends IOException {
    private static final long serialVersionUID = 1L;

    /** What was wrong; each has the counter that records it. */
    public enum Reason {
        /** The first four bytes were not {@code 'H' 'S' 0x01 0x00}. */
        BAD_PREAMBLE("drop.bad_preamble"),
        /** A frame header announced more than the max frame size. */
        OVERSIZED("drop.oversized"),
        /** A zero-length frame, or a frame whose envelope did not decode. */
        MALFORMED("drop.malformed");

        private final String counter;

        Reason(String counter) {
            this.counter = counter;
        }

        /** The counter name, e.g. {@code drop.bad_preamble}. */
        public String counterName() {
            return counter;
        }
    }

    private final Reason reason;

    public FramingException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }

    @Override
    public synchronized Throwable fillInStackTrace() {
        return this; // hostile input is common: no stack trace
    }
}
