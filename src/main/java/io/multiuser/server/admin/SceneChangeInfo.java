package io.multiuser.server.admin;

import java.util.List;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** The answer to an import or a reset. */
@Schema(description = "What an import or a reset did")
public record SceneChangeInfo(
        String message,
        @Schema(description = "nodes in the scene now") int nodes,
        @Schema(description = "payload bytes in the scene now") long payloadBytes,
        @Schema(description = "users who were disconnected (force=true)") List<String> disconnected) {

    static SceneChangeInfo of(String message, AdminService.SceneChange change) {
        return new SceneChangeInfo(message, change.nodes(), change.payloadBytes(), change.disconnected());
    }
}
