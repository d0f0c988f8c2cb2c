package io.hopseal.impl.channel;

import static io.hopseal.testsupport.Await.until;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.hopseal.api.channel.ChannelOptions;
import io.hopseal.api.channel.ChannelSession;
import io.hopseal.api.channel.ChannelState;
import io.hopseal.api.channel.ListenerOptions;
import io.hopseal.api.channel.SecureChannel;
import io.hopseal.api.routing.Message;
import io.hopseal.api.routing.RouteSyntaxException;
import io.hopseal.api.routing.SendResult;
import io.hopseal.impl.memory.MemoryNetwork;
import io.hopseal.node.HopsealNode;
import io.hopseal.vault.MemoryVault;

/** Sessions: a channel that is opened again after the backend restarts, or once the backend first appears. */
class ChannelSessionTest {
    static final String ROUTE = "/mem/backend/secure/api/service/echo";
    static final Duration SHORT = Duration.ofMillis(20);

    MemoryNetwork net;
    MemoryVault backendKeys;
    HopsealNode backend;
    HopsealNode device;
    ChannelSession session;

    @BeforeEach
    void setUp() {
        net = new MemoryNetwork();
        backendKeys = new MemoryVault(); // the backend's identity survives its restarts
        device = HopsealNode.builder().memory(net, "device").build();
    }

    @AfterEach
    void tearDown() {
        if (session != null) {
            session.close();
        }
        device.close();
        if (backend != null) {
            backend.close();
        }
        net.close();
    }

    private HopsealNode startBackend() {
        HopsealNode b = HopsealNode.builder().vault(backendKeys).memory(net, "backend").build();
        b.service("echo", (m, ctx) -> ctx.reply(m, m.payload()));
        b.channels().listen("api", ListenerOptions.defaults());
        return b;
    }

    private ChannelOptions options() {
        return ChannelOptions.defaults().withKeepAlive(Duration.ofMillis(100), 3)
                .withHandshakeTimeout(Duration.ofMillis(500));
    }

    private static String echo(ChannelSession s, String text) throws Exception {
        SecureChannel ch = s.whenOpen().toCompletableFuture().get(20, TimeUnit.SECONDS);
        assertThat(ch.state()).isEqualTo(ChannelState.OPEN);
        assertThat(s.send(text.getBytes(UTF_8)).isDropped()).as("sent " + text).isFalse();
        Message m = s.receive(Duration.ofSeconds(5));
        assertThat(m).as("echo of " + text).isNotNull();
        return new String(m.payload(), UTF_8);
    }

    @Test
    void aSessionOpensAChannelAgainAfterTheBackendCrashedAndRestarted() throws Exception {
        backend = startBackend();
        session = device.channels().session(ROUTE, options(), SHORT, Duration.ofMillis(200));
        assertThat(echo(session, "before")).isEqualTo("before");
        SecureChannel first = session.channel();

        // the backend crashes: its channel ends vanish without a word
        net.setInterceptor((from, to, frame) -> from.equals("backend") ? List.of() : List.of(frame));
        backend.close();
        net.setInterceptor(null);
        assertThat(first.whenClosed().toCompletableFuture().get(10, TimeUnit.SECONDS))
                .as("keep-alive notices").isEqualTo(io.hopseal.api.channel.CloseReason.PEER_UNRESPONSIVE);
        assertThat(session.send("while down".getBytes(UTF_8))).isEqualTo(SendResult.DROPPED_CHANNEL_NOT_OPEN);

        backend = startBackend(); // same identity, fresh state
        assertThat(echo(session, "after")).isEqualTo("after");
        assertThat(session.channel()).isNotSameAs(first);
        assertThat(session.channel().peer()).isEqualTo(backend.identifier());
        assertThat(session.counters()).containsEntry("channels.opened", 2L)
                .containsEntry("channels.closed.peer_unresponsive", 1L).containsEntry("send.dropped", 1L);
    }

    @Test
    void aSessionStartedBeforeItsBackendConnectsOnceTheBackendIsThere() throws Exception {
        session = device.channels().session(ROUTE, options(), SHORT, Duration.ofMillis(100));
        until("two failed attempts", Duration.ofSeconds(10), () -> session.counters().get("reconnects.scheduled") >= 2);
        assertThat(session.channel()).isNull();
        assertThat(session.counters().keySet()).anyMatch(k -> k.startsWith("connects.failed."));
        backend = startBackend();
        assertThat(echo(session, "late backend")).isEqualTo("late backend");
    }

    @Test
    void aChannelThePeerClosesIsReplacedAndClosingTheSessionStopsIt() throws Exception {
        backend = startBackend();
        session = device.channels().session(ROUTE, ChannelOptions.defaults(), SHORT, SHORT);
        List<Message> got = new java.util.concurrent.CopyOnWriteArrayList<>();
        session.setReceiver(got::add);
        SecureChannel first = session.whenOpen().toCompletableFuture().get(5, TimeUnit.SECONDS);
        // XX: the initiator is open once it sends message 3; the backend's end only when that arrives, and only an
        // open end can send an authenticated close
        until("the backend's end open", Duration.ofSeconds(10),
                () -> backend.channels().channels().stream().anyMatch(c -> c.state() == ChannelState.OPEN));
        backend.channels().channels().forEach(SecureChannel::close); // an authenticated close
        until("a new channel", Duration.ofSeconds(10), () -> session.channel() != null && session.channel() != first
                && session.channel().state() == ChannelState.OPEN);
        session.send("to the receiver".getBytes(UTF_8));
        until("the echo", Duration.ofSeconds(5), () -> !got.isEmpty());
        assertThat(got).extracting(m -> new String(m.payload(), UTF_8)).containsExactly("to the receiver");
        assertThat(session.counters()).containsEntry("channels.closed.peer_closed", 1L);

        SecureChannel last = session.channel();
        SecureChannel backendEnd = backend.channels().channels().stream()
                .filter(c -> !c.isInitiator() && c.state() == ChannelState.OPEN).findFirst().orElseThrow();
        session.close();
        assertThat(last.state()).isEqualTo(ChannelState.CLOSED);
        assertThat(session.channel()).isNull();
        assertThat(backendEnd.whenClosed().toCompletableFuture().get(5, TimeUnit.SECONDS))
                .as("the session told the peer").isEqualTo(io.hopseal.api.channel.CloseReason.PEER_CLOSED);
        assertThatThrownBy(() -> session.whenOpen().toCompletableFuture().get(5, TimeUnit.SECONDS))
                .hasCauseInstanceOf(io.hopseal.api.channel.ChannelException.class);
        assertThat(session.send("after close".getBytes(UTF_8))).isEqualTo(SendResult.DROPPED_CHANNEL_NOT_OPEN);
    }

    @Test
    void badArgumentsFailAtOnce() {
        assertThatThrownBy(() -> device.channels().session("/mem/backend/service/echo", ChannelOptions.defaults(),
                SHORT, SHORT)).isInstanceOf(RouteSyntaxException.class).hasMessageContaining("/secure/");
        assertThatThrownBy(() -> device.channels().session(ROUTE, ChannelOptions.defaults(), Duration.ofSeconds(2),
                Duration.ofSeconds(1))).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("initialBackoff");
    }
}
