package io.hopseal.status.kura;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;

import javax.annotation.security.RolesAllowed;
import javax.ws.rs.GET;
import javax.ws.rs.Path;
import javax.ws.rs.Produces;

import org.junit.jupiter.api.Test;
import org.osgi.service.useradmin.Role;
import org.osgi.service.useradmin.UserAdmin;

class KuraStatusResourceTest {
    /** What Kura's REST service reads: GET /services/hopseal/status, JSON, role hopseal.status. */
    @Test
    void itIsAJaxRsResourceBehindKurasRestPermission() throws NoSuchMethodException {
        assertThat(KuraStatusResource.class.getAnnotation(Path.class).value()).isEqualTo("/hopseal");
        Method status = KuraStatusResource.class.getMethod("status");
        assertThat(status.getAnnotation(GET.class)).isNotNull();
        assertThat(status.getAnnotation(Path.class).value()).isEqualTo("/status");
        assertThat(status.getAnnotation(Produces.class).value()).containsExactly("application/json");
        assertThat(status.getAnnotation(RolesAllowed.class).value()).containsExactly("hopseal.status");
        assertThat(KuraStatusResource.PERMISSION).isEqualTo("kura.permission.rest.hopseal.status");
    }

    @Test
    void activationCreatesThePermissionGroupAndTheDocumentNeedsNoService() {
        List<String> created = new ArrayList<>();
        UserAdmin userAdmin = (UserAdmin) Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[] {UserAdmin.class}, (p, m, a) -> {
                    if (m.getName().equals("createRole")) {
                        created.add(a[0] + " " + a[1]);
                        return null;
                    }
                    throw new UnsupportedOperationException(m.getName());
                });
        KuraStatusResource r = new KuraStatusResource(userAdmin);
        assertThat(created).containsExactly("kura.permission.rest.hopseal.status " + Role.GROUP);
        assertThat(r.status()).startsWith("{\"identity\":null,").contains("\"transports\":null");
    }
}
