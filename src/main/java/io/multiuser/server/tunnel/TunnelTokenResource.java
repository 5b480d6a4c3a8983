package io.multiuser.server.tunnel;

import java.util.List;

import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;

import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.security.SecurityRequirement;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;
import org.jboss.resteasy.reactive.RestResponse;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

import io.multiuser.server.admin.AdminApiDefinition;
import io.multiuser.server.admin.AdminException;
import io.multiuser.server.admin.AdminSecured;
import io.multiuser.server.admin.ApiError;
import io.vertx.core.http.HttpServerRequest;

/** Invite tokens of the tunnel, per session: {@code /admin/api/sessions/{session}/tokens}. */
@Path("/admin/api/sessions/{session}/tokens")
@Produces(MediaType.APPLICATION_JSON)
@AdminSecured
@Tag(name = "tunnel", description = "Invite tokens for the encrypted tunnel (connect command)")
@SecurityRequirement(name = AdminApiDefinition.BASIC)
@SecurityRequirement(name = AdminApiDefinition.BEARER)
@APIResponse(responseCode = "401", description = "No credentials",
        content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = ApiError.class)))
@APIResponse(responseCode = "403", description = "Wrong credentials",
        content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = ApiError.class)))
public class TunnelTokenResource {

    private final TunnelInvites invites;

    public TunnelTokenResource(TunnelInvites invites) {
        this.invites = invites;
    }

    @GET
    @Operation(summary = "List a session's tunnel tokens", description = "Id, label, dates and state; never the token.")
    @APIResponse(responseCode = "200", description = "The tokens")
    @APIResponse(responseCode = "404", description = "No such session")
    public List<TokenInfo> list(@PathParam("session") String session) {
        return invites.list(session);
    }

    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    @Operation(summary = "Create a tunnel token", description = "Returns the token once (only its hash is kept), the"
            + " certificate fingerprint when it is self-signed, and the connect command to hand to the artist.")
    @APIResponse(responseCode = "201", description = "Created")
    @APIResponse(responseCode = "400", description = "Bad label or expiry")
    @APIResponse(responseCode = "404", description = "No such session")
    public RestResponse<TokenCreated> create(@PathParam("session") String session, TokenRequest request,
            @Context HttpServerRequest http) {
        TokenRequest r = request == null ? new TokenRequest("", null) : request;
        String host = http.authority() == null ? null : http.authority().host();
        return RestResponse.status(RestResponse.Status.CREATED,
                invites.create(session, r.label(), r.expiresInSeconds(), "admin API (" + peer(http) + ")", host));
    }

    @DELETE
    @Path("{id}")
    @Operation(summary = "Revoke a tunnel token", description = "New tunnel streams with it are refused (403).")
    @APIResponse(responseCode = "200", description = "Revoked")
    @APIResponse(responseCode = "404", description = "No such session or token")
    public TokenInfo revoke(@PathParam("session") String session, @PathParam("id") String id,
            @Context HttpServerRequest http) {
        if (id.isBlank()) {
            throw AdminException.badRequest("a token id is required");
        }
        return invites.revoke(session, id, "admin API (" + peer(http) + ")");
    }

    /** Refusals as the rest of the admin API answers them: status and message. */
    @ServerExceptionMapper
    public RestResponse<ApiError> refused(AdminException e) {
        return RestResponse.ResponseBuilder.<ApiError>create(e.status())
                .entity(new ApiError(e.status(), e.getMessage())).type(MediaType.APPLICATION_JSON).build();
    }

    private static String peer(HttpServerRequest request) {
        return request.remoteAddress() == null ? "unknown address" : request.remoteAddress().hostAddress();
    }
}
