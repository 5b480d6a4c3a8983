package io.multiuser.server.session;

import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

import io.multiuser.server.protocol.ClientId;

/** An admin's snapshot upload in progress (session state SRV_SYNC). */
final class Upload {

    final ClientId uploader;
    final Set<String> announced;
    final Set<String> received = new HashSet<>();
    final long startedAtMillis;
    long bytes;
    int lastProgressDecile;
    boolean complete;

    Upload(ClientId uploader, List<String> announced, long startedAtMillis) {
        this.uploader = uploader;
        this.announced = new LinkedHashSet<>(announced);
        this.startedAtMillis = startedAtMillis;
    }
}
