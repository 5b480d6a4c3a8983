package io.multiuser.server.engine;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.zeromq.ZContext;

import io.multiuser.server.protocol.Generation;

/** The sockets' queues as bound, for both generations. */
class SocketBinderTest {

    @Test
    void onlyTheCommandPortReadsLittleAheadOfTheEngine() {
        for (Generation generation : Generation.values()) {
            EngineSettings settings = EngineSettings.builder().build(); // port 0: a free block
            try (ZContext context = new ZContext(1)) {
                Sockets sockets = new SocketBinder(settings, EngineDialect.of(generation, settings.maxMessageBytes()))
                        .bind(context);
                for (Sockets.Bound bound : sockets.bound()) {
                    int expected = bound.port() == Port.COMMANDS ? 16 : 1000; // 1,000: ZeroMQ's default
                    assertThat(bound.socket().getRcvHWM()).as("%s %s", generation, bound.port()).isEqualTo(expected);
                }
            }
        }
    }
}
