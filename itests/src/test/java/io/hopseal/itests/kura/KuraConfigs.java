package io.hopseal.itests.kura;

import java.util.Arrays;

import org.osgi.service.cm.ConfigurationAdmin;

/** Configurations written as Kura's ConfigurationService writes them: through ConfigurationAdmin, with kura.service.pid. */
final class KuraConfigs {
    private KuraConfigs() {
    }

    /** A singleton configuration as Kura seeds it (kura.service.pid = pid). */
    static void kuraConfig(ConfigurationAdmin cm, String pid, Object... kv) throws Exception {
        cm.getConfiguration(pid, "?").update(KuraProbe.dict(withKuraPid(kv, pid)));
    }

    /** A factory configuration as Kura's "+" dialog makes it (kura.service.pid = the typed name); returns its pid. */
    static String kuraFactoryConfig(ConfigurationAdmin cm, String factoryPid, String name, Object... kv)
            throws Exception {
        org.osgi.service.cm.Configuration c = cm.createFactoryConfiguration(factoryPid, "?");
        c.update(KuraProbe.dict(withKuraPid(kv, name)));
        return c.getPid();
    }

    private static Object[] withKuraPid(Object[] kv, String kuraPid) {
        Object[] all = Arrays.copyOf(kv, kv.length + 2);
        all[kv.length] = "kura.service.pid";
        all[kv.length + 1] = kuraPid;
        return all;
    }
}
