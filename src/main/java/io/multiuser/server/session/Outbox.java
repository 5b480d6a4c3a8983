package io.multiuser.server.session;

import java.util.Collection;

import io.multiuser.server.protocol.ClientId;
import io.multiuser.server.protocol.Delta;
import io.multiuser.server.protocol.Node;
import io.multiuser.server.protocol.ServerCommand;

/**
 * What the session asks the network to do. The engine implements it with sockets; tests
 * record the calls. Every call is made on the engine thread and only queues work.
 */
public interface Outbox {

    /** Sends a command on P to each receiver (encoded once). */
    void send(Collection<ClientId> to, ServerCommand command);

    /** Sends a command on P after a delay. */
    void sendAfter(ClientId to, ServerCommand command, long delayMillis);

    /**
     * Sends a node as a datablock on P+1 (four-port: header and chunk; three-port: a Node message)
     * to each receiver (encoded once, payload shared).
     */
    void push(Collection<ClientId> to, Node node);

    /** Sends a Commit (three-port) on P+1 to each receiver, its blobs as received. */
    void pushDelta(Collection<ClientId> to, String uuid, Delta delta);

    /** Sends PING on the heartbeat port. */
    void ping(ClientId to);

    /** The client left: discard its queued datablocks; commands already queued still go out. */
    void forget(ClientId id);

    default void send(ClientId to, ServerCommand command) {
        send(java.util.List.of(to), command);
    }
}
