package io.hopseal.impl.node;

import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Function;

import io.hopseal.api.identity.Identifier;
import io.hopseal.api.identity.Identity;
import io.hopseal.api.routing.Address;
import io.hopseal.api.routing.Registration;
import io.hopseal.api.routing.Router;
import io.hopseal.api.routing.Transport;
import io.hopseal.api.routing.Worker;
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
        this.identity = LocalIdentity.loadOrCreate(b.vault != null ? b.vault : new MemoryVault(), b.clock,
                b.historyFile);
        this.channels = new DefaultSecureChannelService(router, identity, b.clock);
        router.setAccessControl(accessControl, id -> channels.attributeStore().attributes(id));
        for (Function<Router, ? extends Transport> f : b.transports) {
            Transport t = f.apply(router);
            router.addTransport(t);
            if (t instanceof AutoCloseable c) {
                closeables.add(c);
            }
        }
        if (b.network != null) {
            closeables.add(b.network.attach(b.networkName, router));
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    public Router router() {
        return router;
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

    /** Builds a node. Without a vault, a fresh in-memory identity is made. */
    public static final class Builder {
        private Vault vault;
        private java.nio.file.Path historyFile;
        private Clock clock = Clock.systemUTC();
        private MemoryNetwork network;
        private String networkName;
        private final List<Function<Router, ? extends Transport>> transports = new ArrayList<>();

        public Builder vault(Vault v) {
            this.vault = Objects.requireNonNull(v, "vault");
            return this;
        }

        /** Where the identity's key history is kept once it has been rotated (next to a persistent vault). */
        public Builder identityHistory(java.nio.file.Path file) {
            this.historyFile = file;
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

        /** Adds a transport made from this node's router (e.g. {@code r -> new TcpTransport(r, config)}). */
        public Builder transport(Function<Router, ? extends Transport> factory) {
            transports.add(Objects.requireNonNull(factory, "factory"));
            return this;
        }

        public HopsealNode build() {
            return new HopsealNode(this);
        }
    }
}
