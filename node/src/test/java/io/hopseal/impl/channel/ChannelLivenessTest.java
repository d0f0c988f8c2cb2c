package io.hopseal.impl.channel;

import static io.hopseal.testsupport.Await.until;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.hopseal.api.channel.ChannelException;
import io.hopseal.api.channel.ChannelOptions;
import io.hopseal.api.channel.ChannelState;
import io.hopseal.api.channel.CloseReason;
import io.hopseal.api.channel.ListenerOptions;
import io.hopseal.api.channel.SecureChannel;
import io.hopseal.impl.memory.MemoryNetwork;
import io.hopseal.node.HopsealNode;

/** Pings through a channel and keep-alive: a channel notices a peer that restarted or is out of reach. */
class ChannelLivenessTest {
    MemoryNetwork net;
    HopsealNode backend;
    HopsealNode device;

    @BeforeEach
    void setUp() {
        net = new MemoryNetwork();
        backend = HopsealNode.builder().memory(net, "backend").build();
        device = HopsealNode.builder().memory(net, "device").build();
        backend.service("echo", (m, ctx) -> ctx.reply(m, m.payload()));
        backend.channels().listen("api", ListenerOptions.defaults());
    }

    @AfterEach
    void tearDown() {
        device.close();
        backend.close();
        net.close();
    }

    private SecureChannel open(ChannelOptions o) throws Exception {
        return device.channels().connect("/mem/backend/secure/api/service/echo", o).get(5, TimeUnit.SECONDS);
    }

    private SecureChannel responder() {
        return backend.channels().channels().stream().filter(c -> !c.isInitiator()).findFirst().orElseThrow();
    }


    @Test
    void aPingIsAnsweredByThePeersChannelEndAndMeasuresTheRoundTrip() throws Exception {
        SecureChannel ch = open(ChannelOptions.defaults());
        Duration rtt = ch.ping(Duration.ofSeconds(5)).toCompletableFuture().get(5, TimeUnit.SECONDS);
        assertThat(rtt).isPositive().isLessThan(Duration.ofSeconds(5));
        // the responder answers too, and its own pings are answered by the initiator
        assertThat(responder().ping(Duration.ofSeconds(5)).toCompletableFuture().get(5, TimeUnit.SECONDS)).isPositive();
        assertThat(ch.counters()).containsEntry("pings.sent", 1L).containsEntry("pings.answered", 1L);
        assertThat(responder().counters()).containsEntry("pings.answered", 1L).containsEntry("pings.sent", 1L);
        // a ping costs one 5-byte control message each way (23 bytes on the channel layer with a 1-byte counter)
        assertThat(ch.counters()).containsEntry("bytes.out", 1L + 1 + 5 + 16 + 1 + 1 + 5 + 16);
    }

    @Test
    void aPingWithoutAnswerTimesOutAndALateAnswerIsCounted() throws Exception {
        SecureChannel ch = open(ChannelOptions.defaults());
        java.util.List<byte[]> held = new java.util.concurrent.CopyOnWriteArrayList<>();
        net.setInterceptor((from, to, frame) -> {
            if (from.equals("backend")) {
                held.add(frame); // the answer is held back
                return List.of();
            }
            return List.of(frame);
        });
        assertThatThrownBy(() -> ch.ping(Duration.ofMillis(200)).toCompletableFuture().get(5, TimeUnit.SECONDS))
                .isInstanceOf(ExecutionException.class).cause().isInstanceOf(TimeoutException.class);
        assertThat(ch.counters()).containsEntry("pings.timed_out", 1L);
        until("the pong held back", Duration.ofSeconds(10), () -> held.size() == 1);
        net.setInterceptor(null);
        assertThat(net.inject("backend", "device", held.get(0))).isTrue();
        until("the late pong counted", Duration.ofSeconds(10),
                () -> ch.counters().getOrDefault("drop.pong_unexpected", 0L) == 1L);
        assertThat(ch.state()).isEqualTo(ChannelState.OPEN);
    }

    @Test
    void pingsFailWhenTheChannelIsNotOpenOrCloses() throws Exception {
        SecureChannel ch = open(ChannelOptions.defaults());
        net.setInterceptor((from, to, frame) -> List.of());
        var waiting = ch.ping(Duration.ofSeconds(30)).toCompletableFuture();
        ch.close();
        assertThatThrownBy(() -> waiting.get(5, TimeUnit.SECONDS)).cause().isInstanceOf(ChannelException.class);
        assertThatThrownBy(() -> ch.ping(Duration.ofSeconds(1)).toCompletableFuture().get(5, TimeUnit.SECONDS))
                .cause().isInstanceOf(ChannelException.class);
        assertThatThrownBy(() -> ch.ping(Duration.ZERO)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void keepAliveKeepsAnIdleChannelWithALivePeerOpen() throws Exception {
        // one unanswered ping is enough to close: each answer must reset the count (an in-memory answer often comes
        // back before the ping call returns), or the second ping would close a channel with a live peer
        SecureChannel ch = open(ChannelOptions.defaults().withKeepAlive(Duration.ofMillis(200), 1));
        SecureChannel responder = responder();
        until("four keep-alive pings answered", Duration.ofSeconds(10),
                () -> responder.counters().getOrDefault("pings.answered", 0L) >= 4);
        assertThat(ch.state()).isEqualTo(ChannelState.OPEN);
        ch.send("still here".getBytes(UTF_8));
        assertThat(new String(ch.receive(Duration.ofSeconds(5)).payload(), UTF_8)).isEqualTo("still here");
    }

    @Test
    void keepAliveClosesAChannelWhosePeerRestarted() throws Exception {
        SecureChannel ch = open(ChannelOptions.defaults().withKeepAlive(Duration.ofMillis(100), 3));
        SecureChannel responder = responder();
        until("a keep-alive ping answered", Duration.ofSeconds(10),
                () -> responder.counters().getOrDefault("pings.answered", 0L) >= 1);
        // a crash: the backend's channel ends vanish without a word (its closes are lost), as after a power cut
        net.setInterceptor((from, to, frame) -> from.equals("backend") ? List.of() : List.of(frame));
        backend.close();
        assertThat(ch.state()).as("nothing told the device").isEqualTo(ChannelState.OPEN);
        CloseReason r = ch.whenClosed().toCompletableFuture().get(10, TimeUnit.SECONDS);
        assertThat(r).isEqualTo(CloseReason.PEER_UNRESPONSIVE);
        assertThat(ch.counters()).containsEntry("keepalive.closed", 1L)
                .hasEntrySatisfying("pings.sent", n -> assertThat(n).isGreaterThanOrEqualTo(3L));
        assertThat(device.channels().counters()).containsEntry("channels.closed.peer_unresponsive", 1L);
    }

    @Test
    void aListenerWithAnIdleTimeoutClosesSilentChannelsAndKeepAliveKeepsThemOpen() throws Exception {
        backend.channels().listen("idle", ListenerOptions.defaults().withIdleTimeout(Duration.ofMillis(800)));
        SecureChannel silent = device.channels().connect("/mem/backend/secure/idle/service/echo",
                ChannelOptions.defaults()).get(5, TimeUnit.SECONDS);
        SecureChannel kept = device.channels().connect("/mem/backend/secure/idle/service/echo",
                ChannelOptions.defaults().withKeepAlive(Duration.ofMillis(100), 3)).get(5, TimeUnit.SECONDS);
        silent.send("one".getBytes(UTF_8));
        assertThat(silent.receive(Duration.ofSeconds(5))).isNotNull();
        assertThat(silent.whenClosed().toCompletableFuture().get(10, TimeUnit.SECONDS))
                .as("the backend closed it and said so").isEqualTo(CloseReason.PEER_CLOSED);
        // the close frame leaves before the backend counts the close: the device may see it first
        until("the backend counted its idle close", Duration.ofSeconds(5),
                () -> backend.channels().counters().getOrDefault("channels.closed.idle_timeout", 0L) == 1L);
        // the keep-alive pings are traffic: the other channel has outlived the silent one and still works
        assertThat(kept.state()).as("closed: %s, counters %s", kept.closeReason(), kept.counters())
                .isEqualTo(ChannelState.OPEN);
        kept.send("two".getBytes(UTF_8));
        assertThat(new String(kept.receive(Duration.ofSeconds(5)).payload(), UTF_8)).isEqualTo("two");
        assertThatThrownBy(() -> ListenerOptions.defaults().withIdleTimeout(Duration.ofMillis(10)))
                .hasMessageContaining("idleTimeout");
    }

    /** The keep-alive decision with explicit times (ms as nanos for readability). */
    @Test
    void keepAliveDecisionsCountOnlyUnansweredPings() {
        Liveness.KeepAlive ka = new Liveness.KeepAlive(Duration.ofNanos(100), 1, null);
        assertThat(ka.check(50, 0)).as("heard within the interval").isEqualTo(Liveness.KeepAlive.Action.NONE);
        assertThat(ka.check(100, 0)).isEqualTo(Liveness.KeepAlive.Action.PING);
        // answered at once (in memory the answer can arrive before the ping call returns): the next silent
        // interval brings another ping, not the end
        assertThat(ka.check(200, 100)).isEqualTo(Liveness.KeepAlive.Action.PING);
        assertThat(ka.check(300, 250)).isEqualTo(Liveness.KeepAlive.Action.NONE);
        assertThat(ka.check(400, 250)).isEqualTo(Liveness.KeepAlive.Action.PING);
        assertThat(ka.check(500, 250)).as("that ping went unanswered").isEqualTo(Liveness.KeepAlive.Action.CLOSE);

        Liveness.KeepAlive three = new Liveness.KeepAlive(Duration.ofNanos(100), 3, null);
        assertThat(List.of(three.check(100, 0), three.check(200, 0), three.check(300, 0), three.check(400, 0)))
                .containsExactly(Liveness.KeepAlive.Action.PING, Liveness.KeepAlive.Action.PING,
                        Liveness.KeepAlive.Action.PING, Liveness.KeepAlive.Action.CLOSE);
    }

    @Test
    void keepAliveOptionsAreChecked() {
        ChannelOptions o = ChannelOptions.defaults().withKeepAlive(Duration.ofSeconds(30), 3);
        assertThat(o.keepAliveInterval()).isEqualTo(Duration.ofSeconds(30));
        assertThat(o.keepAliveUnanswered()).isEqualTo(3);
        assertThat(o.withSuite(io.hopseal.api.channel.CipherSuite.CHACHAPOLY_BLAKE2S).keepAliveInterval())
                .as("kept by other with-methods").isEqualTo(Duration.ofSeconds(30));
        assertThat(o.withKeepAlive(null, 0).keepAliveInterval()).isNull();
        assertThat(ChannelOptions.defaults().keepAliveInterval()).as("off by default").isNull();
        assertThatThrownBy(() -> o.withKeepAlive(Duration.ofMillis(5), 3)).hasMessageContaining("10 ms");
        assertThatThrownBy(() -> o.withKeepAlive(Duration.ofSeconds(1), 0)).hasMessageContaining("unansweredPings");
    }
}
