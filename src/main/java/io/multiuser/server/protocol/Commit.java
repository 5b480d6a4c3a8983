package io.multiuser.server.protocol;

/** A Commit (three-port, P+1) as received: a delta for node {@code uuid} from {@code sender}. */
public record Commit(ClientId sender, String uuid, Delta delta) implements DataMessage {
}
