package io.hopseal.impl.relay;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import io.hopseal.api.channel.ChannelOptions;
import io.hopseal.api.channel.ChannelSession;
import io.hopseal.api.channel.ChannelState;
import io.hopseal.api.channel.SecureChannel;
import io.hopseal.api.channel.SecureChannelService;
import io.hopseal.api.routing.Router;

/**
 * Keeps this node registered under a name at one relay: a {@link ChannelSession} (with keep-alive) to the relay's
 * listener, the name registered on every new channel and renewed every {@code refresh}, on one daemon thread of its
 * own. Reports each change of outcome ({@code registered as /service/forward_to_<name> at <relay>}, or
 * {@code failed: <why>}) to {@code onChange}.
 */
public final class RelayRegistration implements AutoCloseable {
    private final Router router;
    private final String name;
    private final Consumer<String> onChange;
    private final ChannelSession session;
    private final ScheduledThreadPoolExecutor timer;
    private volatile boolean closed;
    private volatile String lastResult = "not registered yet";

    /**
     * Starts registering. {@code keepAlive} null turns keep-alive off (then a relay that restarts is only noticed
     * when the registration is renewed and fails).
     */
    public RelayRegistration(SecureChannelService channels, Router router, String relayRoute, String name,
                             Duration refresh, Duration keepAlive, Consumer<String> onChange) {
        this.router = Objects.requireNonNull(router, "router");
        if (!RelayService.NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("a relay name is 1 to 64 letters, digits, '.', '_' or '-', was '"
                    + name + "'");
        }
        this.name = name;
        this.onChange = Objects.requireNonNull(onChange, "onChange");
        ChannelOptions o = ChannelOptions.defaults();
        if (keepAlive != null) {
            o = o.withKeepAlive(keepAlive, 3);
        }
        this.timer = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "hopseal-relay-registration");
            t.setDaemon(true);
            return t;
        });
        this.session = channels.session(relayRoute, o, Duration.ofSeconds(1), Duration.ofSeconds(60));
        session.whenOpen().thenAccept(this::onOpen);
        timer.scheduleWithFixedDelay(this::register, refresh.toNanos(), refresh.toNanos(), TimeUnit.NANOSECONDS);
    }

    /** Each new channel registers at once, then waits for the next one. */
    private void onOpen(SecureChannel ch) {
        if (closed) {
            return;
        }
        timer.execute(this::register);
        ch.whenClosed().thenRun(() -> {
            if (!closed) {
                session.whenOpen().thenAccept(this::onOpen);
            }
        });
    }

    private void register() {
        SecureChannel ch = session.channel();
        if (closed || ch == null || ch.state() != ChannelState.OPEN) {
            return; // reconnecting: the new channel registers when it opens
        }
        String result;
        try {
            result = "registered as " + Relays.register(router, ch, name, Duration.ofSeconds(10))
                    .get(15, TimeUnit.SECONDS) + " at " + ch.peer();
        } catch (java.util.concurrent.ExecutionException e) {
            result = "failed: " + (e.getCause() instanceof java.util.concurrent.TimeoutException
                    ? "no answer from the relay" : e.getCause().getMessage());
        } catch (java.util.concurrent.TimeoutException e) {
            result = "failed: no answer from the relay";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        } catch (RuntimeException e) {
            result = "failed: " + e; // a periodic task that throws is never run again
        }
        if (!result.equals(lastResult)) {
            lastResult = result;
            onChange.accept(result);
        }
    }

    /** The latest outcome. */
    public String lastResult() {
        return lastResult;
    }

    @Override
    public void close() {
        closed = true;
        timer.shutdownNow();
        session.close();
    }
}
