package io.hopseal.impl.credential;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import io.hopseal.api.channel.ChannelException;
import io.hopseal.api.channel.ChannelOptions;
import io.hopseal.api.channel.CloseReason;
import io.hopseal.api.channel.ListenerOptions;
import io.hopseal.api.channel.SecureChannel;
import io.hopseal.api.credential.Credential;
import io.hopseal.api.routing.Address;
import io.hopseal.api.routing.Message;
import io.hopseal.api.routing.Route;
import io.hopseal.impl.access.Policy;
import io.hopseal.impl.access.PolicySyntaxException;
import io.hopseal.impl.memory.MemoryNetwork;
import io.hopseal.node.HopsealNode;
import io.hopseal.impl.routing.DefaultRouter;
import io.hopseal.api.transport.Envelope;
import io.hopseal.testsupport.Await;

/** Identities, credentials, revocation, enrollment and access control across real (in-memory) links. */
class ZeroTrustEndToEndTest {
    final MemoryNetwork net = new MemoryNetwork();
    final HopsealNode authorityNode = HopsealNode.builder().memory(net, "authority").build();
    final HopsealNode backend = HopsealNode.builder().memory(net, "backend").build();
    final HopsealNode device = HopsealNode.builder().memory(net, "device").build();
    final Authority authority = new Authority(authorityNode.localIdentity());
    final CredentialVerifier verifier = new CredentialVerifier(List.of(authority.identity()), Duration.ofSeconds(60),
            Clock.systemUTC(), null);

    ZeroTrustEndToEndTest() {
        new DefaultRouter().attach(net.attach("gw")); // a gateway that only forwards
        backend.channels().setCredentialVerifier(verifier);
        backend.service("telemetry", (m, ctx) -> ctx.reply(m, ("ok " + new String(m.payload(), UTF_8)).getBytes(UTF_8)));
        backend.service("admin", (m, ctx) -> ctx.reply(m, "admin ok".getBytes(UTF_8)));
        backend.accessControl().set("telemetry", Policy.parse("subject.role = \"sensor\" and subject.site = \"plant-3\""));
        backend.accessControl().set("admin", Policy.parse("subject.role = \"admin\""));
    }

    @AfterEach
    void tearDown() {
        device.close();
        backend.close();
        authorityNode.close();
        net.close();
    }

    SecureChannel connect(String route, ChannelOptions o) throws Exception {
        return device.channels().connect(Route.parse(route), o).get(5, TimeUnit.SECONDS);
    }

    /** The responder end completes when message 3 arrives, slightly after the initiator. */
    SecureChannel openResponder() throws InterruptedException {
        return io.hopseal.testsupport.Await.value("an open responder channel", Duration.ofSeconds(5), () -> {
            for (SecureChannel c : backend.channels().channels()) {
                if (c.state() == io.hopseal.api.channel.ChannelState.OPEN) {
                    return c;
                }
            }
            return null;
        });
    }

    static String ask(SecureChannel ch, String service, String text) throws InterruptedException {
        ch.send(Route.parse(service), text.getBytes(UTF_8));
        Message m = ch.receive(Duration.ofMillis(700));
        return m == null ? null : new String(m.payload(), UTF_8);
    }

    @Test
    void sensorReachesTelemetryButNotAdminThroughAForwardingGateway() throws Exception {
        backend.channels().listen("api", ListenerOptions.defaults());
        device.channels().setCredentials(List.of(authority.issue(device.identifier(),
                Map.of("role", "sensor", "site", "plant-3"), Duration.ofHours(1))));
        SecureChannel ch = connect("/mem/gw/mem/backend/service/api", ChannelOptions.defaults());
        assertThat(ask(ch, "/service/telemetry", "t=21.5")).isEqualTo("ok t=21.5");
        assertThat(ask(ch, "/service/admin", "reboot")).isNull();
        assertThat(backend.router().counters()).containsEntry("drop.access_denied", 1L);
        SecureChannel responder = openResponder();
        assertThat(responder.peerAttributes()).containsEntry("role", "sensor").containsEntry("site", "plant-3");
        // nothing reaches a service with a policy without a secure channel, whatever the sender claims
        assertThat(backend.router().send(Message.to(Route.parse("/service/telemetry"), new byte[1])).isDropped()).isTrue();
    }

    @Test
    void withoutCredentialsPoliciesDenyAndAnotherAuthoritysCredentialsDontCount() throws Exception {
        backend.channels().listen("api", ListenerOptions.defaults());
        Authority rogue = new Authority(HopsealNode.builder().build().localIdentity());
        device.channels().setCredentials(List.of(rogue.issue(device.identifier(),
                Map.of("role", "sensor", "site", "plant-3"), Duration.ofHours(1))));
        SecureChannel ch = connect("/mem/backend/service/api", ChannelOptions.defaults());
        assertThat(ask(ch, "/service/telemetry", "x")).isNull();
        SecureChannel responder = openResponder();
        assertThat(responder.peerAttributes()).isEmpty();
        assertThat(responder.counters()).containsEntry("credentials.refused", 1L);
    }

    @Test
    void handshakeCarryingACredentialStaysUnder700Bytes() throws Exception {
        backend.channels().listen("api", ListenerOptions.defaults());
        device.channels().setCredentials(List.of(authority.issue(device.identifier(),
                Map.of("role", "sensor", "site", "plant-3"), Duration.ofHours(1))));
        List<Integer> sizes = new CopyOnWriteArrayList<>();
        net.setInterceptor((from, to, f) -> {
            try {
                sizes.add(Envelope.decode(f).payload().length);
            } catch (Exception e) {
                throw new AssertionError(e);
            }
            return List.of(f);
        });
        connect("/mem/backend/service/api", ChannelOptions.defaults());
        openResponder(); // message 3 has arrived
        int total = sizes.stream().mapToInt(Integer::intValue).sum();
        System.out.println("XX handshake with one credential (2 attributes): " + sizes + " = " + total + " bytes");
        assertThat(sizes).hasSize(3);
        assertThat(total).isLessThan(700).isEqualTo(430 + 1 + 228);
    }

    @Test
    void revocationClosesOpenChannelsAndRefusesNewOnes() throws Exception {
        backend.channels().listen("api", ListenerOptions.defaults());
        SecureChannel ch = connect("/mem/backend/service/api", ChannelOptions.defaults());
        SecureChannel responder = openResponder();
        RevocationList rl = authority.revocationList(Set.of(device.identifier()), Set.of());
        assertThat(verifier.apply(rl.encoded())).isEqualTo(CredentialVerifier.RevocationOutcome.ACCEPTED);
        assertThat(responder.whenClosed().toCompletableFuture().get(5, TimeUnit.SECONDS)).isEqualTo(CloseReason.REVOKED);
        assertThat(ch.whenClosed().toCompletableFuture().get(5, TimeUnit.SECONDS)).isEqualTo(CloseReason.REFUSED_BY_PEER);
        SecureChannel again = connect("/mem/backend/service/api", ChannelOptions.defaults());
        assertThat(again.whenClosed().toCompletableFuture().get(5, TimeUnit.SECONDS)).isEqualTo(CloseReason.REFUSED_BY_PEER);
        assertThat(backend.channels().counters()).containsEntry("handshakes.failed.revoked", 1L);
    }

    @Test
    void enrollmentOverASecureChannelThenAccessWithTheCredential() throws Exception {
        authorityNode.service("enroll", new EnrollmentService(authority));
        authorityNode.channels().listen("api", ListenerOptions.defaults());
        backend.channels().listen("api", ListenerOptions.defaults());
        String token = authority.issueEnrollmentToken(1, Duration.ofMinutes(5),
                Map.of("role", "sensor", "site", "plant-3"), Duration.ofDays(30));

        SecureChannel toAuthority = connect("/mem/authority/service/api", ChannelOptions.defaults());
        EnrollmentService.Response r = EnrollmentService.enroll(toAuthority, Route.parse("/service/enroll"), token,
                Duration.ofSeconds(5));
        assertThat(r.status()).isEqualTo(EnrollmentService.Status.OK);
        Credential c = r.credential();
        assertThat(c.subject()).isEqualTo(device.identifier());
        assertThat(EnrollmentService.enroll(toAuthority, Route.parse("/service/enroll"), token, Duration.ofSeconds(5))
                .status()).isEqualTo(EnrollmentService.Status.USED);
        String forged = token.substring(0, token.length() - 1) + (token.endsWith("0") ? "1" : "0");
        assertThat(EnrollmentService.enroll(toAuthority, Route.parse("/service/enroll"), forged, Duration.ofSeconds(5))
                .status()).isEqualTo(EnrollmentService.Status.UNKNOWN_TOKEN);

        device.channels().setCredentials(List.of(c));
        SecureChannel ch = connect("/mem/gw/mem/backend/service/api", ChannelOptions.defaults());
        assertThat(ask(ch, "/service/telemetry", "hello")).isEqualTo("ok hello");
    }

    @Test
    void credentialsRefreshOverAnOpenChannel() throws Exception {
        backend.channels().listen("api", ListenerOptions.defaults());
        device.channels().setCredentials(List.of(authority.issue(device.identifier(), Map.of("role", "sensor"),
                Duration.ofHours(1))));
        SecureChannel ch = connect("/mem/backend/service/api", ChannelOptions.defaults());
        SecureChannel responder = openResponder();
        assertThat(responder.peerAttributes()).containsEntry("role", "sensor").doesNotContainKey("site");
        assertThat(ask(ch, "/service/telemetry", "x")).isNull();
        device.channels().setCredentials(List.of(authority.issue(device.identifier(),
                Map.of("role", "sensor", "site", "plant-3"), Duration.ofHours(2))));
        io.hopseal.testsupport.Await.until("the refreshed credential's attributes", Duration.ofSeconds(5),
                () -> responder.peerAttributes().containsKey("site"));
        assertThat(responder.peerAttributes()).containsEntry("site", "plant-3");
        assertThat(ask(ch, "/service/telemetry", "y")).isEqualTo("ok y");
    }

    @Test
    void listenerPolicyRefusesInitiatorsWithoutTheAttributes() throws Exception {
        assertThatThrownBy(() -> backend.channels().listen("bad", ListenerOptions.defaults()
                .withAccessPolicy("subject.role = sensor")))
                .isInstanceOf(PolicySyntaxException.class).hasMessageContaining("column");
        assertThat(backend.router().localAddresses()).doesNotContain(Address.local("bad"));
        backend.channels().listen("api", ListenerOptions.defaults().withAccessPolicy("subject.role = \"sensor\""));
        SecureChannel refused = connect("/mem/backend/service/api", ChannelOptions.defaults());
        assertThat(refused.whenClosed().toCompletableFuture().get(5, TimeUnit.SECONDS)).isEqualTo(CloseReason.REFUSED_BY_PEER);
        device.channels().setCredentials(List.of(authority.issue(device.identifier(), Map.of("role", "sensor"),
                Duration.ofHours(1))));
        SecureChannel ok = connect("/mem/backend/service/api", ChannelOptions.defaults());
        assertThat(openResponder().peer()).isEqualTo(device.identifier()); // accepted, not refused after message 3
        assertThat(ok.closeReason()).isNull();
    }

    @Test
    void aRotatedIdentityIsAcceptedByAPeerThatCachedTheOldOne() throws Exception {
        backend.channels().listen("api", ListenerOptions.defaults());
        backend.service("echo", (m, ctx) -> ctx.reply(m, m.payload()));
        SecureChannel before = connect("/mem/backend/service/api", ChannelOptions.defaults());
        // the responder completes when message 3 arrives
        Await.until("the backend knows the device", Duration.ofSeconds(5),
                () -> backend.channels().knownPeer(device.identifier()).isPresent());
        before.close();
        device.localIdentity().rotate();
        SecureChannel after = connect("/mem/backend/service/api", ChannelOptions.defaults());
        after.send(Route.parse("/service/echo"), "x".getBytes(UTF_8));
        assertThat(after.receive(Duration.ofSeconds(5))).isNotNull();
        assertThat(backend.channels().knownPeer(device.identifier()).orElseThrow().identity().changeCount()).isEqualTo(2);
        assertThat(backend.channels().channels().iterator().next().peerIdentity())
                .isEqualTo(device.localIdentity().identity());
    }

    @Test
    void connectFailureReasonsReachTheCaller() {
        assertThatThrownBy(() -> connect("/mem/nowhere/service/api",
                ChannelOptions.defaults().withHandshakeTimeout(Duration.ofMillis(200))))
                .cause().isInstanceOf(ChannelException.class);
    }
}
