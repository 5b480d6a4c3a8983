package io.multiuser.server.session;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.multiuser.server.protocol.Delta;
import io.multiuser.server.protocol.Node;

/**
 * A whole scene as it moves in and out of a session (store restore, export, import): the nodes in
 * catalog order and, for the three-port protocol, each node's deltas since its payload, oldest first.
 * Nodes and deltas are immutable, so a scene can be handed to another thread as it is.
 */
public record Scene(List<Node> nodes, Map<String, List<Delta>> chains) {

    public static final Scene EMPTY = new Scene(List.of(), Map.of());

    public Scene {
        nodes = List.copyOf(nodes);
        Map<String, List<Delta>> copy = new LinkedHashMap<>();
        chains.forEach((uuid, deltas) -> {
            if (!deltas.isEmpty()) {
                copy.put(uuid, List.copyOf(deltas));
            }
        });
        chains = java.util.Collections.unmodifiableMap(copy);
    }

    /** A scene of whole nodes only (four-port, or a three-port scene without deltas). */
    public static Scene of(List<Node> nodes) {
        return new Scene(nodes, Map.of());
    }

    public List<Delta> chain(String uuid) {
        return chains.getOrDefault(uuid, List.of());
    }

    public long payloadBytes() {
        long bytes = 0;
        for (Node node : nodes) {
            bytes += node.payload().length;
        }
        return bytes;
    }
}
