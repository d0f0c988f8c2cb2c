package io.hopseal.support.transport;

import io.hopseal.api.routing.Address;
import io.hopseal.api.routing.Message;
import io.hopseal.api.routing.SendResult;
import io.hopseal.api.transport.FrameRelease;
import io.hopseal.api.transport.Transport;

/**
 * A transport that encodes every message into buffers of its own before {@link #send(Address, Message)} returns and
 * never keeps the message (a datagram, an MQTT publish, a serial line, an XBee or LoRaWAN queue entry): a frame lent
 * from a sender's pool can go back as soon as {@code send} returns, whatever it returned. Implementing this says so;
 * a transport that queues the message itself, or writes it later in place, must release on its own terms instead.
 */
public interface CopiesFrames extends Transport {

    /** Sends, then gives the lent array back: also when the send was refused or threw. */
    @Override
    default SendResult send(Address nextHop, Message message, FrameRelease release) {
        try {
            return send(nextHop, message);
        } finally {
            release.release();
        }
    }
}
