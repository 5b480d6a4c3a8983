package io.multiuser.server.admin;

import java.util.List;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

import io.multiuser.server.session.NodeGraph;

/** One page of the scene's nodes, in catalog order. */
@Schema(description = "One page of the nodes, in catalog (upload) order")
public record NodePage(
        @Schema(description = "1-based page number") int page,
        @Schema(description = "page size asked for") int size,
        @Schema(description = "nodes in the scene") int total,
        @Schema(description = "pages of this size") int pages,
        List<NodeInfo> nodes) {

    /** Call on the engine thread. */
    static NodePage of(NodeGraph graph, int page, int size) {
        int total = graph.size();
        long skip = (long) (page - 1) * size;
        List<NodeInfo> nodes = graph.nodes().stream().skip(skip).limit(size).map(n -> NodeInfo.of(n, graph)).toList();
        return new NodePage(page, size, total, (total + size - 1) / size, nodes);
    }
}
