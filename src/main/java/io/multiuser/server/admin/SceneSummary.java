package io.multiuser.server.admin;

import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

import io.multiuser.server.protocol.Node;
import io.multiuser.server.session.NodeGraph;

/** The scene at a glance: how many nodes of each type, and the biggest ones. */
@Schema(description = "The scene at a glance")
public record SceneSummary(int nodes, long payloadBytes, List<TypeCount> byType, List<NodeInfo> biggest) {

    static final int BIGGEST = 10;

    /** Nodes of one type; protocol 0.9 nodes carry no type on the wire and count as "(none)". */
    public record TypeCount(String type, int nodes, long payloadBytes) {
    }

    /** Call on the engine thread. */
    static SceneSummary of(NodeGraph graph) {
        Map<String, long[]> types = new HashMap<>();
        for (Node node : graph.nodes()) {
            String type = node.type() == null || node.type().isEmpty() ? "(none)" : node.type();
            long[] t = types.computeIfAbsent(type, k -> new long[2]);
            t[0]++;
            t[1] += node.payload().length();
        }
        List<TypeCount> byType = types.entrySet().stream()
                .map(e -> new TypeCount(e.getKey(), (int) e.getValue()[0], e.getValue()[1]))
                .sorted(Comparator.comparingInt(TypeCount::nodes).reversed().thenComparing(TypeCount::type)).toList();
        List<NodeInfo> biggest = graph.nodes().stream()
                .sorted(Comparator.comparingInt((Node n) -> n.payload().length()).reversed()).limit(BIGGEST)
                .map(n -> NodeInfo.of(n, graph)).toList();
        return new SceneSummary(graph.size(), graph.totalBytes(), byType, biggest);
    }
}
