package io.multiuser.server.admin;

import java.net.URI;

import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.core.Response;

import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;

/**
 * The admin page itself is static (src/main/resources/META-INF/resources/admin/, shipped in the
 * jar: studios run air-gapped); the server's root leads to it.
 */
@Path("/")
public class AdminPageResource {

    static final URI PAGE = URI.create("/admin/");

    @GET
    @Operation(hidden = true)
    @APIResponse(responseCode = "303", description = "To the admin page")
    public Response root() {
        return Response.seeOther(PAGE).build();
    }
}
