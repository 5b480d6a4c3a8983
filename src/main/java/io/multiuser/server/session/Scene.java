package io.multiuser.server.session;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import io.multiuser.server.protocol.Delta;
import io.multiuser.server.protocol.Generation;
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
        chains = Collections.unmodifiableMap(copy);
    }

    /** A scene of whole nodes only (four-port, or a three-port scene without deltas). */
    public static Scene of(List<Node> nodes) {
        return new Scene(nodes, Map.of());
    }

    /**
     * Why this scene cannot be served with {@code generation}, or empty when it can. Three-port
     * nodes have no type name (it is inside their opaque data) and may have chains; four-port
     * nodes always arrive with one. Serving one generation's scene to the other's clients would
     * send them data their add-on cannot read.
     */
    public Optional<String> incompatibleWith(Generation generation) {
        if (generation == Generation.V09) {
            return nodes.stream().filter(n -> !n.type().isEmpty()).findFirst().map(n -> "it holds protocol 0.1 nodes ("
                    + n.uuid() + " of type " + n.type() + "), and this session speaks protocol 0.9");
        }
        if (!chains.isEmpty() || (!nodes.isEmpty() && nodes.stream().allMatch(n -> n.type().isEmpty()))) {
            return Optional.of("it holds a protocol 0.9 scene, and this session speaks protocol 0.1");
        }
        return Optional.empty();
    }

    public List<Delta> chain(String uuid) {
        return chains.getOrDefault(uuid, List.of());
    }

    public long payloadBytes() {
        long bytes = 0;
        for (Node node : nodes) {
            bytes += node.payload().length();
        }
        return bytes;
    }
}
