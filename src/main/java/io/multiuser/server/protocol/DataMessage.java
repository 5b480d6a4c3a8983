package io.multiuser.server.protocol;

/** What a client pushes on a data port: a whole node, or (three-port) a delta of one. */
public sealed interface DataMessage permits Datablock, Commit {

    ClientId sender();

    String uuid();
}
