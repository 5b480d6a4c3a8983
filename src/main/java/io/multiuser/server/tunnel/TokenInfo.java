package io.multiuser.server.tunnel;

import java.time.Instant;

import com.fasterxml.jackson.annotation.JsonInclude;

/** A tunnel token as the admin sees it: never the secret, which only its creation returns. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record TokenInfo(String id, String session, String label, Instant created, Instant expires, Instant revoked,
        String state) {

    static TokenInfo of(TunnelTokens.Token t, Instant now) {
        String state = t.revoked() != null ? "revoked" : t.expiredAt(now) ? "expired" : "valid";
        return new TokenInfo(t.id(), t.session(), t.label(), t.created(), t.expires(), t.revoked(), state);
    }
}
