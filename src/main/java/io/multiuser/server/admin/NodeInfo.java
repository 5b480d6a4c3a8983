package io.multiuser.server.admin;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

import io.multiuser.server.protocol.Node;
import io.multiuser.server.session.NodeGraph;

/** One node of the scene, without its payload. */
@Schema(description = "A node of the replicated scene (its payload is not shown)")
public record NodeInfo(
        String uuid,
        String type,
        @Schema(description = "user name, or COMMON when anyone may edit it") String owner,
        int payloadBytes,
        int dependencies,
        @Schema(description = "deltas received since its last full payload (protocol 0.9; 0 otherwise)") int chainEntries,
        @Schema(description = "bytes of those deltas") long chainBytes) {

    /** Call on the engine thread. */
    static NodeInfo of(Node node, NodeGraph graph) {
        return new NodeInfo(node.uuid(), node.type(), node.owner(), node.payload().length(), node.dependencies().size(),
                graph.chain(node.uuid()).size(), graph.chainBytes(node.uuid()));
    }
}
