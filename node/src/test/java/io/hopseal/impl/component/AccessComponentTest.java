package io.hopseal.impl.component;

import static io.hopseal.testsupport.Logs.logsOf;
import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Proxy;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.hopseal.api.channel.ChannelOptions;
import io.hopseal.api.channel.ListenerOptions;
import io.hopseal.api.channel.SecureChannel;
import io.hopseal.api.routing.Address;
import io.hopseal.api.routing.Message;
import io.hopseal.api.routing.Route;
import io.hopseal.api.routing.SendResult;
import io.hopseal.impl.channel.DefaultSecureChannelService;
import io.hopseal.support.LastGoodConfigs;
import io.hopseal.impl.credential.Authority;
import io.hopseal.impl.credential.CredentialVerifier;
import io.hopseal.impl.identity.LocalIdentity;
import io.hopseal.impl.memory.MemoryNetwork;
import io.hopseal.node.HopsealNode;
import io.hopseal.impl.routing.DefaultRouter;
import io.hopseal.vault.MemoryVault;

/** The gateway's access-control configuration, as DS would drive it (plain objects, no framework). */
class AccessComponentTest {
    @TempDir
    Path dir;

    static AccessComponent.Config config(String[] authorities, String[] policies, int skew, String folder) {
        return (AccessComponent.Config) Proxy.newProxyInstance(AccessComponent.Config.class.getClassLoader(),
                new Class<?>[] {AccessComponent.Config.class}, (p, m, a) -> switch (m.getName()) {
                    case "authorities" -> authorities;
                    case "policies" -> policies;
                    case "clock_skew_s" -> skew;
                    case "revocation_folder" -> folder;
                    case "revocations_service", "revocations_secure_only" -> true;
                    default -> null;
                });
    }

    @Test
    void configuredAuthoritiesAndPoliciesAreEnforcedAndBadValuesRefused() throws Exception {
        MemoryNetwork net = new MemoryNetwork();
        DefaultRouter router = new DefaultRouter();
        DefaultSecureChannelService channels = new DefaultSecureChannelService(router,
                LocalIdentity.loadOrCreate(new MemoryVault(), Clock.systemUTC()), Clock.systemUTC());
        router.attach(net.attach("gateway"));
        router.register(io.hopseal.api.routing.Address.local("telemetry"), (m, ctx) -> ctx.reply(m, "ok".getBytes()));
        channels.listen("api", ListenerOptions.defaults());
        Authority authority = new Authority(LocalIdentity.loadOrCreate(new MemoryVault(), Clock.systemUTC()));
        String authorityHex = HexFormat.of().formatHex(authority.identity().encodedHistory());

        AccessComponent c = new AccessComponent(channels, router, new io.hopseal.support.LastGoodConfigs(null), config(new String[] {authorityHex},
                new String[] {"telemetry=subject.role = \"sensor\""}, 60, dir.toString()), Map.of());
        assertThat(router.send(Message.to(Route.parse("/service/telemetry"), new byte[1])))
                .isEqualTo(SendResult.DROPPED_ACCESS_DENIED);

        try (HopsealNode device = HopsealNode.builder().memory(net, "device").build()) {
            device.channels().setCredentials(List.of(authority.issue(device.identifier(), Map.of("role", "sensor"),
                    Duration.ofHours(1))));
            SecureChannel ch = device.channels().connect("/mem/gateway/secure/api/service/telemetry",
                    ChannelOptions.defaults()).get(5, TimeUnit.SECONDS);
            ch.send("x".getBytes());
            assertThat(ch.receive(Duration.ofSeconds(5))).isNotNull();

            // bad values: refused as a whole, the previous configuration stays
            assertThat(c.apply(config(new String[] {"00ff"}, new String[] {}, 60, ""))).isFalse();
            assertThat(c.apply(config(new String[] {authorityHex}, new String[] {"telemetry=subject.role = sensor"}, 60, "")))
                    .isFalse();
            assertThat(c.apply(config(new String[] {authorityHex}, new String[] {"no equals sign"}, 60, ""))).isFalse();
            assertThat(c.accessControl().policyFor("telemetry")).isPresent();
            assertThat(c.verifier()).isNotNull();

            // a revocation list sent (by an operator's node) to /service/revocations over a secure channel takes effect
            HopsealNode operator = HopsealNode.builder().memory(net, "operator").build();
            SecureChannel admin = operator.channels().connect(Route.parse("/mem/gateway/service/api"), ChannelOptions.defaults())
                    .get(5, TimeUnit.SECONDS);
            admin.send(Route.parse("/service/revocations"),
                    authority.revocationList(Set.of(device.identifier()), Set.of()).encoded());
            Message answer = admin.receive(Duration.ofSeconds(5));
            assertThat(answer.payload()[0]).isEqualTo((byte) CredentialVerifier.RevocationOutcome.ACCEPTED.ordinal());
            assertThat(ch.whenClosed().toCompletableFuture().get(5, TimeUnit.SECONDS)).isNotNull();
            assertThat(dir.toFile().list()).anyMatch(n -> n.startsWith("revocation-"));
            operator.close();
        }
        c.deactivate();
        channels.close();
        net.close();
    }

    /**
     * Forwarding rules for authenticated peers: a valid list is put in force, a bad pattern or policy is refused naming
     * the field and the rules in force stay.
     */
    @Test
    void forwardingRulesAreAppliedAndBadOnesRefusedNamingTheField() throws Exception {
        DefaultRouter router = new DefaultRouter();
        DefaultSecureChannelService channels = new DefaultSecureChannelService(router,
                LocalIdentity.loadOrCreate(new MemoryVault(), Clock.systemUTC()), Clock.systemUTC());
        Map<String, Object> good = Map.of("service.pid", AccessComponent.PID, "forward.policies",
                new String[] {"tcp:10.0.0.5:4000=subject.role = \"relay\""}, "revocation.folder", dir.toString());
        AccessComponent c = new AccessComponent(channels, router, new LastGoodConfigs(null),
                io.hopseal.support.PropertyTypes.of(AccessComponent.Config.class, good), good);
        try {
            assertThat(c.accessControl().forwardRules()).extracting(Object::toString)
                    .containsExactly("tcp:10.0.0.5:4000=subject.role = \"relay\"");
            for (String bad : new String[] {"tcp:10.0.0.5=true", "tcp:10.0.0.5:4000=subject.role = relay",
                "no rule"}) {
                Map<String, Object> props = Map.of("service.pid", AccessComponent.PID, "forward.policies",
                        new String[] {bad}, "revocation.folder", dir.toString());
                String log = logsOf(() -> c.modified(io.hopseal.support.PropertyTypes.of(AccessComponent.Config.class,
                        props), props));
                assertThat(log).as(bad).contains("configuration refused, forward.policies: ");
                assertThat(c.accessControl().forwardRules()).hasSize(1);
            }
        } finally {
            c.deactivate();
        }
    }

    /** Properties as ConfigurationAdmin holds them, with the component's own. */
    private Map<String, Object> stored(String authorityHex, String policy) {
        return Map.of("service.pid", AccessComponent.PID, "authorities", new String[] {authorityHex},
                "policies", new String[] {policy}, "clock.skew.s", 60, "revocation.folder", dir.toString());
    }

    /**
     * A web console stores whatever is typed (a policy value without its quotes): the running component refuses it
     * and keeps its authorities and policies, and after a restart it runs on the last configuration it accepted
     * instead of starting with none (every service open to anyone).
     */
    @Test
    void afterARestartAnInvalidStoredConfigurationFallsBackToTheLastGoodOne() throws Exception {
        DefaultRouter router = new DefaultRouter();
        DefaultSecureChannelService channels = new DefaultSecureChannelService(router,
                LocalIdentity.loadOrCreate(new MemoryVault(), Clock.systemUTC()), Clock.systemUTC());
        router.register(Address.local("telemetry"), (m, ctx) -> { });
        Authority authority = new Authority(LocalIdentity.loadOrCreate(new MemoryVault(), Clock.systemUTC()));
        String authorityHex = HexFormat.of().formatHex(authority.identity().encodedHistory());
        Map<String, Object> good = stored(authorityHex, "telemetry=subject.role = \"sensor\"");
        Map<String, Object> bad = stored(authorityHex, "telemetry=subject.role = sensor");
        Message plaintext = Message.to(Route.parse("/service/telemetry"), new byte[1]);
        LastGoodConfigs store = new LastGoodConfigs(dir.resolve("last-good"));

        AccessComponent c = new AccessComponent(channels, router, store, io.hopseal.support.PropertyTypes.of(AccessComponent.Config.class, good),
                good);
        String refused = logsOf(() -> c.modified(io.hopseal.support.PropertyTypes.of(AccessComponent.Config.class, bad), bad));
        assertThat(refused).contains("configuration refused, policies: service telemetry");
        assertThat(c.accessControl().policyFor("telemetry")).isPresent();
        c.deactivate();

        AccessComponent[] restarted = new AccessComponent[1];
        String log = logsOf(() -> restarted[0] = new AccessComponent(channels, router, store,
                io.hopseal.support.PropertyTypes.of(AccessComponent.Config.class, bad), bad));
        try {
            assertThat(log).contains("stored configuration refused, policies: service telemetry")
                    .contains("using the last good configuration (1 trusted authorities, policies for [telemetry]) "
                            + "until it is corrected")
                    .doesNotContain(authorityHex.substring(0, 24)).doesNotContain("\"sensor\"");
            assertThat(restarted[0].verifier()).isNotNull();
            assertThat(restarted[0].accessControl().policyFor("telemetry")).isPresent();
            assertThat(router.send(plaintext)).isEqualTo(SendResult.DROPPED_ACCESS_DENIED);
        } finally {
            restarted[0].deactivate();
        }

        // without a store (outside OSGi, or before this change) the same restart starts with none
        AccessComponent[] bare = new AccessComponent[1];
        String bareLog = logsOf(() -> bare[0] = new AccessComponent(channels, router, new io.hopseal.support.LastGoodConfigs(null),
                io.hopseal.support.PropertyTypes.of(AccessComponent.Config.class, bad), bad));
        try {
            assertThat(bareLog).contains("configuration refused, policies: service telemetry")
                    .contains("starting with no authorities and no policies");
            assertThat(bare[0].verifier()).isNull();
            assertThat(bare[0].accessControl().policyFor("telemetry")).isEmpty();
            assertThat(router.send(plaintext)).isEqualTo(SendResult.DELIVERED);
        } finally {
            bare[0].deactivate();
            channels.close();
        }
    }
}
