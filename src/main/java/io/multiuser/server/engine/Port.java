package io.multiuser.server.engine;

/**
 * The sockets a session may bind, with the names used in logs and errors. Which of them a
 * session binds, and at which offset from the base port, is its generation's
 * {@link EngineDialect#ports()}: four-port P..P+3 = commands, data out, data in, heartbeat;
 * three-port P..P+2 = commands, data (both directions), heartbeat.
 */
public enum Port {
    COMMANDS("commands"),
    DATA_OUT("datablocks to clients"),
    DATA_IN("datablocks from clients"),
    DATA("datablocks, both directions"),
    HEARTBEAT("heartbeat");

    public final String description;
    /** "port " + description, made once: the impostor check names it for every datablock it passes. */
    final String category;

    Port(String description) {
        this.description = description;
        this.category = "port " + description;
    }
}
