package io.multiuser.server.wire;

import java.nio.charset.StandardCharsets;
import java.util.List;

import io.multiuser.server.protocol.ClientId;
import io.multiuser.server.protocol.Node;

/**
 * Datablocks: a 6-frame header message followed by {@code chunkCount} one-frame messages whose
 * concatenation is the node payload. Inbound on P+2 frame 0 is the sender's identity;
 * outbound on P+1 it is {@code SERVER_PUSH}.
 */
public final class DatablockCodec {

    public static final int HEADER_FRAMES = 6;
    /** The client sends 1; a few more are tolerated, an absurd count is refused up front. */
    public static final int MAX_CHUNKS = 1024;
    private static final byte[] SERVER_PUSH = "SERVER_PUSH".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] ONE_CHUNK = Pickles.dumps(1);
    private static final byte[] NO_DEPENDENCIES = Pickles.dumps(null);

    private DatablockCodec() {
    }

    /** A decoded inbound header; the payload follows in {@code chunkCount} messages. */
    public record Header(ClientId sender, String uuid, String owner, String type, int chunkCount,
            List<String> dependencies) {
    }

    public static Header decodeHeader(List<byte[]> frames) throws MalformedMessageException {
        if (frames.size() != HEADER_FRAMES) {
            throw new MalformedMessageException("datablock header must have 6 frames, got " + frames.size());
        }
        byte[] identity = frames.get(0);
        if (identity.length == 0 || identity.length > 255) {
            throw new MalformedMessageException("datablock sender identity has " + identity.length + " bytes");
        }
        String uuid = text(frames.get(1), "uuid");
        if (uuid.isEmpty() || uuid.length() > 128) {
            throw new MalformedMessageException("datablock uuid has " + uuid.length() + " characters");
        }
        long chunks = PyValues.integer(Pickles.loads(frames.get(4)), "chunk count");
        if (chunks < 1 || chunks > MAX_CHUNKS) {
            throw new MalformedMessageException("chunk count " + chunks + " is outside 1.." + MAX_CHUNKS);
        }
        List<String> deps = PyValues.strList(Pickles.loads(frames.get(5)), "dependencies", true);
        return new Header(ClientId.of(identity), uuid, text(frames.get(2), "owner"), text(frames.get(3), "type"),
                (int) chunks, deps);
    }

    /** The header frames sent on P+1 after the receiver's identity; the payload goes in one chunk. */
    public static byte[][] encodeHeader(Node node) {
        byte[] deps = node.dependencies().isEmpty() ? NO_DEPENDENCIES : Pickles.dumps(node.dependencies());
        return new byte[][] {SERVER_PUSH, CommandCodec.utf8(node.uuid()), CommandCodec.utf8(node.owner()),
            CommandCodec.utf8(node.type()), ONE_CHUNK, deps};
    }

    private static String text(byte[] frame, String what) throws MalformedMessageException {
        var decoder = StandardCharsets.UTF_8.newDecoder();
        try {
            return decoder.decode(java.nio.ByteBuffer.wrap(frame)).toString();
        } catch (java.nio.charset.CharacterCodingException e) {
            throw new MalformedMessageException("datablock " + what + " is not UTF-8");
        }
    }
}
