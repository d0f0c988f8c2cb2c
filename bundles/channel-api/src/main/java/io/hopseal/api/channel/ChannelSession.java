package io.hopseal.api.channel;

import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.function.Consumer;

import org.osgi.annotation.versioning.ProviderType;

import io.hopseal.api.routing.Message;
import io.hopseal.api.routing.SendResult;

/**
 * A secure channel to one route that is kept open (Ockam calls this a session): whenever the current channel closes for a reason other than
 * this side closing it (the peer restarted and keep-alive noticed, the peer closed it, a handshake failed or timed
 * out), or because the channel itself (not the session) was closed, a new handshake starts after a back-off that doubles up to a maximum, with jitter. Messages sent while no
 * channel is open are refused at once ({@link SendResult#DROPPED_CHANNEL_NOT_OPEN}), never queued: the application
 * decides what is worth sending again. Thread-safe.
 *
 * <p>Pair it with {@link ChannelOptions#withKeepAlive}: without keep-alive, a peer that restarts is only noticed when it
 * closes the channel itself, which it cannot do once it has lost the keys.
 *
 * @since 1.2
 */
@ProviderType
public interface ChannelSession extends AutoCloseable {

    /** The open channel now, or null while (re)connecting. */
    SecureChannel channel();

    /** The open channel now, or the next one to open; fails only when the session is closed first. */
    CompletionStage<SecureChannel> whenOpen();

    /** Sends to the bound service through the open channel; refused (not queued) while there is none. */
    SendResult send(byte[] payload);

    /**
     * Who gets what comes out of every channel of this session (replies, and messages from the far side). Until one
     * is set, messages wait in a bounded queue read by {@link #receive}.
     */
    void setReceiver(Consumer<Message> receiver);

    /** The next message from the queue, or null after the timeout. */
    Message receive(java.time.Duration timeout) throws InterruptedException;

    /**
     * {@code channels.opened}, {@code reconnects.scheduled}, {@code connects.failed.<reason>},
     * {@code channels.closed.<reason>}, {@code send.dropped} and {@code drop.queue_full}.
     */
    Map<String, Long> counters();

    /** Closes the open channel (telling the peer) and stops reconnecting. */
    @Override
    void close();
}
