package io.hopseal.impl.channel;

import java.time.Duration;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import io.hopseal.api.routing.Message;

/**
 * Where a channel end's delivered messages wait for the application: the receiver it set
 * ({@link io.hopseal.api.channel.SecureChannel#setReceiver}), else a bounded queue for
 * {@link io.hopseal.api.channel.SecureChannel#receive}. The queue is created on first use (most ends deliver to a
 * bound service or a receiver and never need one); a full queue drops and counts.
 */
final class ReceiveQueue {
    static final int CAPACITY = 1024;

    private ReceiveQueue() {
    }

    /** Hands a delivered message to the receiver, or queues it; runs on the delivering thread, no lock held. */
    static void deliver(ChannelEndpoint ep, Message m) {
        Consumer<Message> r = ep.receiver;
        if (r != null) {
            try {
                r.accept(m);
            } catch (RuntimeException e) {
                ep.count("receiver.failed");
                ChannelEndpoint.LOG.warn("receiver of channel {} failed: {}", ep.remoteReg.address(), e.toString());
            }
        } else if (!queue(ep).offer(m)) {
            ep.count("drop.queue_full");
        }
    }

    /** Sets the receiver; messages queued before it are handed to it first, on this thread. */
    static void setReceiver(ChannelEndpoint ep, Consumer<Message> r) {
        ep.receiver = r;
        LinkedBlockingQueue<Message> q = ep.queue;
        if (r != null && q != null) {
            Message m;
            while ((m = q.poll()) != null) {
                r.accept(m);
            }
        }
    }

    static Message receive(ChannelEndpoint ep, Duration timeout) throws InterruptedException {
        return queue(ep).poll(timeout.toNanos(), TimeUnit.NANOSECONDS);
    }

    private static LinkedBlockingQueue<Message> queue(ChannelEndpoint ep) {
        LinkedBlockingQueue<Message> q = ep.queue;
        if (q == null) {
            synchronized (ep) {
                q = ep.queue;
                if (q == null) {
                    q = new LinkedBlockingQueue<>(CAPACITY);
                    ep.queue = q;
                }
            }
        }
        return q;
    }
}
