package io.multiuser.server.protocol;

import java.util.List;
import java.util.Map;

/**
 * A command a client sends on port P, already decoded and type-checked. Handled through
 * {@link Handler}, which names every kind: a new command cannot be silently ignored, since every
 * handler stops compiling until it says what to do with it.
 */
public sealed interface ClientCommand {

    <R> R accept(Handler<R> handler);

    /** One method per kind of command. */
    interface Handler<R> {
        R auth(Auth command);

        R metadata(UpdateUserMetadata command);

        R requestInit(SnapshotRequestInit command);

        R get(SnapshotGet command);

        R done(SnapshotDone command);

        R uploadInit(UploadInit command);

        R uploadSet(UploadSet command);

        R uploadEnd(UploadEnd command);

        R rights(ChangeRights command);

        R delete(Delete command);

        R kick(Kick command);

        R serverInfo(ServerInfoRequest command);
    }

    /**
     * Login. {@code password} is the admin password (null for a CLIENT login); {@code sessionPassword}
     * is the three-port session password as sent (null where the generation has none).
     */
    record Auth(boolean admin, String name, String password, String version, String sessionPassword)
            implements ClientCommand {

        @Override
        public <R> R accept(Handler<R> handler) {
            return handler.auth(this);
        }

        /** A login without a session password (the four-port protocol has none). */
        public Auth(boolean admin, String name, String password, String version) {
            this(admin, name, password, version, null);
        }

        @Override
        public String toString() {
            // Never let a password reach a log line through toString().
            return "Auth[admin=" + admin + ", name=" + name + ", version=" + version + "]";
        }
    }

    /** RepUpdateUserMetadata: merged into the sender's metadata (Python dict.update). */
    record UpdateUserMetadata(Map<String, Object> metadata) implements ClientCommand {

        @Override
        public <R> R accept(Handler<R> handler) {
            return handler.metadata(this);
        }
    }

    /** RepSnapshotCommand REQUEST_INIT: a joiner asks for the catalog. */
    record SnapshotRequestInit() implements ClientCommand {

        @Override
        public <R> R accept(Handler<R> handler) {
            return handler.requestInit(this);
        }
    }

    /** RepSnapshotCommand GET: a joiner asks for one node. */
    record SnapshotGet(String uuid) implements ClientCommand {

        @Override
        public <R> R accept(Handler<R> handler) {
            return handler.get(this);
        }
    }

    /** RepSnapshotCommand DONE: a joiner stored every node of its catalog. */
    record SnapshotDone() implements ClientCommand {

        @Override
        public <R> R accept(Handler<R> handler) {
            return handler.done(this);
        }
    }

    /** RepServerSnapshotCommand INIT: an admin announces an upload. */
    record UploadInit(long size, List<String> nodes) implements ClientCommand {

        @Override
        public <R> R accept(Handler<R> handler) {
            return handler.uploadInit(this);
        }
    }

    /** RepServerSnapshotCommand SET: one node of an upload. */
    record UploadSet(Node node) implements ClientCommand {

        @Override
        public <R> R accept(Handler<R> handler) {
            return handler.uploadSet(this);
        }
    }

    /** RepServerSnapshotCommand END: the uploader sent every node. */
    record UploadEnd() implements ClientCommand {

        @Override
        public <R> R accept(Handler<R> handler) {
            return handler.uploadEnd(this);
        }
    }

    /** Right: change the owner of nodes (four-port: always one; three-port: a list). */
    record ChangeRights(List<String> uuids, String owner) implements ClientCommand {

        @Override
        public <R> R accept(Handler<R> handler) {
            return handler.rights(this);
        }
        public ChangeRights {
            uuids = List.copyOf(uuids);
        }

        public ChangeRights(String uuid, String owner) {
            this(List.of(uuid), owner);
        }
    }

    /** RepDeleteCommand: remove a node. */
    record Delete(String uuid) implements ClientCommand {

        @Override
        public <R> R accept(Handler<R> handler) {
            return handler.delete(this);
        }
    }

    /** RepKickCommand: an admin asks to remove a user. */
    record Kick(String user) implements ClientCommand {

        @Override
        public <R> R accept(Handler<R> handler) {
            return handler.kick(this);
        }
    }

    /** RequestServerInfo (three-port): any identity, logged in or not, asks whether the session is private. */
    record ServerInfoRequest() implements ClientCommand {

        @Override
        public <R> R accept(Handler<R> handler) {
            return handler.serverInfo(this);
        }
    }
}
