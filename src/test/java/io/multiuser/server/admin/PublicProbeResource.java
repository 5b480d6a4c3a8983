package io.multiuser.server.admin;

import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;

/** Test-only endpoint without {@link AdminSecured}: shows that the auth filter is bound to the admin API only. */
@Path("/test-probe")
public class PublicProbeResource {

    @GET
    public String probe() {
        return "open";
    }
}
