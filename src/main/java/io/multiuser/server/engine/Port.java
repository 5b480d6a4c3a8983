package io.multiuser.server.engine;

/** The four ports, as offsets from the base port, with the names used in logs and errors. */
public enum Port {
    COMMANDS(0, "P, commands"),
    DATA_OUT(1, "P+1, datablocks to clients"),
    DATA_IN(2, "P+2, datablocks from clients"),
    HEARTBEAT(3, "P+3, heartbeat");

    public final int offset;
    public final String description;

    Port(int offset, String description) {
        this.offset = offset;
        this.description = description;
    }
}
