package io.multiuser.server.engine;

import java.nio.charset.StandardCharsets;
import java.util.List;

import io.multiuser.server.protocol.DataMessage;
import io.multiuser.server.protocol.Delta;
import io.multiuser.server.protocol.Generation;
import io.multiuser.server.protocol.Node;
import io.multiuser.server.protocol.ServerCommand;
import io.multiuser.server.wire.CommandCodec;
import io.multiuser.server.wire.DatablockCodec;
import io.multiuser.server.wire.MalformedMessageException;
import io.multiuser.server.wire.OutboundMessage;

/** Replication 0.1.x: [owner, class name, pickle] commands, datablocks as a header plus chunks on P+2. */
final class V01Dialect implements EngineDialect {

    private final DatablockAssembler assembler;

    V01Dialect(long maxMessageBytes) {
        this.assembler = new DatablockAssembler(maxMessageBytes);
    }

    @Override
    public Generation generation() {
        return Generation.V01;
    }

    @Override
    public List<Port> ports() {
        return List.of(Port.COMMANDS, Port.DATA_OUT, Port.DATA_IN, Port.HEARTBEAT);
    }

    @Override
    public Port dataOut() {
        return Port.DATA_OUT;
    }

    @Override
    public DecodedCommand decodeCommand(List<byte[]> frames) throws MalformedMessageException {
        String owner = new String(frames.get(0), StandardCharsets.UTF_8);
        String type = new String(frames.get(1), StandardCharsets.UTF_8);
        try {
            return new DecodedCommand(owner, CommandCodec.decode(type, frames.get(2)), type);
        } catch (MalformedMessageException e) {
            throw new MalformedMessageException("command '" + CommandCodec.printable(type) + "': " + e.getMessage(), e);
        }
    }

    @Override
    public DataMessage decodeData(InboundMessage message, long nowMillis) throws MalformedMessageException {
        return assembler.accept(message, nowMillis);
    }

    @Override
    public int expire(long nowMillis, long maxAgeMillis) {
        return assembler.expire(nowMillis, maxAgeMillis);
    }

    @Override
    public byte[][] encodeCommand(ServerCommand command) {
        return CommandCodec.encode(command);
    }

    @Override
    public List<OutboundMessage> encodeNode(Node node) {
        // Header and payload chunk: two messages that must stay back to back for each receiver.
        return List.of(OutboundMessage.of(DatablockCodec.encodeHeader(node)),
                OutboundMessage.ofPayload(node.payload()));
    }

    @Override
    public byte[][] encodeCommit(String uuid, Delta delta) {
        throw new UnsupportedOperationException("the four-port protocol has no deltas");
    }
}
