package io.hopseal.configstore;

import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Hashtable;

import org.apache.felix.cm.PersistenceManager;
import org.apache.felix.cm.file.FilePersistenceManager;
import org.osgi.framework.BundleActivator;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;

/**
 * Registers {@link SecretMovingStore} as the Felix ConfigAdmin persistence manager named {@value #NAME}; the
 * gateway sets the framework property {@code felix.cm.pm} to that name, so ConfigAdmin stores nothing before this
 * bundle runs. The store's folder is {@code felix.cm.dir}; a typed vault passphrase is never written (kept in
 * ConfigAdmin's memory for this run); one an older gateway stored in clear is moved to
 * {@code <hopseal.data>/}{@value #SECRET_FILE} (see {@link SecretMovingStore#migrate}).
 */
public final class Activator implements BundleActivator {
    /** The persistence manager's name (ConfigAdmin's {@code felix.cm.pm}). */
    public static final String NAME = "hopseal";
    /** The legacy file in the data folder: a vault passphrase an older gateway stored (the vault warns about it). */
    public static final String SECRET_FILE = "vault-passphrase";

    private ServiceRegistration<PersistenceManager> registration;

    @Override
    public void start(BundleContext context) throws Exception {
        String dir = context.getProperty("felix.cm.dir");
        if (dir == null || dir.isBlank()) {
            // not Felix's default (the bundle's data area, which a clean start wipes): the state folder
            dir = io.hopseal.support.StateFolder.of(context).resolve("config").toString();
        }
        String data = context.getProperty("hopseal.data");
        Path folder = Paths.get(dir).toAbsolutePath();
        Path dataFolder = data == null || data.isBlank() ? folder.getParent() : Paths.get(data.strip());
        SecretMovingStore store = new SecretMovingStore(new FilePersistenceManager(context, dir), folder,
                dataFolder.resolve(SECRET_FILE));
        store.migrate();
        Hashtable<String, Object> props = new Hashtable<>();
        props.put(PersistenceManager.PROPERTY_NAME, NAME);
        props.put("service.description", "Hopseal: owner-only configuration files, no vault passphrase in them");
        registration = context.registerService(PersistenceManager.class, store, props);
    }

    @Override
    public void stop(BundleContext context) {
        if (registration != null) {
            registration.unregister();
            registration = null;
        }
    }
}
