package io.multiuser.server.session;

/** The session's life: no scene yet, an admin uploading one, or a scene users can join. */
public enum SessionState {
    WAITING, SRV_SYNC, ACTIVE
}
