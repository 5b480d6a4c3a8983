package io.multiuser.server.testclient;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.UUID;

import io.multiuser.server.protocol.Node;

/** Scenes for tests: random payloads, each node depending on the one before it. */
public final class Nodes {

    private Nodes() {
    }

    public static List<Node> scene(int count, int payloadBytes, long seed) {
        Random random = new Random(seed);
        List<Node> nodes = new ArrayList<>(count);
        String previous = null;
        for (int i = 0; i < count; i++) {
            String uuid = new UUID(random.nextLong(), random.nextLong()).toString();
            List<String> deps = previous == null ? List.of() : List.of(previous);
            nodes.add(new Node(uuid, Node.COMMON, "SynthNode", deps, payload(random, payloadBytes)));
            previous = uuid;
        }
        return nodes;
    }

    public static byte[] payload(Random random, int size) {
        byte[] bytes = new byte[size];
        random.nextBytes(bytes);
        return bytes;
    }

    /** The same node with a new payload (an edit). */
    public static Node edited(Node node, byte[] payload) {
        return new Node(node.uuid(), node.owner(), node.type(), node.dependencies(), payload);
    }
}
