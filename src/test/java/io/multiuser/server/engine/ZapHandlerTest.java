package io.multiuser.server.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.logging.Handler;
import java.util.logging.LogRecord;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.zeromq.SocketType;
import org.zeromq.ZContext;
import org.zeromq.ZMQ;

import io.multiuser.server.security.AddressPolicy;
import io.multiuser.server.session.LoginGuard;
import io.multiuser.server.session.SessionListener;

/**
 * The ZAP handler alone, asked over RFC 27 by a REQ socket in its context, as JeroMQ's NULL
 * mechanism asks it: the answers, the count, the log lines.
 */
class ZapHandlerTest {

    private final AtomicInteger refused = new AtomicInteger();
    private final AtomicReference<AddressPolicy> policy = new AtomicReference<>(AddressPolicy.ALLOW_ALL);
    private final List<String> warnings = new ArrayList<>();
    private final List<String> audited = new ArrayList<>();
    private final Handler capture = new Handler() {
        @Override
        public void publish(LogRecord record) {
            synchronized (warnings) {
                warnings.add(record.getLevel() + " " + record.getMessage());
            }
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };
    private final java.util.logging.Logger log = java.util.logging.Logger.getLogger(ZapHandler.class.getName());
    private ZContext context;
    private ZapHandler zap;
    private ZMQ.Socket requester;

    @BeforeEach
    void bind() {
        log.addHandler(capture);
        context = new ZContext(1);
        zap = ZapHandler.bind(context, policy::get, new SessionListener() {
            @Override
            public void connectionRefused() {
                refused.incrementAndGet();
            }
        }, () -> new LoginGuard() {
            @Override
            public void refusedTraffic(String kind, String from, String detail) {
                synchronized (audited) {
                    audited.add(kind + " " + from + " " + detail);
                }
            }
        });
        requester = context.createSocket(SocketType.REQ);
        requester.setReceiveTimeOut(5000);
        requester.connect(ZapHandler.ENDPOINT);
    }

    @AfterEach
    void close() {
        log.removeHandler(capture);
        context.close();
    }

    /** Sends a request, lets the handler answer it, returns the reply's frames. */
    private List<String> ask(String version, String id, String domain, String address) {
        String[] frames = {version, id, domain, address, "", "NULL"};
        for (int i = 0; i < frames.length; i++) {
            requester.send(frames[i], i < frames.length - 1 ? ZMQ.SNDMORE : 0);
        }
        long deadline = System.currentTimeMillis() + 5000;
        while (!zap.answerAll()) {
            assertThat(System.currentTimeMillis()).as("the request reaches the handler").isLessThan(deadline);
            Thread.onSpinWait();
        }
        List<String> reply = new ArrayList<>();
        do {
            byte[] frame = requester.recv();
            assertThat(frame).as("a reply frame").isNotNull();
            reply.add(new String(frame, StandardCharsets.US_ASCII));
        } while (requester.hasReceiveMore());
        return reply;
    }

    private String status(String address) {
        return ask("1.0", "1", ZapHandler.domain(5555), address).get(2);
    }

    private List<String> warnings() {
        synchronized (warnings) {
            return List.copyOf(warnings);
        }
    }

    @Test
    void answersPerRfc27() {
        assertThat(ask("1.0", "42", ZapHandler.domain(5555), "10.0.0.1")).containsExactly("1.0", "42", "200", "OK", "", "");
        policy.set(AddressPolicy.parse(null, "10.0.0.0/8"));
        assertThat(ask("1.0", "43", ZapHandler.domain(5555), "10.0.0.1"))
                .containsExactly("1.0", "43", "400", "Address not allowed", "", "");
        assertThat(ask("2.0", "44", ZapHandler.domain(5555), "10.0.0.1").subList(0, 3)).containsExactly("1.0", "44", "500");
        assertThat(refused.get()).isEqualTo(1);
    }

    @Test
    void thePolicyOfTheMomentDecides() {
        policy.set(AddressPolicy.parse("10.0.0.0/8, ::1, fe80::/10", "10.9.0.0/16"));
        assertThat(status("10.1.2.3")).isEqualTo("200");
        assertThat(status("10.9.2.3")).isEqualTo("400");
        assertThat(status("192.168.0.1")).isEqualTo("400");
        assertThat(status("0:0:0:0:0:0:0:1")).as("as Java spells IPv6 peers").isEqualTo("200");
        assertThat(status("fe80:0:0:0:0:0:0:1%lo")).as("with a zone index").isEqualTo("200");
        assertThat(status("not an address")).isEqualTo("400");
        assertThat(refused.get()).isEqualTo(3);

        policy.set(AddressPolicy.ALLOW_ALL);
        assertThat(status("10.9.2.3")).isEqualTo("200");
        assertThat(status("not an address")).isEqualTo("200");
        assertThat(refused.get()).isEqualTo(3);
    }

    @Test
    void refusalsAreLoggedOncePerAddressAndWindow() {
        policy.set(AddressPolicy.parse(null, "10.9.0.0/16"));
        for (int i = 0; i < 5; i++) {
            assertThat(ask("1.0", "1", ZapHandler.domain(5555 + i % 4), "10.9.9.9").get(2)).isEqualTo("400");
        }
        assertThat(ask("1.0", "1", ZapHandler.domain(5556), "10.9.1.1").get(2)).isEqualTo("400");
        assertThat(ask("1.0", "1", "someone else's", "10.9.1.2").get(2)).isEqualTo("400");

        assertThat(refused.get()).isEqualTo(7);
        assertThat(warnings()).containsExactly(
                "WARN Refused connection from 10.9.9.9 on port 5555 (address not allowed: in the deny list (10.9.0.0/16))",
                "WARN Refused connection from 10.9.1.1 on port 5556 (address not allowed: in the deny list (10.9.0.0/16))",
                "WARN Refused connection from 10.9.1.2 on port ? (ZAP domain 'someone else's') (address not allowed:"
                        + " in the deny list (10.9.0.0/16))");
        synchronized (audited) {
            assertThat(audited).containsExactly(
                    "connection-refused 10.9.9.9 port 5555: in the deny list (10.9.0.0/16)",
                    "connection-refused 10.9.1.1 port 5556: in the deny list (10.9.0.0/16)",
                    "connection-refused 10.9.1.2 port ? (ZAP domain 'someone else's'): in the deny list (10.9.0.0/16)");
        }
    }

    @Test
    void manyAddressesCannotFloodTheLog() {
        policy.set(AddressPolicy.parse("192.168.0.0/16", null));
        for (int i = 0; i < 100; i++) {
            assertThat(status("10.0." + i / 250 + "." + i % 250)).isEqualTo("400");
        }
        assertThat(refused.get()).isEqualTo(100);
        assertThat(warnings()).hasSize(20);
        synchronized (audited) {
            assertThat(audited).as("the audit trail is throttled like the log").hasSize(20)
                    .allMatch(a -> a.startsWith("connection-refused 10.0.0."));
        }
    }
}
