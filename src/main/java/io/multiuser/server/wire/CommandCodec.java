package io.multiuser.server.wire;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import io.multiuser.server.protocol.ClientCommand;
import io.multiuser.server.protocol.Node;
import io.multiuser.server.protocol.ServerCommand;

/**
 * Commands on port P. A command is three frames after routing: owner, type name, pickle.
 * {@link #decode} turns a client's frames into a checked {@link ClientCommand};
 * {@link #encode} turns a {@link ServerCommand} into the three frames the client expects.
 */
public final class CommandCodec {

    private CommandCodec() {
    }

    /** The command types a client sends on P: exactly the names {@link #decode} accepts. */
    public static final List<String> CLIENT_COMMAND_TYPES = List.of("RepAuthCommand", "RepUpdateUserMetadata",
            "RepSnapshotCommand", "RepServerSnapshotCommand", "RepRightCommand", "RepDeleteCommand",
            "RepKickCommand");

    public static ClientCommand decode(String typeName, byte[] pickle) throws MalformedMessageException {
        return switch (typeName) {
            case "RepAuthCommand" -> auth(Pickles.loads(pickle));
            case "RepUpdateUserMetadata" -> CommandFields.metadata(Pickles.loads(pickle), "metadata");
            case "RepSnapshotCommand" -> snapshot(Pickles.loads(pickle));
            case "RepServerSnapshotCommand" -> upload(Pickles.loadsWithViews(pickle, false)); // payloads: no copy
            case "RepRightCommand" -> rights(Pickles.loads(pickle));
            case "RepDeleteCommand" -> new ClientCommand.Delete(PyValues.str(Pickles.loads(pickle), "uuid"));
            case "RepKickCommand" -> new ClientCommand.Kick(
                    PyValues.str(PyValues.dict(Pickles.loads(pickle), "data").get("user"), "'user'"));
            default -> throw new MalformedMessageException("unknown command type '" + printable(typeName) + "'");
        };
    }

    private static ClientCommand auth(Object value) throws MalformedMessageException {
        Map<Object, Object> data = PyValues.dict(value, "data");
        return new ClientCommand.Auth(CommandFields.admin(data, ""), CommandFields.userName(data, ""),
                PyValues.optionalStr(data.get("PWD"), "'PWD'"),
                PyValues.str(data.get("VERSION"), "'VERSION'"));
    }


    private static ClientCommand snapshot(Object value) throws MalformedMessageException {
        Map<Object, Object> data = PyValues.dict(value, "data");
        String state = PyValues.str(data.get("STATE"), "'STATE'");
        return switch (state) {
            case "REQUEST_INIT" -> new ClientCommand.SnapshotRequestInit();
            case "GET" -> new ClientCommand.SnapshotGet(PyValues.str(data.get("ID"), "'ID'"));
            case "DONE" -> new ClientCommand.SnapshotDone();
            default -> throw new MalformedMessageException("unknown RepSnapshotCommand STATE '" + printable(state) + "'");
        };
    }

    private static ClientCommand upload(Object value) throws MalformedMessageException {
        Map<Object, Object> data = PyValues.dict(value, "data");
        String state = PyValues.str(data.get("STATE"), "'STATE'");
        return switch (state) {
            case "INIT" -> new ClientCommand.UploadInit(PyValues.integer(data.get("SIZE"), "'SIZE'"),
                    PyValues.strList(data.get("NODES"), "'NODES'", false));
            case "SET" -> new ClientCommand.UploadSet(uploadedNode(PyValues.dict(data.get("DATA"), "'DATA'")));
            case "END" -> new ClientCommand.UploadEnd();
            default -> throw new MalformedMessageException(
                    "unknown RepServerSnapshotCommand STATE '" + printable(state) + "'");
        };
    }

    private static Node uploadedNode(Map<Object, Object> data) throws MalformedMessageException {
        // 'dependencies' is itself a pickle (of a list or None) inside the bytes value.
        Object deps = Pickles.loads(PyValues.bytes(data.get("dependencies"), "'dependencies'"));
        return new Node(
                PyValues.utf8(data.get("uuid"), "'uuid'"),
                PyValues.utf8(data.get("owner"), "'owner'"),
                PyValues.utf8(data.get("type"), "'type'"),
                PyValues.strList(deps, "'dependencies'", true),
                PyValues.payload(data.get("data"), "'data'"));
    }

    private static ClientCommand rights(Object value) throws MalformedMessageException {
        Map<Object, Object> data = PyValues.dict(value, "data");
        return new ClientCommand.ChangeRights(PyValues.str(data.get("uuid"), "'uuid'"),
                PyValues.str(data.get("owner"), "'owner'"));
    }

    /** The three frames [owner, typeName, pickle] of a server command. */
    public static byte[][] encode(ServerCommand command) {
        String type;
        Object data;
        if (command instanceof ServerCommand.AuthReply reply) {
            type = "RepAuthCommand";
            data = reply.text();
        } else if (command instanceof ServerCommand.ClientsState state) {
            type = "RepUpdateClientsState";
            data = CommandFields.clientsState(state.users());
        } else if (command instanceof ServerCommand.Catalog catalog) {
            type = "RepSnapshotCommand";
            data = CommandFields.dict("STATE", "INIT", "CATALOG", catalog.uuids());
        } else if (command instanceof ServerCommand.UploadReply reply) {
            type = "RepServerSnapshotCommand";
            data = CommandFields.dict("STATE", reply.state());
        } else if (command instanceof ServerCommand.RightChanged right) {
            if (right.uuids().size() != 1) {
                throw new IllegalArgumentException("a four-port Right carries one uuid, not " + right.uuids().size());
            }
            type = "RepRightCommand";
            data = CommandFields.dict("uuid", right.uuids().get(0), "owner", right.owner());
        } else if (command instanceof ServerCommand.Deleted deleted) {
            type = "RepDeleteCommand";
            data = deleted.uuid();
        } else if (command instanceof ServerCommand.Disconnect disconnect) {
            type = "RepDisconnectCommand";
            data = CommandFields.dict("reason", disconnect.reason());
        } else {
            throw new IllegalArgumentException("no encoding for " + command);
        }
        return new byte[][] {utf8(command.ownerFrame()), utf8(type), Pickles.dumps(data)};
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** A frame as text for a log line: bounded, control characters escaped. */
    public static String printable(String s) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < s.length() && out.length() < 64; i++) {
            char c = s.charAt(i);
            out.append(c < 0x20 || c == 0x7f ? '?' : c);
        }
        return s.length() > 64 ? out + "…" : out.toString();
    }

}
