package io.multiuser.server.tunnel;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

import io.multiuser.server.session.PeerHost;

/** The map from a tunnel stream's loopback end back to the artist, as the engine's peer addresses meet it. */
class TunnelStreamsTest {

    private final TunnelStreams streams = new TunnelStreams();

    @Test
    void aStreamsLoopbackEndIsTheArtistsAddressWhileItIsOpen() {
        streams.opened(40001, "203.0.113.7:51000");
        streams.opened(40002, "[2001:db8::5]:51001");

        assertThat(streams.resolve("127.0.0.1:40001")).isEqualTo("203.0.113.7:51000");
        assertThat(PeerHost.of(streams.resolve("127.0.0.1:40002"))).isEqualTo("2001:db8::5");
        // not a tunnel stream: a local client, another port, another interface
        assertThat(streams.resolve("127.0.0.1:40003")).isEqualTo("127.0.0.1:40003");
        assertThat(streams.resolve("10.0.0.9:40001")).isEqualTo("10.0.0.9:40001");
        assertThat(streams.resolve("unknown address")).isEqualTo("unknown address");
        assertThat(streams.resolve("127.0.0.1:port")).isEqualTo("127.0.0.1:port");

        streams.closed(40001, "203.0.113.7:51000");
        assertThat(streams.resolve("127.0.0.1:40001")).isEqualTo("127.0.0.1:40001");
        assertThat(streams.open()).isEqualTo(1);
    }

    @Test
    void aClosedStreamDoesNotUnmapTheNewerStreamOnItsPort() {
        streams.opened(40001, "203.0.113.7:51000");
        streams.opened(40001, "198.51.100.4:52000"); // the port was reused by the next stream
        streams.closed(40001, "203.0.113.7:51000"); // the old stream's close arrives late

        assertThat(streams.resolve("127.0.0.1:40001")).isEqualTo("198.51.100.4:52000");
    }
}
