package io.multiuser.server.wire.v09;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import io.multiuser.server.protocol.ClientCommand;
import io.multiuser.server.protocol.ClientId;
import io.multiuser.server.protocol.Commit;
import io.multiuser.server.protocol.DataMessage;
import io.multiuser.server.protocol.Datablock;
import io.multiuser.server.protocol.Delta;
import io.multiuser.server.protocol.Node;
import io.multiuser.server.protocol.Payload;
import io.multiuser.server.protocol.ServerCommand;
import io.multiuser.server.wire.CommandCodec;
import io.multiuser.server.wire.CommandFields;
import io.multiuser.server.wire.MalformedMessageException;
import io.multiuser.server.wire.OutboundMessage;
import io.multiuser.server.wire.Pickles;
import io.multiuser.server.wire.PyValues;

/**
 * The three-port protocol of replication 0.9.x (docs/protocol/PROTOCOL-0.9.md sections 2-3, 7,
 * 9-10). Every message on P and P+1 starts with a pickled int, the type number; the frames below
 * never include the routing identity. Commands are {@code [type, owner, pickle(data)]}; a Node is
 * {@code [2, uuid, owner, pickle(deps), data]} and a Commit {@code [1, uuid, pickle(deps), delta]},
 * whose data and delta blobs are opaque: kept and forwarded as received, never unpickled (delta
 * blobs do contain globals). Command pickles are read with the three-port value model, sets
 * included, and never with globals.
 */
public final class V09Codec {

    public static final int COMMIT = 1;
    public static final int NODE = 2;
    public static final int DELETE = 4;
    public static final int RIGHT = 5;
    public static final int SNAPSHOT = 7;
    public static final int SERVER_SNAPSHOT = 8;
    public static final int AUTH = 9;
    public static final int DISCONNECT = 10;
    public static final int KICK = 11;
    public static final int CLIENTS_STATE = 12;
    public static final int USER_METADATA = 13;
    public static final int SERVER_INFO = 14;

    /** Heartbeat words on P+2: single raw frames, not pickled. */
    public static final String HEARTBEAT_INIT = "INIT";
    public static final String HEARTBEAT_PING = "PING";
    public static final String HEARTBEAT_PONG = "PONG";

    /** uuids are 36-character uuid4 strings; a little slack, but no megabyte keys in the graph. */
    public static final int MAX_UUID_CHARS = 128;

    private static final int COMMAND_FRAMES = 3;
    private static final int NODE_FRAMES = 5;
    private static final int COMMIT_FRAMES = 4;
    private static final byte[] REMOVED = "removed".getBytes(StandardCharsets.US_ASCII);

    private V09Codec() {
    }

    /** A decoded command: the owner frame as sent, the checked command, and its type name for logs and metrics. */
    public record DecodedCommand(String ownerFrame, ClientCommand command, String typeName) {
    }

    // ---------------------------------------------------------------- client -> server

    /** {@code [pickle(type), owner, pickle(data)]} from port P. */
    /**
     * The add-on's presence updates are about a kilobyte (a selection of a thousand objects, ~40 kB),
     * and each is forwarded to every other user up to ten times a second: a bigger one is refused.
     */
    public static final int MAX_METADATA_BYTES = 256 * 1024;

    private static byte[] capped(byte[] frame, int max, String what) throws MalformedMessageException {
        if (frame.length > max) {
            throw new MalformedMessageException(what + " of " + frame.length + " bytes exceeds the " + max + "-byte cap");
        }
        return frame;
    }

    public static DecodedCommand decodeCommand(List<byte[]> frames) throws MalformedMessageException {
        if (frames.size() != COMMAND_FRAMES) {
            throw new MalformedMessageException("a command has 3 frames, got " + frames.size());
        }
        int type = typeNumber(frames.get(0));
        String owner = text(frames.get(1), "owner frame");
        byte[] data = frames.get(2);
        ClientCommand command = switch (type) {
            case DELETE -> new ClientCommand.Delete(uuid(PyValues.str(load(data), "Delete data"), "Delete uuid"));
            case RIGHT -> right(load(data));
            case SNAPSHOT -> snapshot(load(data));
            case SERVER_SNAPSHOT -> upload(Pickles.loadsWithViews(data, true)); // payloads: no copy
            case AUTH -> auth(load(data));
            case KICK -> new ClientCommand.Kick(PyValues.str(PyValues.dict(load(data), "Kick data").get("user"),
                    "Kick 'user'"));
            case USER_METADATA -> CommandFields.metadata(load(capped(data, MAX_METADATA_BYTES, "UpdateUserMetadata")),
                    "UpdateUserMetadata data");
            // The answer does not depend on the data ('RQ_INFO'), and it is never forwarded:
            // not unpickling it at all is the fastest and safest way to "accept any data".
            case SERVER_INFO -> new ClientCommand.ServerInfoRequest();
            case COMMIT, NODE -> throw new MalformedMessageException(
                    "type " + type + " (" + typeName(type) + ") is a datablock, not a command on port P");
            default -> throw new MalformedMessageException(
                    "type " + type + " (" + typeName(type) + ") is not a command a client sends");
        };
        return new DecodedCommand(owner, command, typeName(type));
    }

    /** {@code [2, uuid, owner, pickle(deps), data]} or {@code [1, uuid, pickle(deps), delta]} from port P+1. */
    public static DataMessage decodeData(ClientId sender, List<byte[]> frames) throws MalformedMessageException {
        if (frames.isEmpty()) {
            throw new MalformedMessageException("a datablock message has no frames");
        }
        int type = typeNumber(frames.get(0));
        if (type == NODE) {
            expectFrames(frames, NODE_FRAMES, "a Node");
            return new Datablock(sender, new Node(uuid(text(frames.get(1), "Node uuid"), "Node uuid"),
                    text(frames.get(2), "Node owner"), "", dependencies(frames.get(3), "Node"),
                    blob(frames.get(4), "Node data")));
        }
        if (type == COMMIT) {
            expectFrames(frames, COMMIT_FRAMES, "a Commit");
            byte[] deps = frames.get(2);
            return new Commit(sender, uuid(text(frames.get(1), "Commit uuid"), "Commit uuid"),
                    new Delta(dependencies(deps, "Commit"), deps, blob(frames.get(3), "Commit delta")));
        }
        throw new MalformedMessageException("type " + type + " (" + typeName(type) + ") is not a datablock");
    }

    /** Which heartbeat word a P+2 message (identity removed) carries: exactly one frame, one of the three words. */
    public static String decodeHeartbeat(List<byte[]> frames) throws MalformedMessageException {
        if (frames.size() != 1) {
            throw new MalformedMessageException("a heartbeat has 1 frame, got " + frames.size());
        }
        byte[] f = frames.get(0);
        for (String word : List.of(HEARTBEAT_INIT, HEARTBEAT_PING, HEARTBEAT_PONG)) {
            if (Arrays.equals(f, word.getBytes(StandardCharsets.US_ASCII))) {
                return word;
            }
        }
        throw new MalformedMessageException("not a heartbeat word (" + f.length + " bytes)");
    }

    private static ClientCommand right(Object value) throws MalformedMessageException {
        Map<Object, Object> data = PyValues.dict(value, "Right data");
        // A str here is refused, not taken as one uuid: the 0.9 client always sends a list, and its
        // receivers would iterate a str per character. Tuples pass (PyValues.strList).
        List<String> uuids = PyValues.strList(data.get("uuid"), "Right 'uuid'", false);
        for (String uuid : uuids) {
            uuid(uuid, "Right 'uuid' item");
        }
        return new ClientCommand.ChangeRights(uuids, PyValues.str(data.get("owner"), "Right 'owner'"));
    }

    private static ClientCommand snapshot(Object value) throws MalformedMessageException {
        Map<Object, Object> data = PyValues.dict(value, "Snapshot data");
        String state = PyValues.str(data.get("STATE"), "Snapshot 'STATE'");
        return switch (state) {
            case "REQUEST_INIT" -> new ClientCommand.SnapshotRequestInit();
            case "GET" -> new ClientCommand.SnapshotGet(uuid(PyValues.str(data.get("ID"), "Snapshot 'ID'"),
                    "Snapshot 'ID'"));
            case "DONE" -> new ClientCommand.SnapshotDone();
            default -> throw new MalformedMessageException(
                    "unknown Snapshot STATE '" + CommandCodec.printable(state) + "'");
        };
    }

    private static ClientCommand upload(Object value) throws MalformedMessageException {
        Map<Object, Object> data = PyValues.dict(value, "ServerSnapshot data");
        String state = PyValues.str(data.get("STATE"), "ServerSnapshot 'STATE'");
        return switch (state) {
            case "INIT" -> new ClientCommand.UploadInit(PyValues.integer(data.get("SIZE"), "ServerSnapshot 'SIZE'"),
                    PyValues.strList(data.get("NODES"), "ServerSnapshot 'NODES'", false));
            case "SET" -> new ClientCommand.UploadSet(uploadedNode(data.get("DATA")));
            case "END" -> new ClientCommand.UploadEnd();
            default -> throw new MalformedMessageException(
                    "unknown ServerSnapshot STATE '" + CommandCodec.printable(state) + "'");
        };
    }

    /** The 5 chunks of a SET: the frames of a Node message, as a list of bytes inside the pickle. */
    private static Node uploadedNode(Object value) throws MalformedMessageException {
        List<?> chunks = value instanceof List<?> list ? list : null;
        if (chunks == null || chunks.size() != NODE_FRAMES) {
            throw new MalformedMessageException("ServerSnapshot SET 'DATA' must be a list of 5 bytes, got "
                    + (chunks == null ? PyValues.typeName(value) : "a list of " + chunks.size()));
        }
        byte[][] c = new byte[NODE_FRAMES - 1][];
        for (int i = 0; i < c.length; i++) {
            c[i] = PyValues.bytes(chunks.get(i), "ServerSnapshot SET 'DATA' item " + i);
        }
        Payload payload = PyValues.payload(chunks.get(4), "ServerSnapshot SET 'DATA' item 4");
        int type = typeNumber(c[0]);
        if (type != NODE) {
            throw new MalformedMessageException("ServerSnapshot SET chunk 0 must be type 2 (Node), got " + type);
        }
        return new Node(uuid(text(c[1], "SET uuid"), "SET uuid"), text(c[2], "SET owner"), "",
                dependencies(c[3], "SET"), blob(payload, "SET data"));
    }

    private static ClientCommand auth(Object value) throws MalformedMessageException {
        Map<Object, Object> data = PyValues.dict(value, "Auth data");
        return new ClientCommand.Auth(CommandFields.admin(data, "Auth "), CommandFields.userName(data, "Auth "),
                PyValues.optionalStr(data.get("A_PWD"), "Auth 'A_PWD'"),
                PyValues.str(data.get("VERSION"), "Auth 'VERSION'"),
                PyValues.optionalStr(data.get("S_PWD"), "Auth 'S_PWD'"));
    }


    // ---------------------------------------------------------------- server -> client

    /** The three frames {@code [pickle(type), owner, pickle(data)]} of a server command on port P. */
    public static byte[][] encodeCommand(ServerCommand c) {
        int type;
        Object data;
        if (c instanceof ServerCommand.AuthReply reply) {
            type = AUTH;
            data = reply.text();
        } else if (c instanceof ServerCommand.ClientsState state) {
            type = CLIENTS_STATE;
            data = CommandFields.clientsState(state.users());
        } else if (c instanceof ServerCommand.Catalog catalog) {
            type = SNAPSHOT;
            data = CommandFields.dict("STATE", "INIT", "CATALOG", catalog.uuids());
        } else if (c instanceof ServerCommand.UploadReply reply) {
            type = SERVER_SNAPSHOT;
            data = CommandFields.dict("STATE", reply.state());
        } else if (c instanceof ServerCommand.RightChanged right) {
            type = RIGHT;
            data = CommandFields.dict("uuid", right.uuids(), "owner", right.owner());
        } else if (c instanceof ServerCommand.Deleted deleted) {
            type = DELETE;
            data = deleted.uuid();
        } else if (c instanceof ServerCommand.Disconnect disconnect) {
            type = DISCONNECT;
            data = CommandFields.dict("reason", disconnect.reason());
        } else if (c instanceof ServerCommand.SnapshotNode set) {
            OutboundMessage node = encodeNode(set.node());
            List<Object> chunks = new ArrayList<>(Arrays.asList((Object[]) node.frames()));
            chunks.add(node.payload()); // pickled as bytes
            // Exactly sized: a late join sends every payload this way, and a grown buffer and its copy
            // would leave several times the scene in garbage.
            return new byte[][] {typeFrame(SNAPSHOT), utf8(c.ownerFrame()),
                Pickles.dumpsExact(CommandFields.dict("STATE", "SET", "DATA", chunks))};
        } else if (c instanceof ServerCommand.SnapshotRemoved) {
            type = SNAPSHOT;
            data = CommandFields.dict("STATE", "SET", "DATA", REMOVED);
        } else if (c instanceof ServerCommand.MetadataChanged changed) {
            type = USER_METADATA;
            data = changed.metadata();
        } else if (c instanceof ServerCommand.ServerInfo info) {
            type = SERVER_INFO;
            data = CommandFields.dict("private", info.privateSession(), "version", info.version());
        } else {
            throw new IllegalArgumentException("no three-port encoding for " + c);
        }
        return new byte[][] {typeFrame(type), utf8(c.ownerFrame()), Pickles.dumps(data)};
    }

    /** A Node message {@code [2, uuid, owner, pickle(deps), payload]}; the payload itself, not a copy. */
    public static OutboundMessage encodeNode(Node n) {
        // Always a list, [] when empty: the 0.9 client never sees None here.
        return new OutboundMessage(new byte[][] {typeFrame(NODE), utf8(n.uuid()), utf8(n.owner()),
            Pickles.dumps(n.dependencies())}, n.payload());
    }

    /** A Commit message {@code [1, uuid, deps, delta]}, the deps and delta frames exactly as received. */
    public static byte[][] encodeCommit(String uuid, Delta d) {
        return new byte[][] {typeFrame(COMMIT), utf8(uuid), d.dependenciesPickle(), d.blob()};
    }

    /** A fresh PING frame for P+2. */
    public static byte[] pingFrame() {
        return HEARTBEAT_PING.getBytes(StandardCharsets.US_ASCII);
    }

    /** The type frame as the client writes it: PROTO 4, BININT1 n, STOP. A fresh array: callers own their frames. */
    public static byte[] typeFrame(int type) {
        return new byte[] {(byte) 0x80, 4, 'K', (byte) type, '.'};
    }

    /** The names of the commands a client sends on P: exactly what {@link #decodeCommand} can report. */
    public static final List<String> CLIENT_COMMAND_TYPES = List.of("Auth", "UpdateUserMetadata", "Snapshot",
            "ServerSnapshot", "Right", "Delete", "Kick", "RequestServerInfo");

    /** The name of a type number, for logs and metrics. */
    public static String typeName(int type) {
        return switch (type) {
            case COMMIT -> "Commit";
            case NODE -> "Node";
            case 3 -> "Command";
            case DELETE -> "Delete";
            case RIGHT -> "Right";
            case 6 -> "Config";
            case SNAPSHOT -> "Snapshot";
            case SERVER_SNAPSHOT -> "ServerSnapshot";
            case AUTH -> "Auth";
            case DISCONNECT -> "Disconnect";
            case KICK -> "Kick";
            case CLIENTS_STATE -> "UpdateClientsState";
            case USER_METADATA -> "UpdateUserMetadata";
            case SERVER_INFO -> "RequestServerInfo";
            default -> "unknown";
        };
    }

    // ---------------------------------------------------------------- helpers

    /** Frame 0: any pickle of an int 0..255 (the client's 5-byte form is read without an unpickler, by {@link Pickles}). */
    static int typeNumber(byte[] frame) throws MalformedMessageException {
        long type;
        try {
            type = PyValues.integer(Pickles.loads(frame), "type frame");
        } catch (MalformedMessageException e) {
            throw new MalformedMessageException("bad type frame: " + e.getMessage(), e);
        }
        if (type < 0 || type > 255) {
            throw new MalformedMessageException("type number " + type + " is out of range");
        }
        return (int) type;
    }

    private static Object load(byte[] data) throws MalformedMessageException {
        return Pickles.loadsWithSets(data);
    }

    private static List<String> dependencies(byte[] pickle, String what) throws MalformedMessageException {
        // The 0.9 client always sends a list ([] when empty); None is refused like any other non-list.
        List<String> deps = PyValues.strList(Pickles.loads(pickle), what + " dependencies", false);
        for (String dep : deps) {
            uuid(dep, what + " dependency");
        }
        return deps;
    }

    private static String uuid(String uuid, String what) throws MalformedMessageException {
        if (uuid.isEmpty() || uuid.length() > MAX_UUID_CHARS) {
            throw new MalformedMessageException(what + " has " + uuid.length() + " characters (1.."
                    + MAX_UUID_CHARS + ")");
        }
        return uuid;
    }

    private static byte[] blob(byte[] frame, String what) throws MalformedMessageException {
        // An empty blob is no pickle: every receiver would fail to load it.
        if (frame.length == 0) {
            throw new MalformedMessageException(what + " is empty");
        }
        return frame;
    }

    private static Payload blob(Payload payload, String what) throws MalformedMessageException {
        if (payload.length() == 0) {
            throw new MalformedMessageException(what + " is empty"); // as for a frame, above
        }
        return payload;
    }

    private static void expectFrames(List<byte[]> frames, int count, String what) throws MalformedMessageException {
        if (frames.size() != count) {
            throw new MalformedMessageException(what + " has " + count + " frames, got " + frames.size());
        }
    }

    /** Strict UTF-8: malformed input is refused, not replaced, so a name means the same bytes everywhere. */
    private static String text(byte[] frame, String what) throws MalformedMessageException {
        try {
            return StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(frame)).toString();
        } catch (CharacterCodingException e) {
            throw new MalformedMessageException(what + " is not UTF-8 (" + frame.length + " bytes)");
        }
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

}
