package io.multiuser.server.admin;

import java.io.InputStream;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;

import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.StreamingOutput;
import jakarta.ws.rs.core.UriInfo;

import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.eclipse.microprofile.openapi.annotations.parameters.RequestBody;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.security.SecurityRequirement;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;
import org.jboss.logging.Logger;
import org.jboss.resteasy.reactive.RestResponse;
import org.jboss.resteasy.reactive.RestStreamElementType;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

import io.multiuser.server.hosting.SessionSpec;
import io.multiuser.server.persistence.StoreFormat;
import io.multiuser.server.security.AuditLog;
import io.multiuser.server.security.Ban;
import io.multiuser.server.session.Scene;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.RoutingContext;

/** The admin REST API: JSON over the main HTTP port, every call authenticated ({@link AdminAuthFilter}). */
@Path(AdminResource.BASE)
@Produces(MediaType.APPLICATION_JSON)
@AdminSecured
@Tag(name = "admin", description = "Administer the server and its default session")
@Tag(name = "sessions", description = "Create, list and delete sessions; administer each by name")
@Tag(name = "security", description = "Bans and the audit trail")
@SecurityRequirement(name = AdminApiDefinition.BASIC)
@SecurityRequirement(name = AdminApiDefinition.BEARER)
@APIResponse(responseCode = "401", description = "No credentials",
        content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = ApiError.class)))
@APIResponse(responseCode = "403", description = "Wrong credentials",
        content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = ApiError.class)))
public class AdminResource {

    static final String BASE = "/admin/api";
    static final int MAX_PAGE_SIZE = 500;
    static final String EXPORT_EXTENSION = ".musession";
    static final Duration LIVE_INTERVAL = Duration.ofSeconds(1);
    private static final DateTimeFormatter FILE_STAMP = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss");
    private static final Logger LOG = Logger.getLogger(AdminResource.class);

    private final AdminService admin;

    public AdminResource(AdminService admin) {
        this.admin = admin;
    }

    @GET
    @Path("users")
    @Operation(summary = "List the users", description = "Everyone logged in, in login order.")
    @APIResponse(responseCode = "200", description = "The users")
    @APIResponse(responseCode = "503", ref = AdminApiDefinition.ENGINE_UNAVAILABLE)
    public List<UserInfo> users() {
        return admin.users(SessionSpec.DEFAULT);
    }

    @POST
    @Path("users/{name}/kick")
    @Operation(summary = "Kick a user", description = "Exactly the protocol's admin kick: the client receives"
            + " RepDisconnectCommand {'reason': 'kicked by admin'}, its nodes become COMMON, and it leaves the"
            + " user list.")
    @APIResponse(responseCode = "200", description = "Kicked")
    @APIResponse(responseCode = "404", description = "No user has that name",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = ApiError.class)))
    @APIResponse(responseCode = "503", ref = AdminApiDefinition.ENGINE_UNAVAILABLE)
    public ApiMessage kick(@Parameter(description = "user name, as in the users list") @PathParam("name") String name,
            @Context HttpServerRequest request) {
        return kick(SessionSpec.DEFAULT, name, request);
    }

    @GET
    @Path("session")
    @Operation(summary = "Session info", description = "State, scene size, uptime, ports and version policy.")
    @APIResponse(responseCode = "200", description = "The session")
    @APIResponse(responseCode = "503", ref = AdminApiDefinition.ENGINE_UNAVAILABLE)
    public SessionInfo session() {
        return admin.info(SessionSpec.DEFAULT);
    }

    @GET
    @Path("nodes")
    @Operation(summary = "List the nodes, a page at a time", description = "In catalog (upload) order.")
    @APIResponse(responseCode = "200", description = "One page; past the last page, an empty list")
    @APIResponse(responseCode = "400", description = "page or size out of bounds",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = ApiError.class)))
    @APIResponse(responseCode = "503", ref = AdminApiDefinition.ENGINE_UNAVAILABLE)
    public NodePage nodes(
            @Parameter(description = "1-based page number", schema = @Schema(type = SchemaType.INTEGER, minimum = "1",
                    defaultValue = "1")) @QueryParam("page") @DefaultValue("1") String page,
            @Parameter(description = "nodes per page", schema = @Schema(type = SchemaType.INTEGER, minimum = "1",
                    maximum = "500", defaultValue = "50")) @QueryParam("size") @DefaultValue("50") String size) {
        return admin.nodes(SessionSpec.DEFAULT, intParam("page", page, 1, Integer.MAX_VALUE),
                intParam("size", size, 1, MAX_PAGE_SIZE));
    }

    @GET
    @Path("session/export")
    @Produces(MediaType.APPLICATION_OCTET_STREAM)
    @Operation(summary = "Export the session", description = "The whole scene (every node's uuid, owner, type,"
            + " dependencies and payload, and with protocol 0.9 the deltas received since) as one file, in the"
            + " session log format; import it here or on another server.")
    @APIResponse(responseCode = "200", description = "The export file", content = @Content(
            mediaType = MediaType.APPLICATION_OCTET_STREAM, schema = @Schema(type = SchemaType.STRING, format = "binary")))
    @APIResponse(responseCode = "409", description = "An upload is in progress",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = ApiError.class)))
    @APIResponse(responseCode = "503", ref = AdminApiDefinition.ENGINE_UNAVAILABLE)
    public Response exportSession() {
        return export(SessionSpec.DEFAULT);
    }

    private Response export(String session) {
        Scene scene = admin.sceneForExport(session);
        String prefix = session.equals(SessionSpec.DEFAULT) ? "multi-user-session-" : "multi-user-" + session + "-";
        String name = prefix + LocalDateTime.now().format(FILE_STAMP) + EXPORT_EXTENSION;
        StreamingOutput body = out -> StoreFormat.export(scene, out);
        return Response.ok(body, MediaType.APPLICATION_OCTET_STREAM)
                .header("Content-Disposition", "attachment; filename=\"" + name + "\"").build();
    }

    @POST
    @Path("session/import")
    @Consumes(MediaType.APPLICATION_OCTET_STREAM)
    @Operation(summary = "Import a session", description = "Replaces the scene with an export file (or a"
            + " session.log from a data directory). Node owners become COMMON. The whole file is checked first:"
            + " a damaged one changes nothing. Refused while users are connected, unless force=true, which"
            + " disconnects them (their copy would no longer match).")
    @APIResponse(responseCode = "200", description = "Imported")
    @APIResponse(responseCode = "400", description = "Not an export file, a damaged, empty or truncated one (also"
            + " when cut between two records), or an upload cut short",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = ApiError.class)))
    @APIResponse(responseCode = "409", ref = AdminApiDefinition.USERS_CONNECTED)
    @APIResponse(responseCode = "503", ref = AdminApiDefinition.ENGINE_UNAVAILABLE)
    public SceneChangeInfo importSession(
            @Parameter(description = "disconnect connected users instead of refusing") @QueryParam("force")
            @DefaultValue("false") boolean force,
            @RequestBody(description = "an export file", content = @Content(mediaType = MediaType.APPLICATION_OCTET_STREAM,
                    schema = @Schema(type = SchemaType.STRING, format = "binary"))) InputStream file,
            @Context HttpServerRequest request) {
        AdminService.SceneChange change = admin.importScene(SessionSpec.DEFAULT, file, force,
                "admin API (" + peer(request) + ")");
        return SceneChangeInfo.of("imported " + change.nodes() + " nodes", change);
    }

    @POST
    @Path("session/reset")
    @Operation(summary = "Reset the session", description = "Drops every node; the session waits for a new"
            + " upload (and the store keeps it that way). Refused while users are connected, unless force=true,"
            + " which disconnects them.")
    @APIResponse(responseCode = "200", description = "Reset")
    @APIResponse(responseCode = "409", ref = AdminApiDefinition.USERS_CONNECTED)
    @APIResponse(responseCode = "503", ref = AdminApiDefinition.ENGINE_UNAVAILABLE)
    public SceneChangeInfo resetSession(
            @Parameter(description = "disconnect connected users instead of refusing") @QueryParam("force")
            @DefaultValue("false") boolean force,
            @Context HttpServerRequest request) {
        AdminService.SceneChange change = admin.reset(SessionSpec.DEFAULT, force, "admin API (" + peer(request) + ")");
        return SceneChangeInfo.of("session reset; waiting for an upload", change);
    }

    // ---------------------------------------------------------------- sessions

    @GET
    @Path("sessions")
    @Tag(name = "sessions")
    @Operation(summary = "List the sessions", description = "Every hosted session, default first: name, origin,"
            + " whether it serves (else why not), ports, protocol, users and scene size.")
    @APIResponse(responseCode = "200", description = "The sessions")
    public List<SessionInfo> sessions() {
        return admin.sessions();
    }

    @POST
    @Path("sessions")
    @Consumes(MediaType.APPLICATION_JSON)
    @Tag(name = "sessions")
    @Operation(summary = "Create a session", description = "Starts a session on its own block of ports and"
            + " remembers it in the data directory: it comes back after a restart, scene included. port 0 (or"
            + " none) picks a free block. A session of that name deleted earlier without purge gets its scene back.")
    @APIResponse(responseCode = "201", description = "Created and serving")
    @APIResponse(responseCode = "400", description = "A bad name, port, protocol or setting; the message says which",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = ApiError.class)))
    @APIResponse(responseCode = "409", description = "The name exists, or the ports are taken",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = ApiError.class)))
    public RestResponse<SessionInfo> createSession(SessionRequest request, @Context HttpServerRequest http,
            @Context UriInfo uri) {
        if (request == null) {
            throw AdminException.badRequest("the body must be a JSON object, e.g. {\"name\": \"shot-2\", \"port\": 0}");
        }
        SessionInfo created = admin.create(request, "admin API (" + peer(http) + ")");
        return RestResponse.ResponseBuilder.<SessionInfo>created(
                uri.getBaseUriBuilder().path(BASE).path("sessions").path(created.name()).build())
                .entity(created).build();
    }

    @GET
    @Path("sessions/{session}")
    @Tag(name = "sessions")
    @Operation(summary = "Session info", description = "State, scene size, uptime, ports, limits and version policy.")
    @APIResponse(responseCode = "200", description = "The session")
    @APIResponse(responseCode = "404", ref = AdminApiDefinition.NO_SESSION)
    public SessionInfo session(@PathParam("session") String session) {
        return admin.info(session);
    }

    @DELETE
    @Path("sessions/{session}")
    @Tag(name = "sessions")
    @Operation(summary = "Delete a session", description = "Stops a session created at run time and releases its"
            + " ports. Refused while users are connected unless force=true, which kicks them first. Its data"
            + " directory is kept (create it again to get the scene back) unless purge=true.")
    @APIResponse(responseCode = "200", description = "Deleted")
    @APIResponse(responseCode = "404", ref = AdminApiDefinition.NO_SESSION)
    @APIResponse(responseCode = "409", description = "Users are connected, or the session comes from the"
            + " configuration (default included)",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = ApiError.class)))
    public ApiMessage deleteSession(@PathParam("session") String session,
            @Parameter(description = "kick connected users instead of refusing") @QueryParam("force")
            @DefaultValue("false") boolean force,
            @Parameter(description = "also remove the session's data directory") @QueryParam("purge")
            @DefaultValue("false") boolean purge,
            @Context HttpServerRequest request) {
        admin.delete(session, force, purge, "admin API (" + peer(request) + ")");
        return new ApiMessage("deleted session '" + session + "'" + (purge ? " and its data" : ""));
    }

    @PUT
    @Path("sessions/{session}/network")
    @Consumes(MediaType.APPLICATION_JSON)
    @Tag(name = "security")
    @Operation(summary = "Change a session's address lists", description = "Who may connect, checked at the network"
            + " handshake of every new connection: allow (empty: every address) and deny, comma-separated CIDR ranges,"
            + " IPv4 or IPv6. Connected clients stay. A run-time session remembers them; a configured one keeps"
            + " them until the next start.")
    @APIResponse(responseCode = "200", description = "Changed; the session with its new lists")
    @APIResponse(responseCode = "400", description = "A bad range; the message names it",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = ApiError.class)))
    @APIResponse(responseCode = "404", ref = AdminApiDefinition.NO_SESSION)
    public SessionInfo network(@PathParam("session") String session, NetworkLists lists,
            @Context HttpServerRequest request) {
        if (lists == null) {
            throw AdminException.badRequest("the body must be a JSON object: {\"allow\": \"10.0.0.0/8\", \"deny\": \"\"}");
        }
        return admin.network(session, lists.allow(), lists.deny(), "admin API (" + peer(request) + ")");
    }

    /** A session's address lists, as PUT. */
    public record NetworkLists(String allow, String deny) {
    }

    @GET
    @Path("sessions/{session}/users")
    @Tag(name = "sessions")
    @Operation(summary = "List a session's users", description = "Everyone logged in, in login order.")
    @APIResponse(responseCode = "200", description = "The users")
    @APIResponse(responseCode = "404", ref = AdminApiDefinition.NO_SESSION)
    @APIResponse(responseCode = "503", ref = AdminApiDefinition.ENGINE_UNAVAILABLE)
    public List<UserInfo> users(@PathParam("session") String session) {
        return admin.users(session);
    }

    @POST
    @Path("sessions/{session}/users/{name}/kick")
    @Tag(name = "sessions")
    @Operation(summary = "Kick a user of a session", description = "The protocol's admin kick.")
    @APIResponse(responseCode = "200", description = "Kicked")
    @APIResponse(responseCode = "404", description = "No such session, or no user has that name",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = ApiError.class)))
    @APIResponse(responseCode = "503", ref = AdminApiDefinition.ENGINE_UNAVAILABLE)
    public ApiMessage kick(@PathParam("session") String session, @PathParam("name") String name,
            @Context HttpServerRequest request) {
        if (!admin.kick(session, name, "admin API (" + peer(request) + ")")) {
            throw AdminException.notFound("no user named '" + name + "'"
                    + (session.equals(SessionSpec.DEFAULT) ? "" : " in session '" + session + "'"));
        }
        return new ApiMessage("kicked '" + name + "'");
    }

    @GET
    @Path("sessions/{session}/activity")
    @Tag(name = "sessions")
    @Operation(summary = "A session's last events", description = "Joins, leaves, kicks, timeouts, refused logins,"
            + " uploads and admin actions, newest first (the session keeps its last 200).")
    @APIResponse(responseCode = "200", description = "The events")
    @APIResponse(responseCode = "404", ref = AdminApiDefinition.NO_SESSION)
    @APIResponse(responseCode = "503", ref = AdminApiDefinition.ENGINE_UNAVAILABLE)
    public List<ActivityInfo> activity(@PathParam("session") String session,
            @Parameter(description = "at most this many events (1..200)") @QueryParam("limit") @DefaultValue("50")
            String limit) {
        return admin.activity(session, intParam("limit", limit, 1, 200));
    }

    @GET
    @Path("sessions/{session}/scene")
    @Tag(name = "sessions")
    @Operation(summary = "A session's scene at a glance", description = "Nodes and payload bytes by type, and the"
            + " biggest nodes.")
    @APIResponse(responseCode = "200", description = "The summary")
    @APIResponse(responseCode = "404", ref = AdminApiDefinition.NO_SESSION)
    @APIResponse(responseCode = "503", ref = AdminApiDefinition.ENGINE_UNAVAILABLE)
    public SceneSummary scene(@PathParam("session") String session) {
        return admin.sceneSummary(session);
    }

    @GET
    @Path("sessions/{session}/live")
    @Produces(MediaType.SERVER_SENT_EVENTS)
    @RestStreamElementType(MediaType.APPLICATION_JSON)
    @Tag(name = "sessions")
    @Operation(summary = "A session, live", description = "Server-sent events, one a second: the session's info,"
            + " its users (with snapshot download progress) and its last events. The admin page reads this.")
    @APIResponse(responseCode = "200", description = "The event stream")
    @APIResponse(responseCode = "404", ref = AdminApiDefinition.NO_SESSION)
    public Multi<LiveView> live(@PathParam("session") String session) {
        admin.info(session); // 404 or 503 now, as a status, rather than inside the stream
        return Multi.createFrom().ticks().every(LIVE_INTERVAL).onOverflow().drop()
                .emitOn(Infrastructure.getDefaultWorkerPool()) // the engine call may block for a moment
                .map(tick -> admin.live(session))
                .onFailure(AdminException.class).recoverWithCompletion(); // session gone: the stream ends
    }

    @GET
    @Path("sessions/{session}/nodes")
    @Tag(name = "sessions")
    @Operation(summary = "List a session's nodes, a page at a time", description = "In catalog (upload) order.")
    @APIResponse(responseCode = "200", description = "One page; past the last page, an empty list")
    @APIResponse(responseCode = "400", description = "page or size out of bounds",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = ApiError.class)))
    @APIResponse(responseCode = "404", ref = AdminApiDefinition.NO_SESSION)
    @APIResponse(responseCode = "503", ref = AdminApiDefinition.ENGINE_UNAVAILABLE)
    public NodePage nodes(@PathParam("session") String session,
            @Parameter(description = "1-based page number") @QueryParam("page") @DefaultValue("1") String page,
            @Parameter(description = "nodes per page (at most 500)") @QueryParam("size") @DefaultValue("50") String size) {
        return admin.nodes(session, intParam("page", page, 1, Integer.MAX_VALUE), intParam("size", size, 1, MAX_PAGE_SIZE));
    }

    @GET
    @Path("sessions/{session}/export")
    @Produces(MediaType.APPLICATION_OCTET_STREAM)
    @Tag(name = "sessions")
    @Operation(summary = "Export a session", description = "As session/export, for the named session.")
    @APIResponse(responseCode = "200", description = "The export file", content = @Content(
            mediaType = MediaType.APPLICATION_OCTET_STREAM, schema = @Schema(type = SchemaType.STRING, format = "binary")))
    @APIResponse(responseCode = "404", ref = AdminApiDefinition.NO_SESSION)
    @APIResponse(responseCode = "409", description = "An upload is in progress",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = ApiError.class)))
    @APIResponse(responseCode = "503", ref = AdminApiDefinition.ENGINE_UNAVAILABLE)
    public Response exportSession(@PathParam("session") String session) {
        return export(session);
    }

    @POST
    @Path("sessions/{session}/import")
    @Consumes(MediaType.APPLICATION_OCTET_STREAM)
    @Tag(name = "sessions")
    @Operation(summary = "Import into a session", description = "As session/import, for the named session; the file"
            + " must be of the session's protocol.")
    @APIResponse(responseCode = "200", description = "Imported")
    @APIResponse(responseCode = "400", description = "Not an export file, a damaged, empty or truncated one, or one of"
            + " the other protocol",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = ApiError.class)))
    @APIResponse(responseCode = "404", ref = AdminApiDefinition.NO_SESSION)
    @APIResponse(responseCode = "409", ref = AdminApiDefinition.USERS_CONNECTED)
    @APIResponse(responseCode = "503", ref = AdminApiDefinition.ENGINE_UNAVAILABLE)
    public SceneChangeInfo importSession(@PathParam("session") String session,
            @Parameter(description = "disconnect connected users instead of refusing") @QueryParam("force")
            @DefaultValue("false") boolean force,
            @RequestBody(description = "an export file", content = @Content(mediaType = MediaType.APPLICATION_OCTET_STREAM,
                    schema = @Schema(type = SchemaType.STRING, format = "binary"))) InputStream file,
            @Context HttpServerRequest request) {
        AdminService.SceneChange change = admin.importScene(session, file, force, "admin API (" + peer(request) + ")");
        return SceneChangeInfo.of("imported " + change.nodes() + " nodes", change);
    }

    @POST
    @Path("sessions/{session}/reset")
    @Tag(name = "sessions")
    @Operation(summary = "Reset a session", description = "As session/reset, for the named session.")
    @APIResponse(responseCode = "200", description = "Reset")
    @APIResponse(responseCode = "404", ref = AdminApiDefinition.NO_SESSION)
    @APIResponse(responseCode = "409", ref = AdminApiDefinition.USERS_CONNECTED)
    @APIResponse(responseCode = "503", ref = AdminApiDefinition.ENGINE_UNAVAILABLE)
    public SceneChangeInfo resetSession(@PathParam("session") String session,
            @Parameter(description = "disconnect connected users instead of refusing") @QueryParam("force")
            @DefaultValue("false") boolean force,
            @Context HttpServerRequest request) {
        AdminService.SceneChange change = admin.reset(session, force, "admin API (" + peer(request) + ")");
        return SceneChangeInfo.of("session reset; waiting for an upload", change);
    }

    // ---------------------------------------------------------------- bans and audit

    @GET
    @Path("bans")
    @Tag(name = "security")
    @Operation(summary = "List the bans", description = "Bans in force on every session, oldest first.")
    @APIResponse(responseCode = "200", description = "The bans")
    public List<Ban> bans() {
        return admin.bans();
    }

    @POST
    @Path("bans")
    @Consumes(MediaType.APPLICATION_JSON)
    @Tag(name = "security")
    @Operation(summary = "Ban a user name and/or an address range", description = "On every session, kept across"
            + " restarts. Users online that it matches are kicked. A banned client's login is refused with"
            + " 'FAILED: banned from this server: REASON'; a banned address range is also refused at the network"
            + " handshake.")
    @APIResponse(responseCode = "201", description = "Banned")
    @APIResponse(responseCode = "400", description = "Neither a name nor an address, a bad address, a bad duration",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = ApiError.class)))
    public RestResponse<AdminService.BanResult> ban(BanRequest request, @Context HttpServerRequest http) {
        if (request == null) {
            throw AdminException.badRequest("the body must be a JSON object, e.g. {\"user\": \"mallory\", \"reason\": \"spam\"}");
        }
        return RestResponse.status(RestResponse.Status.CREATED, admin.ban(request, "admin API (" + peer(http) + ")"));
    }

    @DELETE
    @Path("bans/{id}")
    @Tag(name = "security")
    @Operation(summary = "Lift a ban")
    @APIResponse(responseCode = "200", description = "Lifted")
    @APIResponse(responseCode = "404", description = "No ban has that id",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = ApiError.class)))
    public Ban unban(@PathParam("id") String id, @Context HttpServerRequest http) {
        return admin.unban(id, "admin API (" + peer(http) + ")");
    }

    @GET
    @Path("audit")
    @Tag(name = "security")
    @Operation(summary = "The audit trail", description = "Admin actions (kick, ban, unban, import, reset, session"
            + " create and delete, stop) and security refusals (wrong passwords, banned or throttled logins, refused"
            + " API credentials), newest first. The same lines are in DATA/audit.log.")
    @APIResponse(responseCode = "200", description = "The entries")
    public List<AuditLog.Entry> audit(
            @Parameter(description = "at most this many entries (1..1000)") @QueryParam("limit") @DefaultValue("100")
            String limit) {
        return admin.audit(intParam("limit", limit, 1, 1000));
    }

    @POST
    @Path("stop")
    @Operation(summary = "Stop the server", description = "Graceful, as Ctrl+C or SIGTERM: clients are"
            + " disconnected, the four ports are released and the process exits after this answer.")
    @APIResponse(responseCode = "202", description = "Stopping")
    public RestResponse<ApiMessage> stop(@Context RoutingContext context) {
        String by = "admin API (" + peer(context.request()) + ")";
        // Exit once the answer is on its way, not while it is being written.
        context.addEndHandler(done -> admin.stop(by));
        return RestResponse.accepted(new ApiMessage("stopping: the server exits after this answer"));
    }

    @GET
    @Path("help")
    @Produces(MediaType.TEXT_PLAIN)
    @Operation(summary = "What this API and the console can do", description = "Plain text, with curl examples.")
    @APIResponse(responseCode = "200", description = "The help text")
    public String help(@Context UriInfo uri) {
        return AdminHelp.api(uri.getBaseUri().toString());
    }

    @ServerExceptionMapper
    public RestResponse<ApiError> refused(AdminException e) {
        return RestResponse.ResponseBuilder.<ApiError>create(e.status())
                .entity(new ApiError(e.status(), e.getMessage())).type(MediaType.APPLICATION_JSON).build();
    }

    @ServerExceptionMapper
    public Response unexpected(RuntimeException e) {
        if (e instanceof WebApplicationException web) {
            return web.getResponse(); // JAX-RS' own answers (404, 405, ...) stay as they are
        }
        LOG.error("Admin API request failed", e); // the trace goes to the log, not to the client
        return Response.serverError().entity(new ApiError(500, "internal error; the server log has the details"))
                .type(MediaType.APPLICATION_JSON).build();
    }

    private static int intParam(String name, String value, int min, int max) {
        try {
            int n = Integer.parseInt(value.trim());
            if (n >= min && n <= max) {
                return n;
            }
        } catch (NumberFormatException e) {
            // fall through to the same answer as out of range
        }
        String range = max == Integer.MAX_VALUE ? "at least " + min : "between " + min + " and " + max;
        throw AdminException.badRequest(name + " must be a whole number " + range + ", got '" + value + "'");
    }

    private static String peer(HttpServerRequest request) {
        return request.remoteAddress() == null ? "unknown address" : request.remoteAddress().hostAddress();
    }
}
