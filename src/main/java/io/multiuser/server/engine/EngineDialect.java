package io.multiuser.server.engine;

import java.util.List;

import io.multiuser.server.protocol.ClientCommand;
import io.multiuser.server.protocol.DataMessage;
import io.multiuser.server.protocol.Delta;
import io.multiuser.server.protocol.Generation;
import io.multiuser.server.protocol.Node;
import io.multiuser.server.protocol.ServerCommand;
import io.multiuser.server.wire.MalformedMessageException;
import io.multiuser.server.wire.OutboundMessage;

/**
 * The seam between the engine, which is the same for every protocol generation (one thread,
 * selector loop, per-client queues, heartbeats, the session model), and what a generation
 * does differently on the wire: which sockets it binds, and how its frames decode and encode.
 * One instance per engine, used on the engine thread only.
 */
sealed interface EngineDialect permits V01Dialect, V09Dialect {

    static EngineDialect of(Generation generation, long maxMessageBytes) {
        return switch (generation) {
            case V01 -> new V01Dialect(maxMessageBytes);
            case V09 -> new V09Dialect();
        };
    }

    Generation generation();

    /** The sockets, in port order: the first is bound on the base port, the next on base + 1, … */
    List<Port> ports();

    /** The port datablocks go out on (and, three-port, come in on). */
    Port dataOut();

    /** A decoded command with the owner frame the client wrote and a type name for metrics and logs. */
    record DecodedCommand(String ownerFrame, ClientCommand command, String typeName) {
    }

    /** A command message's frames after the routing identity. */
    DecodedCommand decodeCommand(List<byte[]> frames) throws MalformedMessageException;

    /**
     * A message on a data port (frames including the sender's identity or, on a four-port PULL,
     * the identity frame the client writes); null while a four-port datablock waits for its chunks.
     */
    DataMessage decodeData(InboundMessage message, long nowMillis) throws MalformedMessageException;

    /** Forgets half-received input older than {@code maxAgeMillis}; returns how many were dropped. */
    default int expire(long nowMillis, long maxAgeMillis) {
        return 0;
    }

    /** The frames of a command after the receiver's identity. */
    byte[][] encodeCommand(ServerCommand command);

    /** The messages (each its frames after the identity) that carry a whole node to a client. */
    List<OutboundMessage> encodeNode(Node node);

    /** The frames of a Commit after the identity; only the three-port protocol has deltas. */
    byte[][] encodeCommit(String uuid, Delta delta);
}
