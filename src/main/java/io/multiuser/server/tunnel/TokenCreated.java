package io.multiuser.server.tunnel;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * A token just made: the secret ({@code token}) appears here once and is never shown again; with
 * it, the certificate's fingerprint and the command the artist pastes.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record TokenCreated(TokenInfo info, String token, String fingerprint, String connect) {
}
