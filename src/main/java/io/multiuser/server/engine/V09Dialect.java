package io.multiuser.server.engine;

import java.util.Collections;
import java.util.List;

import io.multiuser.server.memory.HeapPacer;
import io.multiuser.server.protocol.ClientId;
import io.multiuser.server.protocol.DataMessage;
import io.multiuser.server.protocol.Delta;
import io.multiuser.server.protocol.Generation;
import io.multiuser.server.protocol.Node;
import io.multiuser.server.protocol.ServerCommand;
import io.multiuser.server.wire.MalformedMessageException;
import io.multiuser.server.wire.OutboundMessage;
import io.multiuser.server.wire.v09.V09Codec;

/** Replication 0.9.x: typed [type, owner, pickle] commands; Node and Commit messages both ways on P+1. */
final class V09Dialect implements EngineDialect {

    @Override
    public Generation generation() {
        return Generation.V09;
    }

    @Override
    public List<Port> ports() {
        return List.of(Port.COMMANDS, Port.DATA, Port.HEARTBEAT);
    }

    @Override
    public Port dataOut() {
        return Port.DATA;
    }

    @Override
    public DecodedCommand decodeCommand(List<byte[]> frames) throws MalformedMessageException {
        V09Codec.DecodedCommand d = V09Codec.decodeCommand(frames);
        return new DecodedCommand(d.ownerFrame(), d.command(), d.typeName());
    }

    @Override
    public DataMessage decodeData(InboundMessage message, long nowMillis) throws MalformedMessageException {
        List<byte[]> frames = message.frames();
        if (message.droppedFrames() > 0) {
            throw new MalformedMessageException("a datablock has 4 or 5 frames, got "
                    + (message.frameCount() - 1));
        }
        return V09Codec.decodeData(ClientId.of(frames.get(0)), frames.subList(1, frames.size()));
    }

    @Override
    public byte[][] encodeCommand(ServerCommand command) {
        byte[][] frames = V09Codec.encodeCommand(command);
        if (command instanceof ServerCommand.SnapshotNode) {
            // A late join's copy of each node, payload inside the pickle: garbage once sent, and a
            // scene's worth per joiner, faster than the collector's own pace on a fast link.
            HeapPacer.shared().transientBytes(frames[2].length);
        }
        return frames;
    }

    @Override
    public List<OutboundMessage> encodeNode(Node node) {
        return Collections.singletonList(V09Codec.encodeNode(node));
    }

    @Override
    public byte[][] encodeCommit(String uuid, Delta delta) {
        return V09Codec.encodeCommit(uuid, delta);
    }
}
