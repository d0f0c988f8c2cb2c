package io.hopseal.impl.channel;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import io.hopseal.api.channel.ChannelException;
import io.hopseal.api.channel.ChannelOptions;
import io.hopseal.api.channel.ChannelSession;
import io.hopseal.api.channel.ChannelState;
import io.hopseal.api.channel.CloseReason;
import io.hopseal.api.channel.SecureChannel;
import io.hopseal.api.routing.Message;
import io.hopseal.api.routing.SendResult;
import io.hopseal.api.transport.Counters;

/**
 * A {@link ChannelSession}: one channel at a time to one route, a new handshake after a jittered, doubling back-off
 * whenever it ends for any reason but the session closing or the service stopping. Plain wiring over
 * {@link DefaultSecureChannelService#connect(String, ChannelOptions)}; the timers run on the service's scheduler.
 */
final class KeptSession implements ChannelSession {
    private static final int QUEUE_CAPACITY = 1024;

    private final DefaultSecureChannelService service;
    private final String route;
    private final ChannelOptions options;
    private final long initialNanos;
    private final long maxNanos;
    private final Counters counters = new Counters("channels.opened", "reconnects.scheduled", "send.dropped");
    private final LinkedBlockingQueue<Message> queue = new LinkedBlockingQueue<>(QUEUE_CAPACITY);
    private volatile Consumer<Message> receiver;
    private volatile SecureChannel current;

    // guarded by this
    private CompletableFuture<SecureChannel> next = new CompletableFuture<>();
    private long backoffNanos;
    private ScheduledFuture<?> retry;
    private boolean closed;

    KeptSession(DefaultSecureChannelService service, String route, ChannelOptions options, Duration initialBackoff,
                Duration maxBackoff) {
        if (initialBackoff.isNegative() || initialBackoff.isZero() || initialBackoff.compareTo(maxBackoff) > 0) {
            throw new IllegalArgumentException("initialBackoff must be positive and at most maxBackoff, was "
                    + initialBackoff + " and " + maxBackoff);
        }
        this.service = service;
        this.route = route;
        this.options = options;
        this.initialNanos = initialBackoff.toNanos();
        this.maxNanos = maxBackoff.toNanos();
    }

    void start() {
        connect();
    }

    private void connect() {
        synchronized (this) {
            retry = null;
            if (closed) {
                return;
            }
        }
        CompletableFuture<SecureChannel> attempt;
        try {
            attempt = service.connect(route, options);
        } catch (RuntimeException e) {
            failed(e); // whatever it is, the next attempt is scheduled: a timer task must not die silently
            return;
        }
        attempt.whenComplete((ch, e) -> {
            if (e == null) {
                opened(ch);
            } else {
                failed(e instanceof java.util.concurrent.CompletionException && e.getCause() != null ? e.getCause() : e);
            }
        });
    }

    private void opened(SecureChannel ch) {
        CompletableFuture<SecureChannel> waiting;
        synchronized (this) {
            if (closed) {
                ch.close(); // the session closed while this handshake ran
                return;
            }
            current = ch;
            backoffNanos = 0;
            waiting = next;
            next = new CompletableFuture<>();
        }
        ch.setReceiver(this::deliver);
        counters.increment("channels.opened");
        ch.whenClosed().thenAccept(reason -> lost(ch, reason));
        waiting.complete(ch);
    }

    private void failed(Throwable e) {
        CloseReason reason = e instanceof ChannelException ce ? ce.reason() : CloseReason.UNREACHABLE;
        counters.increment("connects.failed." + name(reason));
        if (reason == CloseReason.SERVICE_STOPPED) {
            end(new ChannelException(reason, "the channel service stopped"));
            return;
        }
        scheduleRetry();
    }

    private void lost(SecureChannel ch, CloseReason reason) {
        synchronized (this) {
            if (current == ch) {
                current = null;
            }
            if (closed) {
                return;
            }
        }
        counters.increment("channels.closed." + name(reason));
        if (reason == CloseReason.SERVICE_STOPPED) {
            end(new ChannelException(reason, "the channel service stopped"));
            return;
        }
        scheduleRetry();
    }

    private void scheduleRetry() {
        synchronized (this) {
            if (closed || retry != null) {
                return;
            }
            backoffNanos = backoffNanos == 0 ? initialNanos : Math.min(maxNanos, backoffNanos * 2);
            // half fixed, half random: many devices cut off by one gateway restart do not come back in step
            long delay = backoffNanos / 2 + ThreadLocalRandom.current().nextLong(backoffNanos / 2 + 1);
            counters.increment("reconnects.scheduled");
            try {
                retry = service.scheduler().schedule(this::connect, delay, TimeUnit.NANOSECONDS);
            } catch (java.util.concurrent.RejectedExecutionException stopped) {
                retry = null;
                closed = true;
            }
        }
    }

    /** The session ends without a local close (the service stopped): whoever waits for a channel is told. */
    private void end(ChannelException why) {
        CompletableFuture<SecureChannel> waiting;
        synchronized (this) {
            closed = true;
            waiting = next;
        }
        waiting.completeExceptionally(why);
    }

    private void deliver(Message m) {
        Consumer<Message> r = receiver;
        if (r != null) {
            r.accept(m);
        } else if (!queue.offer(m)) {
            counters.increment("drop.queue_full");
        }
    }

    private static String name(CloseReason r) {
        return r.name().toLowerCase(java.util.Locale.ROOT);
    }

    @Override
    public SecureChannel channel() {
        return current;
    }

    @Override
    public synchronized CompletionStage<SecureChannel> whenOpen() {
        SecureChannel c = current;
        if (c != null && c.state() == ChannelState.OPEN) {
            return CompletableFuture.completedFuture(c);
        }
        return next.copy(); // a copy: callers cannot complete the session's own future
    }

    @Override
    public SendResult send(byte[] payload) {
        SecureChannel c = current;
        if (c == null || c.state() != ChannelState.OPEN) {
            counters.increment("send.dropped");
            return SendResult.DROPPED_CHANNEL_NOT_OPEN;
        }
        return c.send(payload);
    }

    @Override
    public void setReceiver(Consumer<Message> r) {
        this.receiver = r;
        if (r != null) {
            Message m;
            while ((m = queue.poll()) != null) {
                r.accept(m);
            }
        }
    }

    @Override
    public Message receive(Duration timeout) throws InterruptedException {
        return queue.poll(timeout.toNanos(), TimeUnit.NANOSECONDS);
    }

    @Override
    public Map<String, Long> counters() {
        return counters.snapshot();
    }

    @Override
    public void close() {
        SecureChannel c;
        CompletableFuture<SecureChannel> waiting;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            if (retry != null) {
                retry.cancel(false);
                retry = null;
            }
            c = current;
            current = null;
            waiting = next;
        }
        if (c != null) {
            c.close();
        }
        waiting.completeExceptionally(new ChannelException(CloseReason.LOCAL_CLOSE, "session closed"));
    }

    @Override
    public String toString() {
        SecureChannel c = current;
        return "ChannelSession[" + route + ", " + (c == null ? "connecting" : c.state() + " with " + c.peer()) + "]";
    }
}
