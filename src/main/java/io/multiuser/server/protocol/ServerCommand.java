package io.multiuser.server.protocol;

import java.util.List;
import java.util.Map;

/** A command the server sends on port P. {@link #ownerFrame()} is frame 1 as the client sees it. */
public sealed interface ServerCommand {

    String SERVER = "server";

    String ownerFrame();

    /** RepAuthCommand reply: LOBBY, RUNNING or "FAILED: reason". */
    record AuthReply(String text) implements ServerCommand {
        public static final AuthReply LOBBY = new AuthReply("LOBBY");
        public static final AuthReply RUNNING = new AuthReply("RUNNING");

        public static AuthReply failed(String reason) {
            return new AuthReply("FAILED: " + reason);
        }

        @Override
        public String ownerFrame() {
            return SERVER;
        }
    }

    /** RepUpdateClientsState: every logged-in user, keyed by name, in login order. */
    record ClientsState(Map<String, UserView> users) implements ServerCommand {
        @Override
        public String ownerFrame() {
            return SERVER;
        }
    }

    /** RepSnapshotCommand INIT with the catalog of every node uuid. */
    record Catalog(List<String> uuids) implements ServerCommand {
        @Override
        public String ownerFrame() {
            return SERVER;
        }
    }

    /** RepServerSnapshotCommand with a STATE of ACCEPTED, REJECTED or DONE. */
    record UploadReply(String state) implements ServerCommand {
        public static final UploadReply ACCEPTED = new UploadReply("ACCEPTED");
        public static final UploadReply REJECTED = new UploadReply("REJECTED");
        public static final UploadReply DONE = new UploadReply("DONE");

        @Override
        public String ownerFrame() {
            return SERVER;
        }
    }

    /**
     * Right, forwarded with the sender's owner frame or sent by the server's cleanup. The
     * four-port protocol carries one uuid per command, the three-port one a list.
     */
    record RightChanged(String ownerFrame, List<String> uuids, String owner) implements ServerCommand {
        public RightChanged {
            uuids = List.copyOf(uuids);
        }

        public RightChanged(String ownerFrame, String uuid, String owner) {
            this(ownerFrame, List.of(uuid), owner);
        }
    }

    /** RepDeleteCommand, forwarded with the sender's owner frame. */
    record Deleted(String ownerFrame, String uuid) implements ServerCommand {
    }

    /** Snapshot SET (three-port): one node of a join, answering a GET, on port P. */
    record SnapshotNode(Node node) implements ServerCommand {
        @Override
        public String ownerFrame() {
            return SERVER;
        }
    }

    /** Snapshot SET with {@code b'removed'} (three-port): the node asked for is gone. */
    record SnapshotRemoved(String uuid) implements ServerCommand {
        @Override
        public String ownerFrame() {
            return SERVER;
        }
    }

    /** UpdateUserMetadata (three-port): a user's partial metadata, forwarded to the others under its name. */
    record MetadataChanged(String ownerFrame, Map<String, Object> metadata) implements ServerCommand {
    }

    /** RequestServerInfo answer (three-port): whether a session password is set, and our version. */
    record ServerInfo(boolean privateSession, String version) implements ServerCommand {
        @Override
        public String ownerFrame() {
            return SERVER;
        }
    }

    /** RepDisconnectCommand: the client stops its session. */
    record Disconnect(String reason) implements ServerCommand {
        public static final Disconnect KICKED = new Disconnect("kicked by admin");

        @Override
        public String ownerFrame() {
            return SERVER;
        }
    }
}
