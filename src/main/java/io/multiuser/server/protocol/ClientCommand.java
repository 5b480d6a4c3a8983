package io.multiuser.server.protocol;

import java.util.List;
import java.util.Map;

/** A command a client sends on port P, already decoded and type-checked. */
public sealed interface ClientCommand {

    /** RepAuthCommand. {@code password} is null for a CLIENT login. */
    record Auth(boolean admin, String name, String password, String version) implements ClientCommand {
        @Override
        public String toString() {
            // Never let a password reach a log line through toString().
            return "Auth[admin=" + admin + ", name=" + name + ", version=" + version + "]";
        }
    }

    /** RepUpdateUserMetadata: merged into the sender's metadata (Python dict.update). */
    record UpdateUserMetadata(Map<String, Object> metadata) implements ClientCommand {
    }

    /** RepSnapshotCommand REQUEST_INIT: a joiner asks for the catalog. */
    record SnapshotRequestInit() implements ClientCommand {
    }

    /** RepSnapshotCommand GET: a joiner asks for one node. */
    record SnapshotGet(String uuid) implements ClientCommand {
    }

    /** RepSnapshotCommand DONE: a joiner stored every node of its catalog. */
    record SnapshotDone() implements ClientCommand {
    }

    /** RepServerSnapshotCommand INIT: an admin announces an upload. */
    record UploadInit(long size, List<String> nodes) implements ClientCommand {
    }

    /** RepServerSnapshotCommand SET: one node of an upload. */
    record UploadSet(Node node) implements ClientCommand {
    }

    /** RepServerSnapshotCommand END: the uploader sent every node. */
    record UploadEnd() implements ClientCommand {
    }

    /** RepRightCommand: change the owner of a node. */
    record ChangeRights(String uuid, String owner) implements ClientCommand {
    }

    /** RepDeleteCommand: remove a node. */
    record Delete(String uuid) implements ClientCommand {
    }

    /** RepKickCommand: an admin asks to remove a user. */
    record Kick(String user) implements ClientCommand {
    }
}
