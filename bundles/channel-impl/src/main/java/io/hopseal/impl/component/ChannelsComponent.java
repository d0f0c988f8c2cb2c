package io.hopseal.impl.component;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;

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

import io.hopseal.api.channel.ChannelListener;
import io.hopseal.api.channel.ChannelOptions;
import io.hopseal.api.channel.KnownPeer;
import io.hopseal.api.channel.ListenerOptions;
import io.hopseal.api.channel.SecureChannel;
import io.hopseal.api.channel.SecureChannelService;
import io.hopseal.api.identity.Identifier;
import io.hopseal.api.identity.Identity;
import io.hopseal.api.identity.TrustPolicy;
import io.hopseal.api.routing.Route;
import io.hopseal.api.routing.Router;
import io.hopseal.api.vault.Vault;
import io.hopseal.impl.channel.DefaultSecureChannelService;
import io.hopseal.support.LastGoodConfigs;
import io.hopseal.support.StateFolder;
import io.hopseal.impl.identity.LocalIdentity;

/**
 * The node's secure channel service: this node's identity (created in the vault on first start, found there again
 * afterwards) and one listener that accepts channels at {@code /service/<listener.name>}.
 *
 * <p>Configuration pid = component name = OCD id = metatype file name = {@value #PID}; required (Kura and the Hopseal
 * gateway seed it with the defaults). A modified configuration applies live: the listener is re-created with the new
 * options while open channels stay open (they keep the options they were accepted with). An invalid value is refused
 * with a log message naming the field and the last good configuration keeps running. The last accepted configuration
 * is kept in the state folder: at activation an invalid value makes the component run on that last good
 * configuration (and say so), else that field falls back to its default.
 *
 * <p>The vault is chosen by the {@code Vault.target} filter (Kura's "select available targets" convention); a vault
 * service change restarts this component with the vault's identity.
 */
@Component(name = ChannelsComponent.PID, immediate = true, configurationPolicy = ConfigurationPolicy.REQUIRE,
        service = SecureChannelService.class, property = "service.pid=" + ChannelsComponent.PID)
@Designate(ocd = ChannelsComponent.Config.class)
public final class ChannelsComponent implements SecureChannelService {
    private static final Logger LOG = LoggerFactory.getLogger(ChannelsComponent.class);

    /** Component name and configuration pid. */
    public static final String PID = "io.hopseal.channels";
    public static final String DEFAULT_VAULT_TARGET = "(kura.service.pid=io.hopseal.vault)";

    @ObjectClassDefinition(id = PID, name = "Hopseal secure channels",
            description = "End-to-end secure channels (Noise XX/KK/IK with identities) to and from this node. The "
                    + "node's identity lives in the selected vault and is created there on first start. Devices and "
                    + "backends reach this node's listener along a route ending in /secure/<listener name>, e.g. "
                    + "/tcp/gateway:4000/secure/api/service/echo. Changes apply at once; open channels stay open.")
    public @interface Config {
        @AttributeDefinition(name = "Listener name",
                description = "Local address at which this node accepts secure channels: peers route to "
                        + "/secure/<name>. 1 to 64 letters, digits, '.', '_' or '-'.")
        String listener_name() default "api";

        @AttributeDefinition(name = "Trusted peers",
                description = "Who may open a channel to this node: 'everyone' (any peer that proves an identity; "
                        + "the channel is still authenticated and encrypted) or a comma-separated list of identifiers "
                        + "(I followed by 40 hex digits). Applies to new channels; open channels stay open.")
        String trust() default "everyone";

        @AttributeDefinition(name = "Handshake timeout (s)",
                description = "How long a peer has to complete a handshake, in seconds (1 to 3600). Slow radio "
                        + "links need tens of seconds.",
                min = "1", max = "3600")
        int handshake_timeout_s() default 30;

        @AttributeDefinition(name = "Replay window (messages)",
                description = "How far out of order a message may arrive and still be accepted, in messages: a "
                        + "multiple of 64 from 64 to 65536. Older or repeated messages are dropped and counted.",
                min = "64", max = "65536")
        int replay_window() default ChannelOptions.DEFAULT_REPLAY_WINDOW;

        @AttributeDefinition(name = "Rekey interval (messages)",
                description = "Channels switch to fresh keys after this many messages in each direction: a power of "
                        + "two from 64 to 1048576.",
                min = "64", max = "1048576")
        long rekey_interval() default ChannelOptions.DEFAULT_REKEY_INTERVAL;

        @AttributeDefinition(name = "Idle timeout (s)",
                description = "A channel to this listener is closed (its peer is told) when nothing has come from "
                        + "the peer for this many seconds, so the memory of devices that were replaced or reset comes "
                        + "back. 0 keeps silent channels open. Choose it above the devices' reporting interval "
                        + "(0 to 31622400). Applies to channels opened after a change.",
                min = "0", max = "31622400")
        long idle_timeout_s() default 0;

        @AttributeDefinition(name = "Session resumption",
                description = "Keep the sessions of all of this listener's channels, sealed under the vault, in the "
                        + "session folder, so that after a restart or an update of the core bundle they go on without "
                        + "a handshake (their peers notice nothing). Off: only channels whose peer is behind a serial, "
                        + "LoRaWAN or ZigBee link are kept (a handshake costs airtime there). Session keys are then on "
                        + "disk: leave the session folder empty for none at all (docs/protocol.md section 5.2).")
        boolean session_resumption() default false;

        @AttributeDefinition(name = "Session folder",
                description = "Folder where resumable sessions are kept (owner-only files); a relative path is taken "
                        + "in the state folder (hopseal.state.dir, e.g. /var/lib/hopseal on Kura). Empty: no channel "
                        + "is ever resumed.")
        String session_folder() default "sessions";

        @AttributeDefinition(name = "Vault target",
                description = "Filter selecting the vault service holding this node's identity, e.g. "
                        + "(kura.service.pid=io.hopseal.vault). Another vault means another identity.")
        String Vault_target() default DEFAULT_VAULT_TARGET;
    }

    /** A checked configuration: what the listener needs. */
    record Settings(String listenerName, String trustText, TrustPolicy trust, int handshakeTimeoutSeconds,
            int replayWindow, long rekeyInterval, long idleTimeoutSeconds, boolean resumption,
            java.nio.file.Path sessionFolder) {

        ListenerOptions listenerOptions() {
            ListenerOptions o = ListenerOptions.trusting(trust).withHandshakeTimeout(Duration.ofSeconds(handshakeTimeoutSeconds))
                    .withReplayWindow(replayWindow).withRekeyInterval(rekeyInterval)
                    .withIdleTimeout(idleTimeoutSeconds == 0 ? null : Duration.ofSeconds(idleTimeoutSeconds));
            return resumption && sessionFolder != null
                    ? o.withResumption(io.hopseal.api.channel.Resumption.named(listenerName)) : o;
        }

        boolean sameListener(Settings o) {
            return o != null && listenerName.equals(o.listenerName) && trustText.equals(o.trustText)
                    && handshakeTimeoutSeconds == o.handshakeTimeoutSeconds && replayWindow == o.replayWindow
                    && rekeyInterval == o.rekeyInterval && idleTimeoutSeconds == o.idleTimeoutSeconds
                    && resumption == o.resumption && Objects.equals(sessionFolder, o.sessionFolder);
        }

        @Override
        public String toString() {
            return "listener=/secure/" + listenerName + ", trust=" + trust + ", handshake.timeout.s="
                    + handshakeTimeoutSeconds + ", replay.window=" + replayWindow + ", rekey.interval=" + rekeyInterval
                    + ", idle.timeout.s=" + idleTimeoutSeconds + ", session.resumption=" + resumption
                    + (sessionFolder == null ? "" : ", session.folder=" + sessionFolder);
        }
    }

    /** An invalid configuration value, naming the field. */
    static final class FieldException extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;
        final String field;

        FieldException(String field, String problem) {
            super(field + " " + problem);
            this.field = field;
        }
    }

    private final DefaultSecureChannelService service;
    private final Vault vault;
    private final Object lock = new Object();
    private volatile Settings active;
    private volatile ChannelListener listener;
    private final String configPid;
    /** Where the last accepted configuration is kept, for a restart with an invalid stored one. */
    private final LastGoodConfigs lastGood;
    /** The node's state folder: a relative session folder lives in it. */
    private final StateFolder state;

    @Activate
    public ChannelsComponent(@Reference(name = "Router") Router router, @Reference(name = "Vault") Vault vault,
            BundleContext context, Config config, Map<String, Object> properties) {
        this(router, vault, LastGoodConfigs.inStateFolder(context), StateFolder.of(context), config, properties);
    }

    ChannelsComponent(Router router, Vault vault, LastGoodConfigs store, Config config,
            Map<String, Object> properties) {
        this(router, vault, store, StateFolder.of(null), config, properties);
    }

    ChannelsComponent(Router router, Vault vault, LastGoodConfigs store, StateFolder state, Config config,
            Map<String, Object> properties) {
        this.lastGood = store;
        this.state = state;
        this.configPid = Objects.requireNonNullElse(LastGoodConfigs.configurationPid(properties), PID);
        Settings s;
        boolean accepted = true;
        try {
            s = settings(config);
        } catch (FieldException e) {
            accepted = false;
            Optional<Settings> last = lastGood.recall(configPid, Config.class, ChannelsComponent::settings);
            if (last.isPresent()) {
                LOG.error("{}: stored configuration refused, invalid {}; using the last good configuration {} until "
                        + "it is corrected", PID, e.getMessage(), last.get());
            }
            s = last.orElseGet(() -> settingsOrDefaults(config));
        }
        LocalIdentity identity = LocalIdentity.loadOrCreate(vault, Clock.systemUTC());
        this.service = new DefaultSecureChannelService(router, identity, Clock.systemUTC());
        useSessionFolder(s, vault);
        this.vault = vault;
        synchronized (lock) {
            try {
                listener = service.listen(s.listenerName(), s.listenerOptions());
            } catch (RuntimeException e) {
                accepted = false;
                LOG.error("{}: cannot listen at /secure/{} ({}): change listener.name", PID, s.listenerName(),
                        e.getMessage());
            }
            active = s;
        }
        LOG.info("{}: identity {}, {}", PID, identity.identity().identifier(), s);
        if (accepted) {
            lastGood.remember(configPid, properties);
        }
    }

    @Modified
    void modified(Config config, Map<String, Object> properties) {
        Settings s;
        try {
            s = settings(config);
        } catch (FieldException e) {
            LOG.error("{}: configuration refused, invalid {}; keeping {}", PID, e.getMessage(), active);
            return;
        }
        synchronized (lock) {
            Settings old = active;
            if (s.sameListener(old) && listener != null) {
                lastGood.remember(configPid, properties);
                return;
            }
            useSessionFolder(s, vault);
            ChannelListener previous = listener;
            boolean sameName = old != null && old.listenerName().equals(s.listenerName());
            if (previous != null && sameName) {
                previous.close(); // free the address first; open channels are not affected
            }
            ChannelListener next;
            try {
                next = service.listen(s.listenerName(), s.listenerOptions());
            } catch (RuntimeException e) {
                LOG.error("{}: configuration refused, listener.name {}: cannot listen at /secure/{} ({}); keeping {}",
                        PID, s.listenerName(), s.listenerName(), e.getMessage(), old);
                if (previous != null && sameName) {
                    try {
                        listener = service.listen(old.listenerName(), old.listenerOptions());
                    } catch (RuntimeException again) {
                        listener = null;
                        LOG.error("{}: cannot listen at /secure/{} again: {}", PID, old.listenerName(),
                                again.getMessage());
                    }
                }
                return;
            }
            listener = next;
            active = s;
            if (previous != null && !sameName) {
                previous.close();
            }
            LOG.info("{}: listener re-created: {}", PID, s);
            lastGood.remember(configPid, properties);
        }
    }

    /** The session store of {@code s}'s folder (none without one): where resumable ends are kept. */
    private void useSessionFolder(Settings s, Vault v) {
        service.setSessionStore(s.sessionFolder() == null ? null
                : io.hopseal.impl.channel.resume.SessionStore.in(state.root().resolve(s.sessionFolder()).normalize(), v,
                        Clock.systemUTC()));
    }

    /**
     * Stops: resumable channel ends are kept in the session folder and closed without a word to their peers, so the
     * next activation (a core bundle update) resumes them without a handshake; the others close as usual.
     */
    @Deactivate
    void deactivate() {
        synchronized (lock) {
            listener = null;
        }
        service.close(); // closes the listener and every channel (reason SERVICE_STOPPED)
        LOG.info("{}: stopped", PID);
    }

    // ---- configuration ---------------------------------------------------------------------------------------

    /** Checks every field. @throws FieldException naming the first bad one */
    static Settings settings(Config c) {
        String name = c.listener_name() == null ? "" : c.listener_name().strip();
        if (!name.matches("[A-Za-z0-9._-]{1,64}")) {
            throw new FieldException("listener.name", "must be 1 to 64 letters, digits, '.', '_' or '-', was '"
                    + c.listener_name() + "'");
        }
        String trustText = c.trust() == null ? "" : c.trust().strip();
        TrustPolicy trust = parseTrust(trustText);
        int timeout = c.handshake_timeout_s();
        if (timeout < 1 || timeout > 3600) {
            throw new FieldException("handshake.timeout.s", "must be 1..3600 seconds, was " + timeout);
        }
        int window = c.replay_window();
        if (window < 64 || window > ChannelOptions.MAX_REPLAY_WINDOW || window % 64 != 0) {
            throw new FieldException("replay.window", "must be a multiple of 64 in 64.."
                    + ChannelOptions.MAX_REPLAY_WINDOW + ", was " + window);
        }
        long rekey = c.rekey_interval();
        if (rekey < ChannelOptions.MIN_REKEY_INTERVAL || rekey > ChannelOptions.MAX_REKEY_INTERVAL
                || Long.bitCount(rekey) != 1) {
            throw new FieldException("rekey.interval", "must be a power of two in " + ChannelOptions.MIN_REKEY_INTERVAL
                    + ".." + ChannelOptions.MAX_REKEY_INTERVAL + " messages, was " + rekey);
        }
        long idle = c.idle_timeout_s();
        if (idle < 0 || idle > 31_622_400L) {
            throw new FieldException("idle.timeout.s", "must be 0 (off) or up to 31622400 seconds, was " + idle);
        }
        String folderText = c.session_folder() == null ? "" : c.session_folder().strip();
        java.nio.file.Path folder = null;
        if (!folderText.isEmpty()) {
            try {
                folder = SessionFolder.of(folderText);
            } catch (IllegalArgumentException e) {
                throw new FieldException("session.folder", e.getMessage());
            }
        }
        if (c.session_resumption() && folder == null) {
            throw new FieldException("session.resumption", "needs a session.folder");
        }
        return new Settings(name, trustText.toLowerCase(Locale.ROOT).equals("everyone") ? "everyone" : trustText,
                trust, timeout, window, rekey, idle, c.session_resumption(), folder);
    }

    /** At activation: bad fields fall back to their defaults, one log line per field. */
    static Settings settingsOrDefaults(Config c) {
        Config current = c;
        for (int attempt = 0; attempt < 8; attempt++) {
            try {
                return settings(current);
            } catch (FieldException e) {
                LOG.error("{}: invalid {}; using the default for {}", PID, e.getMessage(), e.field);
                current = withDefault(current, e.field);
            }
        }
        return settings(Defaults.INSTANCE);
    }

    /** {@code everyone}, or identifiers separated by commas (and/or spaces). */
    static TrustPolicy parseTrust(String text) {
        if (text.isEmpty()) {
            throw new FieldException("trust", "must be 'everyone' or a comma-separated list of identifiers (I + 40 hex "
                    + "digits), was empty");
        }
        if (text.equalsIgnoreCase("everyone")) {
            return TrustPolicy.everyone();
        }
        List<Identifier> ids = new ArrayList<>();
        for (String part : text.split("[,\\s]+")) {
            if (part.isEmpty()) {
                continue;
            }
            try {
                ids.add(Identifier.parse(part));
            } catch (IllegalArgumentException e) {
                throw new FieldException("trust", "must be 'everyone' or a comma-separated list of identifiers: "
                        + e.getMessage());
            }
        }
        if (ids.isEmpty()) {
            throw new FieldException("trust", "names no identifier");
        }
        if (ids.size() == 1) {
            return TrustPolicy.only(ids.get(0));
        }
        return new TrustPolicy.Named("any of " + ids, TrustPolicy.anyOf(ids));
    }

    private static Config withDefault(Config c, String field) {
        return new Config() {
            @Override
            public Class<? extends java.lang.annotation.Annotation> annotationType() {
                return Config.class;
            }

            @Override
            public String listener_name() {
                return field.equals("listener.name") ? Defaults.INSTANCE.listener_name() : c.listener_name();
            }

            @Override
            public String trust() {
                return field.equals("trust") ? Defaults.INSTANCE.trust() : c.trust();
            }

            @Override
            public int handshake_timeout_s() {
                return field.equals("handshake.timeout.s") ? Defaults.INSTANCE.handshake_timeout_s()
                        : c.handshake_timeout_s();
            }

            @Override
            public int replay_window() {
                return field.equals("replay.window") ? Defaults.INSTANCE.replay_window() : c.replay_window();
            }

            @Override
            public long rekey_interval() {
                return field.equals("rekey.interval") ? Defaults.INSTANCE.rekey_interval() : c.rekey_interval();
            }

            @Override
            public long idle_timeout_s() {
                return field.equals("idle.timeout.s") ? Defaults.INSTANCE.idle_timeout_s() : c.idle_timeout_s();
            }

            @Override
            public boolean session_resumption() {
                return field.equals("session.resumption") ? Defaults.INSTANCE.session_resumption() : c.session_resumption();
            }

            @Override
            public String session_folder() {
                return field.equals("session.folder") ? Defaults.INSTANCE.session_folder() : c.session_folder();
            }

            @Override
            public String Vault_target() {
                return c.Vault_target();
            }
        };
    }

    /** The OCD defaults. */
    static final class Defaults implements Config {
        static final Defaults INSTANCE = new Defaults();

        @Override
        public Class<? extends java.lang.annotation.Annotation> annotationType() {
            return Config.class;
        }

        @Override
        public String listener_name() {
            return "api";
        }

        @Override
        public String trust() {
            return "everyone";
        }

        @Override
        public int handshake_timeout_s() {
            return 30;
        }

        @Override
        public int replay_window() {
            return ChannelOptions.DEFAULT_REPLAY_WINDOW;
        }

        @Override
        public long rekey_interval() {
            return ChannelOptions.DEFAULT_REKEY_INTERVAL;
        }

        @Override
        public long idle_timeout_s() {
            return 0;
        }

        @Override
        public boolean session_resumption() {
            return false;
        }

        @Override
        public String session_folder() {
            return "sessions";
        }

        @Override
        public String Vault_target() {
            return DEFAULT_VAULT_TARGET;
        }
    }

    // ---- for the shell commands and diagnostics ---------------------------------------------------------------

    /** The listeners (normally one). */
    public Collection<ChannelListener> listeners() {
        return service.listeners();
    }

    /** The configuration in force. */
    public String settingsText() {
        Settings s = active;
        return s == null ? "none" : s.toString();
    }

    // ---- SecureChannelService: delegation -------------------------------------------------------------------

    @Override
    public Identity identity() {
        return service.identity();
    }

    @Override
    public CompletableFuture<SecureChannel> connect(Route listenerRoute, ChannelOptions options) {
        return service.connect(listenerRoute, options);
    }

    @Override
    public CompletableFuture<SecureChannel> connect(String route, ChannelOptions options) {
        return service.connect(route, options);
    }

    @Override
    public ChannelListener listen(String name, ListenerOptions options) {
        return service.listen(name, options);
    }

    @Override
    public io.hopseal.api.channel.ChannelSession session(String route, ChannelOptions options,
                                                         java.time.Duration initialBackoff,
                                                         java.time.Duration maxBackoff) {
        return service.session(route, options, initialBackoff, maxBackoff);
    }

    @Override
    public io.hopseal.api.channel.ChannelEngine initiatorEngine(ChannelOptions options) {
        return service.initiatorEngine(options);
    }

    @Override
    public io.hopseal.api.channel.ChannelEngine responderEngine(io.hopseal.api.channel.ListenerOptions options) {
        return service.responderEngine(options);
    }

    @Override
    public io.hopseal.api.channel.ChannelEngine resumeEngine(byte[] session, ChannelOptions options) {
        return service.resumeEngine(session, options);
    }

    @Override
    public io.hopseal.api.channel.ChannelEngine resumeEngine(byte[] session,
                                                             io.hopseal.api.channel.ListenerOptions options) {
        return service.resumeEngine(session, options);
    }

    @Override
    public Collection<SecureChannel> channels() {
        return service.channels();
    }

    @Override
    public Optional<KnownPeer> knownPeer(Identifier identifier) {
        return service.knownPeer(identifier);
    }

    @Override
    public void addKnownPeer(KnownPeer peer) {
        service.addKnownPeer(Objects.requireNonNull(peer, "peer"));
    }

    /**
     * The service's counters plus, for each listener, its own counters prefixed {@code listener.<address>.} (so
     * monitoring that only sees {@link SecureChannelService} also sees listener drops).
     */
    @Override
    public Map<String, Long> counters() {
        Map<String, Long> m = new TreeMap<>(service.counters());
        for (ChannelListener l : service.listeners()) {
            String prefix = "listener." + l.address().valueText() + ".";
            l.counters().forEach((k, v) -> m.put(prefix + k, v));
        }
        return m;
    }

    @Override
    public String toString() {
        return "ChannelsComponent[" + service.identity().identifier() + ", " + active + "]";
    }

    /** The channel service behind this component (for the access-control component in this bundle). */
    public DefaultSecureChannelService delegate() {
        return service;
    }
}
