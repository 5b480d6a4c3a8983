package io.multiuser.server.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import io.multiuser.server.protocol.Generation;
import io.multiuser.server.security.AddressPolicy;
import io.multiuser.server.session.SessionListener;
import io.multiuser.server.session.SessionSettings;
import io.multiuser.server.session.User;
import io.multiuser.server.testclient.ClientPickler;
import io.multiuser.server.testclient.FreePorts;
import io.multiuser.server.testclient.SourceAddressRelay;
import io.multiuser.server.testclient.TestClient;
import io.multiuser.server.testclient.TestClient09;
import io.multiuser.server.testclient.ZmtpProbe;

/**
 * The network allow and deny lists on real sockets, with peers at two loopback addresses: clients
 * at 127.0.0.1 connect directly, clients at 127.0.0.2 through a {@link SourceAddressRelay}, and
 * {@link ZmtpProbe} performs a bare handshake from either address to see exactly what the server
 * sends a peer.
 * <p>
 * A refused peer gets the ZMTP greeting and an ERROR command (status 400) instead of READY: it
 * never reaches the session and nothing of the protocol reaches it. A ZeroMQ client closes the
 * connection on ERROR and does not try again (JeroMQ and libzmq end a connect on a handshake
 * error); the server closes it as soon as a peer that ignores the ERROR sends anything more.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class NetworkAccessTest {

    private static final String PASSWORD = "s3cret";
    private static final String LOCAL = "127.0.0.1";
    private static final String OTHER = "127.0.0.2";
    private static final Duration WAIT = Duration.ofSeconds(10);
    /** How long a refused client is watched for an answer that must not come. */
    private static final long SILENCE_MILLIS = 1500;
    /** The peer socket type of each four-port session socket: ROUTER, ROUTER, PULL, ROUTER. */
    private static final String[] PEER_TYPES = {"DEALER", "DEALER", "PUSH", "DEALER"};

    private final AtomicInteger refused = new AtomicInteger();
    private final SessionListener counting = new SessionListener() {
        @Override
        public void connectionRefused() {
            refused.incrementAndGet();
        }
    };
    private final List<AutoCloseable> closeables = new ArrayList<>();
    private ZmqEngine engine;
    private int port;

    @BeforeEach
    void needsTwoLoopbackAddresses() {
        assumeTrue(SourceAddressRelay.usable(OTHER), "this machine cannot bind " + OTHER + " (Linux can)");
    }

    @AfterEach
    void stop() throws Exception {
        for (int i = closeables.size() - 1; i >= 0; i--) {
            closeables.get(i).close();
        }
        if (engine != null) {
            engine.close();
        }
    }

    private void start(Generation generation, AddressPolicy policy) {
        port = FreePorts.base();
        engine = new ZmqEngine(EngineSettings.builder().basePort(port).addressPolicy(policy).build(),
                SessionSettings.builder().generation(generation).adminPassword(PASSWORD).presenceIntervalMillis(50)
                        .build(),
                counting);
        engine.start();
    }

    private <T extends AutoCloseable> T closeLater(T closeable) {
        closeables.add(closeable);
        return closeable;
    }

    private SourceAddressRelay relay(String address) throws IOException {
        return closeLater(new SourceAddressRelay(address, port, 4));
    }

    private TestClient client(String name) {
        return closeLater(new TestClient(LOCAL, port, name));
    }

    /** A four-port client behind {@code relay}: the server sees it at the relay's address. */
    private TestClient client(SourceAddressRelay relay, String name) {
        return closeLater(new TestClient(OTHER, port, name));
    }

    private List<String> users() throws Exception {
        return engine.call(s -> s.users().stream().map(User::name).sorted().toList()).get(5, TimeUnit.SECONDS);
    }

    private static boolean lists(TestClient.Received state, String user) {
        return state.data() instanceof Map<?, ?> users && users.containsKey(user);
    }

    /** The frames of a four-port login, as a DEALER sends them on P. */
    private static List<byte[]> login(String name) {
        return List.of(ascii(name), ascii("RepAuthCommand"), ClientPickler.dumps(TestClient.map("AUTH_TYPE", "ADMIN",
                "AUTH_ID", name, "PWD", PASSWORD, "VERSION", TestClient.VERSION)));
    }

    private static byte[] ascii(String text) {
        return text.getBytes(StandardCharsets.US_ASCII);
    }

    private static List<String> texts(List<ZmtpProbe.Frame> frames) {
        return frames.stream().map(f -> new String(f.body(), StandardCharsets.ISO_8859_1)).toList();
    }

    @Test
    void aRefusedAddressNeverReachesTheSessionWhileAllowedOnesWork() throws Exception {
        start(Generation.V01, AddressPolicy.parse("127.0.0.0/8", OTHER));
        TestClient alice = client("alice");
        assertThat(alice.loginAsAdmin(PASSWORD)).isEqualTo("LOBBY");

        // a real client at the denied address: its four sockets are refused, it hears nothing, and
        // its connections end at the handshake
        SourceAddressRelay relay = relay(OTHER);
        TestClient mallory = client(relay, "mallory");
        mallory.send("mallory", "RepAuthCommand", TestClient.map("AUTH_TYPE", "ADMIN", "AUTH_ID", "mallory",
                "PWD", PASSWORD, "VERSION", TestClient.VERSION));
        assertThat(mallory.receivesNo("RepAuthCommand", SILENCE_MILLIS)).as("an answer to a refused peer").isTrue();
        assertThat(mallory.receivedLog()).isEmpty();
        await().atMost(WAIT).until(() -> refused.get() >= 4);
        assertThat(relay.connectionsMade()).isGreaterThanOrEqualTo(4);
        // (whether the refused JeroMQ client also closes its end is the client's business: not asserted here)
        assertThat(users()).containsExactly("alice");

        // byte for byte, on every port: greeting, ERROR 400, never READY, never a message; a peer
        // that ignores the refusal and sends a login is cut off at once, and the login goes nowhere
        for (int offset = 0; offset < 4; offset++) {
            int before = refused.get();
            ZmtpProbe.Result result = ZmtpProbe.handshake(OTHER, port + offset, PEER_TYPES[offset], login("eve"), 5000);
            assertThat(result.commands()).as("P+%d commands", offset).containsExactly("ERROR");
            assertThat(result.errorReason()).isEqualTo("400");
            assertThat(result.messages()).isEmpty();
            assertThat(result.closedByServer()).as("P+%d closed by the server", offset).isTrue();
            assertThat(refused.get()).isEqualTo(before + 1);
        }
        assertThat(users()).containsExactly("alice");

        // the same handshake and login from an allowed address: READY, then the login's answer
        ZmtpProbe.Result allowed = ZmtpProbe.handshake(LOCAL, port, "DEALER", login("walter"), 1000);
        assertThat(allowed.commands()).containsExactly("READY");
        assertThat(texts(allowed.messages())).contains("RepAuthCommand");
        assertThat(allowed.closedByServer()).isFalse();
        assertThat(users()).contains("alice", "walter");

        // alice never noticed
        TestClient bob = client("bob");
        assertThat(bob.loginAsClient()).isEqualTo("LOBBY");
        alice.await("RepUpdateClientsState", r -> lists(r, "bob"), WAIT);
    }

    @Test
    void aPolicyChangeAppliesToNewConnectionsAndKeepsOpenOnes() throws Exception {
        start(Generation.V01, AddressPolicy.ALLOW_ALL);
        TestClient alice = client("alice");
        assertThat(alice.loginAsAdmin(PASSWORD)).isEqualTo("LOBBY");

        // 127.0.0.1 no longer allowed: alice stays, a new client from her address is refused ...
        engine.addressPolicy(AddressPolicy.parse(null, "127.0.0.1/32"));
        assertThat(engine.addressPolicy()).isEqualTo(AddressPolicy.parse("", LOCAL));
        TestClient carol = client("carol");
        // Whether her login is queued or her refused connection left nothing to queue it in, no answer comes.
        carol.trySend("carol", "RepAuthCommand", TestClient.map("AUTH_TYPE", "CLIENT", "AUTH_ID", "carol",
                "VERSION", TestClient.VERSION));
        assertThat(carol.receivesNo("RepAuthCommand", SILENCE_MILLIS)).as("an answer to a refused peer").isTrue();
        assertThat(refused.get()).isPositive();
        // ... while 127.0.0.2 gets in, and alice, still connected, hears of it
        TestClient bob = client(relay(OTHER), "bob");
        assertThat(bob.loginAsClient()).isEqualTo("LOBBY");
        alice.await("RepUpdateClientsState", r -> lists(r, "bob"), WAIT);
        assertThat(users()).containsExactly("alice", "bob");

        // and back: 127.0.0.1 allowed again, 127.0.0.2 refused. A new client from 127.0.0.1 gets in
        // (carol's sockets gave up at their refusal, as ZeroMQ clients do); bob stays.
        engine.addressPolicy(AddressPolicy.parse("127.0.0.0/8", OTHER));
        TestClient dave = client("dave");
        assertThat(dave.loginAsClient()).isEqualTo("LOBBY");
        ZmtpProbe.Result probe = ZmtpProbe.handshake(OTHER, port, "DEALER", login("eve"), 5000);
        assertThat(probe.commands()).containsExactly("ERROR");
        assertThat(probe.closedByServer()).isTrue();
        alice.await("RepUpdateClientsState", r -> lists(r, "dave") && lists(r, "bob"), WAIT);
        bob.await("RepUpdateClientsState", r -> lists(r, "dave"), WAIT);
        assertThat(users()).containsExactly("alice", "bob", "dave");
        assertThat(carol.receivedLog()).isEmpty();

        // and the open connections of a now refused address keep working both ways
        bob.send("bob", "RepUpdateUserMetadata", TestClient.map("frame_current", 7));
        alice.await("RepUpdateClientsState", r -> lists(r, "bob")
                && ((Map<?, ?>) SessionFlowTest.entry(r, "bob").get("metadata")).containsKey("frame_current"), WAIT);
    }

    @Test
    void theThreePortProtocolIsCheckedOnEveryPort() throws Exception {
        start(Generation.V09, AddressPolicy.parse(LOCAL + ", ::1", null));

        for (int offset = 0; offset < 3; offset++) {
            ZmtpProbe.Result result = ZmtpProbe.handshake(OTHER, port + offset, "DEALER", List.of(ascii("x")), 5000);
            assertThat(result.commands()).as("P+%d commands", offset).containsExactly("ERROR");
            assertThat(result.messages()).isEmpty();
            assertThat(result.closedByServer()).isTrue();
        }
        assertThat(refused.get()).isEqualTo(3);

        TestClient09 alice = closeLater(new TestClient09(port, "alice"));
        assertThat(alice.login(true, PASSWORD, null, TestClient09.VERSION)).isEqualTo("LOBBY");
        assertThat(refused.get()).isEqualTo(3);
    }

    @Test
    void anAllowAllEngineAnswersEveryHandshake() throws Exception {
        start(Generation.V01, AddressPolicy.ALLOW_ALL);
        ZmtpProbe.Result result = ZmtpProbe.handshake(OTHER, port, "DEALER", login("eve"), 1000);
        assertThat(result.commands()).containsExactly("READY");
        assertThat(texts(result.messages())).contains("RepAuthCommand");
        assertThat(result.closedByServer()).isFalse();
        assertThat(refused.get()).isZero();
    }
}
