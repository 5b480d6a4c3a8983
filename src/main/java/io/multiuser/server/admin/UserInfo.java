package io.multiuser.server.admin;

import java.time.Instant;
import java.util.Locale;
import java.util.Map;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

import io.multiuser.server.session.DownloadProgress;
import io.multiuser.server.session.Session;
import io.multiuser.server.session.User;

/** A logged-in user as the admin API shows it. */
@Schema(description = "A logged-in user")
public record UserInfo(
        String name,
        boolean admin,
        @Schema(description = "lobby, syncing (downloading the scene) or active", enumeration = {"lobby", "syncing",
                "active"}) String status,
        @Schema(description = "last heartbeat round trip in ms; 999 until the first one") int latencyMs,
        @Schema(description = "the client's IP address and port") String address,
        Instant connectedSince,
        @Schema(description = "what the add-on sent with RepUpdateUserMetadata; tuples as arrays, bytes as base64")
        Map<String, Object> metadata,
        @Schema(description = "the user's snapshot download while it is in progress; null otherwise") Download download) {

    /** A snapshot download in progress. */
    @Schema(description = "A snapshot download in progress")
    public record Download(int nodesSent, int nodesTotal, long bytesSent, long bytesTotal,
            @Schema(description = "payload bytes per second since the download started") long bytesPerSecond,
            @Schema(description = "estimated seconds left at that rate; null until there is a rate") Long secondsLeft) {

        static Download of(DownloadProgress p) {
            long rate = p.elapsedMillis() <= 0 ? 0 : p.bytesSent() * 1000 / p.elapsedMillis();
            return new Download(p.nodesSent(), p.nodesTotal(), p.bytesSent(), p.bytesTotal(), rate,
                    rate == 0 ? null : (p.bytesLeft() + rate - 1) / rate);
        }
    }

    /** Call on the engine thread: it copies the user's mutable metadata. */
    static UserInfo of(User user, Session session) {
        DownloadProgress download = session.download(user);
        return new UserInfo(user.name(), user.admin(), user.status().name().toLowerCase(Locale.ROOT),
                user.latencyMillis(), user.address(), user.connectedSince(), JsonSafe.map(user.metadata()),
                download == null ? null : Download.of(download));
    }
}
