package io.multiuser.server.admin;

import java.util.List;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

import io.multiuser.server.hosting.SessionSpec;
import io.multiuser.server.protocol.Generation;

/** A session to create at run time; what is left out comes from the server's own settings. */
@Schema(description = "A session to create. Left out: port 0 (a free block), and the protocol, admin password and"
        + " timeout of the server's settings (multiuser.protocol, multiuser.password, multiuser.timeout)")
public record SessionRequest(
        @Schema(description = "1 to 40 characters a-z, 0-9 and '-'", required = true, pattern = "[a-z0-9-]{1,40}")
        String name,
        @Schema(description = "base port P (the session uses P..P+3 with protocol 0.1, P..P+2 with 0.9);"
                + " 0 or left out: the first free block (of multiuser.port-range when set)") Integer port,
        @Schema(enumeration = {"0.1", "0.9"}) String protocol,
        @Schema(description = "password an ADMIN login of this session must give") String adminPassword,
        @Schema(description = "password every login must give (protocol 0.9); left out or empty: a public session")
        String sessionPassword,
        @Schema(description = "heartbeat timeout in milliseconds") Long timeout,
        @Schema(description = "client versions let in; [\"any\"] lets every version in; left out: the versions known to"
                + " speak the protocol") List<String> acceptedVersions,
        @Schema(description = "logins beyond this many users are refused; 0 or left out: no limit") Integer maxUsers,
        @Schema(description = "changes that would grow the scene past this many bytes are refused; 0 or left out: no"
                + " limit") Long maxSceneBytes,
        @Schema(description = "address ranges (CIDR, comma-separated) that may connect; left out: multiuser.allow")
        String allow,
        @Schema(description = "address ranges that may not connect; left out: multiuser.deny") String deny) {

    /** The spec this asks for; {@code server} gives what is left out. Not checked yet ({@link SessionSpec#problems}). */
    SessionSpec toSpec(SessionSpec server, String serverPassword) {
        if (name == null) {
            throw AdminException.badRequest("name is missing: give the session a name (1 to 40 characters a-z, 0-9"
                    + " and '-')");
        }
        Generation generation = server.generation();
        if (protocol != null) {
            generation = Generation.parse(protocol.strip());
            if (generation == null) {
                throw AdminException.badRequest("protocol '" + SessionSpec.shown(protocol) + "' is not a protocol:"
                        + " use 0.1 (add-on 2020, four ports) or 0.9 (add-on 0.6.x, three ports)");
            }
        }
        List<String> versions = generation.knownVersions();
        if (acceptedVersions != null) {
            boolean any = acceptedVersions.stream().anyMatch(v -> v != null && v.strip().equalsIgnoreCase("any"));
            if (any && acceptedVersions.size() > 1) {
                throw AdminException.badRequest("acceptedVersions mixes 'any' with versions: give either [\"any\"] or a"
                        + " list of versions");
            }
            if (acceptedVersions.stream().anyMatch(v -> v == null)) {
                throw AdminException.badRequest("acceptedVersions contains null");
            }
            versions = any ? List.of() : acceptedVersions.stream().map(String::strip).toList();
        }
        return new SessionSpec(name, port == null ? 0 : port, generation,
                adminPassword == null ? serverPassword : adminPassword, sessionPassword == null ? "" : sessionPassword,
                timeout == null ? server.timeoutMillis() : timeout, versions, maxUsers == null ? 0 : maxUsers,
                maxSceneBytes == null ? 0 : maxSceneBytes, allow == null ? server.allow() : allow,
                deny == null ? server.deny() : deny, SessionSpec.Origin.RUNTIME);
    }

    @Override
    public String toString() { // never the passwords
        return "SessionRequest[" + name + ", port " + port + ", protocol " + protocol + "]";
    }
}
