package io.hopseal.status.kura;

import javax.annotation.security.RolesAllowed;
import javax.ws.rs.GET;
import javax.ws.rs.Path;
import javax.ws.rs.Produces;

import org.osgi.framework.ServiceReference;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.useradmin.Role;
import org.osgi.service.useradmin.UserAdmin;

import io.hopseal.api.channel.SecureChannelService;
import io.hopseal.api.routing.Router;
import io.hopseal.status.StatusDocument;

/**
 * The JSON status on Kura 5: {@code GET https://<gateway>/services/hopseal/status}, behind Kura's own REST
 * authentication. Kura's REST service (bundle {@code org.eclipse.kura.rest.provider}, Kura 5.x) publishes every service
 * whose class carries JAX-RS {@code @Path} under {@code /services} (osgi-jax-rs-connector) and checks
 * {@code @RolesAllowed("x")} against Kura's permission {@code kura.permission.rest.x} (or {@code kura.admin}) of the
 * authenticated Kura user; add-ons create their permission as a UserAdmin group so that Kura's Identities page lists it
 * (as Kura's own {@code AssetRestService} does, tag {@code KURA_5.3.0_RELEASE},
 * {@code kura/org.eclipse.kura.rest.asset.provider/src/main/java/org/eclipse/kura/internal/rest/asset/AssetRestService.java}).
 *
 * <p>Needs UserAdmin, which only Kura provides here: elsewhere the component stays unsatisfied and this class (and
 * the optionally imported JAX-RS and UserAdmin packages) is never loaded. The document is {@link StatusDocument}'s,
 * the same as the embedded gateway's {@code /hopseal/status}: no secrets.
 */
@Path("/hopseal")
@Component(name = KuraStatusResource.NAME, service = KuraStatusResource.class, immediate = true,
        configurationPolicy = ConfigurationPolicy.IGNORE)
public final class KuraStatusResource {
    public static final String NAME = "io.hopseal.status.kura";
    /** The {@code @RolesAllowed} role; Kura checks permission {@value #PERMISSION}. */
    public static final String ROLE = "hopseal.status";
    public static final String PERMISSION = "kura.permission.rest." + ROLE;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    private volatile Router router;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    private volatile ServiceReference<SecureChannelService> channelsRef;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    private volatile SecureChannelService channels;

    /** Creates the permission group (nothing happens if it exists: Kura keeps its members). */
    @Activate
    public KuraStatusResource(@Reference(name = "UserAdmin") UserAdmin userAdmin) {
        userAdmin.createRole(PERMISSION, Role.GROUP);
    }

    @GET
    @Path("/status")
    @RolesAllowed(ROLE)
    @Produces("application/json")
    public String status() {
        return StatusDocument.render(router, channels, channelsRef);
    }
}
