package io.hopseal.impl.component;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;

import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.hopseal.api.channel.SecureChannelService;
import io.hopseal.api.identity.Identity;
import io.hopseal.api.routing.Address;
import io.hopseal.api.routing.Registration;
import io.hopseal.api.routing.Message;
import io.hopseal.api.routing.Router;
import io.hopseal.api.routing.WorkerContext;
import io.hopseal.impl.access.AccessControl;
import io.hopseal.impl.access.Policy;
import io.hopseal.impl.channel.DefaultSecureChannelService;
import io.hopseal.support.LastGoodConfigs;
import io.hopseal.support.StateFolder;
import io.hopseal.impl.credential.CredentialVerifier;
import io.hopseal.impl.identity.IdentityException;
import io.hopseal.impl.identity.IdentityHistory;
import io.hopseal.impl.routing.DefaultRouter;
import io.hopseal.impl.routing.SecureChannelOnly;

/**
 * Zero-trust settings of the gateway: which authorities' credentials count, the access policy of each service, and
 * where accepted revocation lists are kept. Thin wiring over {@link CredentialVerifier} and {@link AccessControl};
 * a new configuration is validated completely before anything changes, and a refused one leaves the last good one
 * running. The last accepted configuration is kept in the state folder: after a restart with an invalid stored
 * configuration the component runs on that last good one (and says so), else with no authorities and no policies.
 * Also serves {@code /service/revocations}: signed revocation lists sent over secure channels are applied
 * (only a newer list from a trusted authority takes effect: the list authenticates itself). Plain messages to it are
 * dropped unless {@code revocations.secure.only} is turned off.
 */
@Component(name = AccessComponent.PID, immediate = true, configurationPolicy = ConfigurationPolicy.OPTIONAL,
        service = AccessComponent.class, property = "service.pid=" + AccessComponent.PID)
@Designate(ocd = AccessComponent.Config.class)
public final class AccessComponent {
    private static final Logger LOG = LoggerFactory.getLogger(AccessComponent.class);
    public static final String PID = "io.hopseal.access";
    /** Default folder of revocation lists in the state folder. */
    static final String REVOCATIONS_FOLDER = "revocations";

    @ObjectClassDefinition(id = PID, name = "Hopseal access control",
            description = "Who may use which service, decided on cryptographic identities and credentials only. "
                    + "Credentials count only when issued by a trusted authority; a service with a policy is closed "
                    + "to everyone who does not satisfy it (default deny).")
    public @interface Config {
        @AttributeDefinition(name = "Trusted authorities", required = false,
                description = "Public identities (hex, as printed by 'hopseal authority create') of the authorities "
                        + "whose credentials and revocation lists this gateway accepts. One per entry.")
        String[] authorities() default {};

        @AttributeDefinition(name = "Service policies", required = false,
                description = "One entry per service: <service name>=<policy>, e.g. "
                        + "telemetry=subject.role = \"sensor\" and subject.site = \"plant-3\". Syntax: docs/access-control.md.")
        String[] policies() default {};

        @AttributeDefinition(name = "Forwarding for authenticated peers", required = false,
                description = "One entry per rule: <destination pattern>=<policy>, e.g. "
                        + "tcp:10.0.0.5:4000=subject.role = \"relay\". A message that comes out of a secure channel "
                        + "ending at this node is forwarded to a link only when the router's (or its listener's) "
                        + "forward.allow list allows the destination, or when the channel's authenticated peer "
                        + "satisfies the policy of a rule whose pattern matches it (pattern syntax as forward.allow, "
                        + "policy syntax: docs/access-control.md). Empty (the default): no such exemption.")
        String[] forward_policies() default {};

        @AttributeDefinition(name = "Clock skew (s)", min = "0", max = "86400",
                description = "Seconds of clock difference tolerated when checking credential validity windows.")
        int clock_skew_s() default 60;

        @AttributeDefinition(name = "Revocation folder", required = false,
                description = "Folder where accepted revocation lists are kept across restarts; a relative path is relative "
                        + "to the state folder (framework property hopseal.state.dir). Empty: <state folder>/revocations.")
        String revocation_folder() default "";

        @AttributeDefinition(name = "Accept revocation lists",
                description = "Serve /service/revocations, where signed revocation lists can be sent over secure channels.")
        boolean revocations_service() default true;

        @AttributeDefinition(name = "Revocation lists through secure channels only",
                description = "Take revocation lists only from messages that came out of a secure channel (the "
                        + "default): plain messages to /service/revocations are dropped and counted "
                        + "(drop.access_denied). When off, anyone who reaches a transport of this node can make it "
                        + "verify lists and answer (each list still has to be signed by a trusted authority).")
        boolean revocations_secure_only() default true;
    }

    private final DefaultSecureChannelService channels;
    private final DefaultRouter router;
    private final AccessControl accessControl = new AccessControl();
    private volatile CredentialVerifier verifier;
    private Registration revocations;
    private final String configPid;
    /** Where the last accepted configuration is kept, for a restart with an invalid stored one. */
    private final LastGoodConfigs lastGood;
    /** Against which a relative revocation folder is resolved. */
    private final StateFolder state;

    /** A checked configuration: what {@link #apply(Settings)} needs. */
    record Settings(List<Identity> authorities, Map<String, Policy> policies,
            List<AccessControl.ForwardRule> forwardRules, int clockSkewSeconds,
            String revocationFolder, boolean revocationsService, boolean revocationsSecureOnly) {

        /** What is logged: counts and service names, never identities or policy contents. */
        @Override
        public String toString() {
            return authorities.size() + " trusted authorities, policies for " + policies.keySet()
                    + (forwardRules.isEmpty() ? "" : ", forwarding rules for " + forwardRules.stream()
                            .map(r -> r.destination().toString()).toList());
        }
    }

    @Activate
    public AccessComponent(@Reference(name = "Channels") SecureChannelService channels,
                           @Reference(name = "Router") Router router, BundleContext context, Config config,
                           Map<String, Object> properties) {
        this(channels, router, LastGoodConfigs.inStateFolder(context), StateFolder.of(context), config, properties);
    }

    /** Outside OSGi: the state folder from the system properties. */
    AccessComponent(SecureChannelService channels, Router router, LastGoodConfigs store, Config config,
                    Map<String, Object> properties) {
        this(channels, router, store, StateFolder.of(null), config, properties);
    }

    AccessComponent(SecureChannelService channels, Router router, LastGoodConfigs store, StateFolder state,
                    Config config, Map<String, Object> properties) {
        this.state = state;
        this.channels = channels instanceof ChannelsComponent c ? c.delegate() : (DefaultSecureChannelService) channels;
        this.router = router instanceof RouterComponent r ? r.delegate() : (DefaultRouter) router;
        this.lastGood = store;
        this.configPid = Objects.requireNonNullElse(LastGoodConfigs.configurationPid(properties), PID);
        this.router.setAccessControl(accessControl, id -> this.channels.attributeStore().attributes(id));
        Settings s;
        try {
            s = settings(config);
        } catch (IllegalArgumentException e) {
            Optional<Settings> last = lastGood.recall(configPid, Config.class, AccessComponent::settings);
            if (last.isEmpty()) {
                refused(e);
                LOG.warn("{}: starting with no authorities and no policies", PID);
                return;
            }
            LOG.error("{}: stored configuration refused, {}; using the last good configuration ({}) until it is "
                    + "corrected", PID, e.getMessage(), last.get());
            apply(last.get());
            return;
        }
        apply(s);
        lastGood.remember(configPid, properties);
    }

    @Modified
    void modified(Config config, Map<String, Object> properties) {
        if (apply(config)) {
            lastGood.remember(configPid, properties);
        }
    }

    @Deactivate
    void deactivate() {
        if (revocations != null) {
            revocations.close();
        }
        router.setAccessControl(null, id -> Map.of());
        channels.setCredentialVerifier(null);
    }

    /** Validates everything first; applies only a complete, valid configuration. */
    synchronized boolean apply(Config c) {
        Settings s;
        try {
            s = settings(c);
        } catch (IllegalArgumentException e) {
            refused(e);
            return false;
        }
        apply(s);
        return true;
    }

    private static void refused(IllegalArgumentException e) {
        LOG.error("{}: configuration refused, {}; the previous configuration stays in force", PID, e.getMessage());
    }

    /** Checks every value. @throws IllegalArgumentException naming the first bad one */
    static Settings settings(Config c) {
        List<Identity> authorities = new ArrayList<>();
        Map<String, Policy> policies = new TreeMap<>();
        for (String hex : nonBlank(c.authorities())) {
            try {
                authorities.add(IdentityHistory.decode(HexFormat.of().parseHex(hex.strip())));
            } catch (IllegalArgumentException | IdentityException e) {
                throw new IllegalArgumentException("authorities: '" + abbreviate(hex) + "' is not a valid public identity: "
                        + e.getMessage());
            }
        }
        for (String entry : nonBlank(c.policies())) {
            int eq = entry.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("policies: '" + entry + "' must be <service>=<policy>");
            }
            String service = entry.substring(0, eq).strip();
            try {
                Address.local(service);
                policies.put(service, Policy.parse(entry.substring(eq + 1).strip()));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("policies: service " + service + ": " + e.getMessage());
            }
        }
        List<AccessControl.ForwardRule> forwardRules = new ArrayList<>();
        for (String entry : nonBlank(c.forward_policies())) {
            int eq = entry.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("forward.policies: '" + abbreviate(entry)
                        + "' must be <destination pattern>=<policy>, e.g. tcp:10.0.0.5:4000=subject.role = \"relay\"");
            }
            String pattern = entry.substring(0, eq).strip();
            io.hopseal.api.routing.ForwardPattern destination;
            try {
                destination = io.hopseal.api.routing.ForwardPattern.parse(pattern);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("forward.policies: '" + abbreviate(pattern) + "' " + e.getMessage());
            }
            try {
                forwardRules.add(new AccessControl.ForwardRule(destination, Policy.parse(entry.substring(eq + 1).strip())));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("forward.policies: " + destination + ": " + e.getMessage());
            }
        }
        if (!c.revocation_folder().isBlank()) {
            try {
                StateFolder.at(Path.of("/")).resolve(c.revocation_folder()); // the syntax; the folder is not needed
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("revocation.folder: " + e.getMessage());
            }
        }
        if (c.clock_skew_s() < 0 || c.clock_skew_s() > 86_400) {
            throw new IllegalArgumentException("clock.skew.s must be 0..86400, was " + c.clock_skew_s());
        }
        return new Settings(List.copyOf(authorities), policies, List.copyOf(forwardRules), c.clock_skew_s(), c.revocation_folder(),
                c.revocations_service(), c.revocations_secure_only());
    }

    /** Puts a checked configuration in force. */
    private synchronized void apply(Settings s) {
        Path folder = s.revocationFolder().isBlank()
                ? state.adopt(REVOCATIONS_FOLDER, StateFolder.legacyWorkingFolder(REVOCATIONS_FOLDER))
                : state.resolve(s.revocationFolder());
        CredentialVerifier v = s.authorities().isEmpty() ? null
                : new CredentialVerifier(s.authorities(), Duration.ofSeconds(s.clockSkewSeconds()), Clock.systemUTC(),
                        folder);
        verifier = v;
        channels.setCredentialVerifier(v);
        accessControl.replaceAll(s.policies());
        accessControl.replaceForwardRules(s.forwardRules());
        if (revocations != null) {
            revocations.close();
            revocations = null;
        }
        if (s.revocationsService()) {
            boolean secureOnly = s.revocationsSecureOnly();
            revocations = router.register(Address.local("revocations"), new SecureChannelOnly() {
                @Override
                public boolean secureChannelOnly() {
                    return secureOnly;
                }

                @Override
                public void handle(Message m, WorkerContext ctx) {
                    if (secureOnly && m.securePeer() == null) {
                        return; // the router drops these first; this is for a router that does not
                    }
                    CredentialVerifier cv = verifier;
                    CredentialVerifier.RevocationOutcome o = cv == null
                            ? CredentialVerifier.RevocationOutcome.UNKNOWN_ISSUER : cv.apply(m.payload());
                    LOG.info("{}: revocation list from {}: {}", PID, m.securePeer() == null ? "an unauthenticated sender"
                            : m.securePeer(), o);
                    ctx.reply(m, new byte[] {(byte) o.code()});
                }
            });
        }
        LOG.info("{}: {}", PID, s);
    }

    public AccessControl accessControl() {
        return accessControl;
    }

    public CredentialVerifier verifier() {
        return verifier;
    }

    private static List<String> nonBlank(String[] values) {
        List<String> out = new ArrayList<>();
        if (values != null) {
            for (String v : values) {
                if (v != null && !v.isBlank()) {
                    out.add(v);
                }
            }
        }
        return out;
    }

    private static String abbreviate(String s) {
        return s.length() > 24 ? s.substring(0, 24) + "..." : s;
    }
}
