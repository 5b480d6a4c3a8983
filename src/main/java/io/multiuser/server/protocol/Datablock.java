package io.multiuser.server.protocol;

/** A datablock a client pushed on P+2 (header and chunks joined), with its sender. */
public record Datablock(ClientId sender, Node node) {
}
