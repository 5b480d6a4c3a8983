package io.multiuser.server.protocol;

/** A whole node a client pushed (four-port: header and chunks joined; three-port: a Node message), with its sender. */
public record Datablock(ClientId sender, Node node) implements DataMessage {

    @Override
    public String uuid() {
        return node.uuid();
    }
}
