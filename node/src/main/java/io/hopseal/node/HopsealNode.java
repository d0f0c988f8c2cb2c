package io.hopseal.node;

import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Supplier;

import io.hopseal.api.identity.Identifier;
import io.hopseal.api.identity.Identity;
import io.hopseal.api.routing.Address;
import io.hopseal.api.routing.Registration;
import io.hopseal.api.routing.Router;
import io.hopseal.api.routing.Worker;
import io.hopseal.api.transport.Transport;
import io.hopseal.api.vault.Vault;
import io.hopseal.impl.channel.DefaultSecureChannelService;
import io.hopseal.impl.identity.LocalIdentity;
import io.hopseal.impl.memory.MemoryNetwork;
import io.hopseal.impl.routing.DefaultRouter;
import io.hopseal.vault.MemoryVault;

/**
 * A Hopseal node in one object, for plain Java (backends, devices, tests): a router, this node's identity from a
 * vault, the secure channel service, and its transports. Closing it closes channels, then transports.
 */
public final class HopsealNode implements AutoCloseable {
    private final DefaultRouter router;
    private final LocalIdentity identity;
    private final DefaultSecureChannelService channels;
    private final List<AutoCloseable> closeables = new ArrayList<>();

    private final io.hopseal.impl.access.AccessControl accessControl = new io.hopseal.impl.access.AccessControl();

    private HopsealNode(Builder b) {
        this.router = new DefaultRouter();
        if (b.forwardPolicy != null) {
            router.setForwardPolicy(b.forwardPolicy); // before any transport is bound: no window without it
        }
        this.identity = LocalIdentity.loadOrCreate(b.vault != null ? b.vault : new MemoryVault(), b.clock,
                b.historyFile);
        this.channels = new DefaultSecureChannelService(router, identity, b.clock);
        if (b.stateFolder != null) {
            channels.setSessionStore(io.hopseal.impl.channel.resume.SessionStore.of(b.stateFolder, identity.vault(),
                    b.clock));
        }
        router.setAccessControl(accessControl, id -> channels.attributeStore().attributes(id));
        List<Transport> all = new ArrayList<>();
        List<Runnable> setUps = new ArrayList<>();
        for (Supplier<? extends Transport> f : b.transports) {
            Transport t = Objects.requireNonNull(f.get(), "transport factory returned null");
            all.add(t);
            SetUp<Transport> setUp = b.setUps.get(f);
            if (setUp != null) {
                setUps.add(() -> {
                    try {
                        setUp.setUp(t);
                    } catch (java.io.IOException e) {
                        throw new java.io.UncheckedIOException("transport " + t.name() + ": " + e.getMessage(), e);
                    }
                });
            }
        }
        if (b.network != null) {
            all.add(b.network.attach(b.networkName));
        }
        for (Transport t : all) {
            AutoCloseable binding = router.attach(t);
            // closed in reverse: the transport first, then its binding
            closeables.add(binding);
            if (t instanceof AutoCloseable c) {
                closeables.add(c);
            }
        }
        try {
            setUps.forEach(Runnable::run); // once the router is attached: a listener's first message finds it
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    public Router router() {
        return router;
    }

    /**
     * The transport of class {@code type} this node was built with, as that class: e.g.
     * {@code node.transport(TcpTransport.class).orElseThrow().listeners().get(0).port()}.
     */
    public <T extends Transport> java.util.Optional<T> transport(Class<T> type) {
        for (Transport t : router.transports()) {
            if (type.isInstance(t)) {
                return java.util.Optional.of(type.cast(t));
            }
        }
        return java.util.Optional.empty();
    }

    public DefaultSecureChannelService channels() {
        return channels;
    }

    /** Per-service access policies, enforced by this node's router. */
    public io.hopseal.impl.access.AccessControl accessControl() {
        return accessControl;
    }

    /** This node's identity with its keys (rotation, signing attestations). */
    public LocalIdentity localIdentity() {
        return identity;
    }

    public Identity identity() {
        return identity.identity();
    }

    public Identifier identifier() {
        return identity.identity().identifier();
    }

    /** Registers a local service (a worker at {@code /service/<name>}). */
    public Registration service(String name, Worker worker) {
        return router.register(Address.local(name), worker);
    }

    @Override
    public void close() {
        channels.close();
        for (int i = closeables.size() - 1; i >= 0; i--) {
            try {
                closeables.get(i).close();
            } catch (Exception e) {
                // keep closing the rest
            }
        }
    }

    @Override
    public String toString() {
        return "HopsealNode[" + identifier() + "]";
    }

    /** What to do with a transport once the node's router has bound it (see {@link Builder#transport(Supplier, SetUp)}). */
    @FunctionalInterface
    public interface SetUp<T extends Transport> {
        void setUp(T transport) throws java.io.IOException;
    }

    /** Builds a node. Without a vault, a fresh in-memory identity is made. */
    public static final class Builder {
        private Vault vault;
        private java.nio.file.Path historyFile;
        private java.nio.file.Path stateFolder;
        private Clock clock = Clock.systemUTC();
        private MemoryNetwork network;
        private String networkName;
        private final List<Supplier<? extends Transport>> transports = new ArrayList<>();
        private final java.util.Map<Supplier<? extends Transport>, SetUp<Transport>> setUps =
                new java.util.IdentityHashMap<>();
        private io.hopseal.impl.routing.ForwardPolicy forwardPolicy;

        public Builder vault(Vault v) {
            this.vault = Objects.requireNonNull(v, "vault");
            return this;
        }

        /** Where the identity's key history is kept once it has been rotated (next to a persistent vault). */
        public Builder identityHistory(java.nio.file.Path file) {
            this.historyFile = file;
            return this;
        }

        /**
         * Where messages that came in from a link may be forwarded (the router's allow list, e.g.
         * {@code ForwardPolicy.parse("tcp:10.0.0.5:4000")}; {@code ForwardPolicy.DENY_ALL} for none). Without it the
         * node forwards everything, as a plain {@link DefaultRouter} does.
         */
        public Builder forwardPolicy(io.hopseal.impl.routing.ForwardPolicy policy) {
            this.forwardPolicy = Objects.requireNonNull(policy, "policy");
            return this;
        }

        /**
         * Where channels and listeners with {@link io.hopseal.api.channel.Resumption} keep their sessions (in its
         * {@code sessions} folder), sealed under this node's vault; without it, resumption is off.
         */
        public Builder stateFolder(java.nio.file.Path folder) {
            this.stateFolder = Objects.requireNonNull(folder, "folder");
            return this;
        }

        public Builder clock(Clock c) {
            this.clock = Objects.requireNonNull(c, "clock");
            return this;
        }

        /** Joins an in-memory network as {@code /mem/<name>}. */
        public Builder memory(MemoryNetwork net, String name) {
            this.network = Objects.requireNonNull(net, "network");
            this.networkName = Objects.requireNonNull(name, "name");
            return this;
        }

        /**
         * Adds a transport, made when the node is built (e.g. {@code TcpTransport::new} or
         * {@code () -> new TcpTransport(config)}); the node's router binds it and the node closes it.
         */
        public Builder transport(Supplier<? extends Transport> factory) {
            transports.add(Objects.requireNonNull(factory, "factory"));
            return this;
        }

        /**
         * Adds a transport and what to do with it once the node's router has bound it, typed as the transport's own
         * class: listen, open ports. E.g. {@code .transport(TcpTransport::new, tcp -> tcp.listen("0.0.0.0", 4000))}
         * or {@code .transport(SerialTransport::new, serial -> serial.addPort(SerialPortConfig.parse(spec)))}. Read it
         * back typed with {@link HopsealNode#transport(Class)}.
         *
         * @throws java.io.UncheckedIOException from {@link #build()} when {@code setUp} fails (e.g. the port is taken);
         *                                      everything built so far is closed again
         */
        @SuppressWarnings("unchecked")
        public <T extends Transport> Builder transport(Supplier<T> factory, SetUp<? super T> setUp) {
            transport(factory);
            setUps.put(factory, (SetUp<Transport>) Objects.requireNonNull(setUp, "setUp"));
            return this;
        }

        public HopsealNode build() {
            return new HopsealNode(this);
        }
    }
}
