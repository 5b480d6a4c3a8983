package io.multiuser.server.protocol;

import java.util.List;
import java.util.Objects;

/**
 * One node of the replicated graph. The payload is opaque to the server (a pickle written
 * by the client): it is stored and forwarded byte for byte. Its bytes are shared, never
 * modified after construction, so fan-out can send them to every receiver without copies.
 *
 * @param dependencies uuids this node depends on; empty when the client sent none
 */
public record Node(String uuid, String owner, String type, List<String> dependencies, Payload payload) {

    /** The owner value that lets anyone edit a node. */
    public static final String COMMON = "COMMON";

    public Node {
        dependencies = List.copyOf(dependencies);
        Objects.requireNonNull(payload, "payload");
    }

    /** A node whose payload is the whole array, handed over: the caller must not modify it afterwards. */
    public Node(String uuid, String owner, String type, List<String> dependencies, byte[] payload) {
        this(uuid, owner, type, dependencies, Payload.of(payload));
    }

    public Node withOwner(String newOwner) {
        return new Node(uuid, newOwner, type, dependencies, payload);
    }

    @Override
    public String toString() {
        return "Node[" + uuid + ", owner=" + owner + ", type=" + type + ", deps=" + dependencies.size()
                + ", bytes=" + payload.length() + "]";
    }
}
