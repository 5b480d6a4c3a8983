package io.multiuser.server.admin;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

import io.multiuser.server.protocol.Node;

/** One node of the scene, without its payload. */
@Schema(description = "A node of the replicated scene (its payload is not shown)")
public record NodeInfo(
        String uuid,
        String type,
        @Schema(description = "user name, or COMMON when anyone may edit it") String owner,
        int payloadBytes,
        int dependencies) {

    static NodeInfo of(Node node) {
        return new NodeInfo(node.uuid(), node.type(), node.owner(), node.payload().length, node.dependencies().size());
    }
}
