package io.multiuser.server.admin;

/** The help texts of the console and the REST API, side by side so they stay in step. */
public final class AdminHelp {

    public static final String CONSOLE = """
            Commands:
              help                    this list
              sessions                the sessions: name, protocol, ports, users, state
              users [session]         the users online: name, admin mark, latency in ms
              kick <user> [session]   disconnect a user (as an admin's kick: its nodes become COMMON)
              ban <user|address[/bits]> [minutes] [reason]
                                      ban on every session (and kick); kept across restarts
              bans                    the bans in force, with their ids
              unban <id>              lift a ban
              token create <session> [hours] <label> | token list [session] | token revoke <session> <id>
                                      invite tokens of the encrypted tunnel (README: one HTTPS port)
              exit                    stop the server gracefully (same as Ctrl+C)
            Without a session name, users and kick act on the session named default.
            The same and more over HTTP: GET /admin/api/help on the HTTP port (default 8080).""";

    private AdminHelp() {
    }

    /** The REST help; {@code baseUri} (e.g. {@code http://host:8080/}) makes its examples copy-paste ready. */
    static String api(String baseUri) {
        String api = baseUri.replaceAll("/+$", "") + AdminResource.BASE;
        return """
                multi-user-server admin API (JSON). Every call needs the admin secret: multiuser.admin.token
                if set, else the admin password (multiuser.password). Give it as HTTP Basic with any user name,
                or as a Bearer token. No credentials: 401; wrong ones: 403.

                  GET  %1$s/users                   users: name, admin, status, latency, address, since, metadata
                  POST %1$s/users/{name}/kick       kick a user, exactly as an admin client does (404: unknown)
                  GET  %1$s/session                 protocol, state, nodes, payload bytes, uptime, ports, versions
                  GET  %1$s/nodes?page=1&size=50    nodes in catalog order, one page (size 1..%2$d) and the total
                  GET  %1$s/session/export          the whole scene as one file (to import here or elsewhere)
                  POST %1$s/session/import          replace the scene with an export file (409 while users are
                                                    connected; ?force=true disconnects them)
                  POST %1$s/session/reset           drop every node, back to waiting (same rule, same ?force=true)
                  GET  %1$s/sessions                every session: name, origin, serving, ports, protocol, users
                  POST %1$s/sessions                create a session: JSON {"name": "shot-2", "port": 0,
                                                    "protocol": "0.9", "sessionPassword": "..."}; port 0 picks
                                                    a free block; it is remembered across restarts
                  GET  %1$s/sessions/{s}            one session (as /session)
                  DELETE %1$s/sessions/{s}          delete a run-time session (409 while users are connected;
                                                    ?force=true kicks them; ?purge=true removes its data too)
                  %1$s/sessions/{s}/users, /users/{name}/kick, /nodes, /export, /import, /reset
                                                    as above, for session {s}; the calls above act on the
                                                    session named default
                  GET  %1$s/bans                    the bans; POST a ban: JSON {"user": "mallory", "address":
                                                    "203.0.113.0/24", "reason": "...", "minutes": 60}
                  DELETE %1$s/bans/{id}             lift a ban
                  GET  %1$s/audit?limit=100         admin actions and security refusals, newest first
                  POST %1$s/stop                    stop the server gracefully (202, then it exits)
                  GET  %1$s/help                    this text

                Examples:
                  curl -u admin:PASSWORD %1$s/users
                  curl -H 'Authorization: Bearer PASSWORD' '%1$s/nodes?page=2&size=100'
                  curl -u admin:PASSWORD -X POST %1$s/users/bob/kick
                  curl -u admin:PASSWORD -H 'Content-Type: application/json' -d '{"name":"shot-2","port":0}' \
                       %1$s/sessions
                  curl -u admin:PASSWORD -OJ %1$s/session/export
                  curl -u admin:PASSWORD --data-binary @scene.musession -H 'Content-Type: application/octet-stream' \\
                       %1$s/session/import

                Without credentials: %3$s/q/openapi (OpenAPI document, ?format=json for JSON)
                and %3$s/q/swagger-ui (browse and try the API).

                Console (when the server runs in a terminal): help, sessions, users [session],
                kick <user> [session], ban, bans, unban, exit.
                """.formatted(api, AdminResource.MAX_PAGE_SIZE, baseUri.replaceAll("/+$", ""));
    }
}
