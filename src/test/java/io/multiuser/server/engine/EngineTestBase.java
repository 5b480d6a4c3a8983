package io.multiuser.server.engine;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

import io.multiuser.server.protocol.Node;
import io.multiuser.server.session.Session;
import io.multiuser.server.session.SessionListener;
import io.multiuser.server.session.SessionSettings;
import io.multiuser.server.session.SessionState;
import io.multiuser.server.testclient.FreePorts;
import io.multiuser.server.testclient.TestClient;

/** A real engine on four loopback ports, and real protocol test clients, per test. */
abstract class EngineTestBase {

    static final String PASSWORD = "s3cret";
    /** Generous: a loaded 2-core CI box must not time out clients of tests about something else. */
    static final long DEFAULT_TIMEOUT_MILLIS = 5000;
    static final Duration WAIT = Duration.ofSeconds(10);

    int port;
    ZmqEngine engine;
    final List<TestClient> clients = new ArrayList<>();

    @BeforeEach
    void startEngine() {
        engine = startEngine(List.of());
    }

    ZmqEngine startEngine(List<String> acceptedVersions) {
        return startEngine(acceptedVersions, SessionListener.NONE);
    }

    ZmqEngine startEngine(List<String> acceptedVersions, SessionListener listener) {
        port = FreePorts.base();
        ZmqEngine e = new ZmqEngine(
                EngineSettings.builder().basePort(port).unreachableTimeoutMillis(heartbeatTimeoutMillis()).build(),
                SessionSettings.builder().adminPassword(PASSWORD).acceptedVersions(acceptedVersions)
                        .heartbeatTimeoutMillis(heartbeatTimeoutMillis()).presenceIntervalMillis(50)
                        .tombstoneCapacity(100_000).build(), listener);
        e.start();
        return e;
    }

    /** The heartbeat timeout of the engine under test. */
    long heartbeatTimeoutMillis() {
        return DEFAULT_TIMEOUT_MILLIS;
    }

    @AfterEach
    void stopEngine() {
        clients.forEach(TestClient::close);
        clients.clear();
        if (engine != null) {
            engine.close();
        }
    }

    TestClient client(String name) {
        TestClient c = new TestClient(port, name);
        clients.add(c);
        return c;
    }

    /** Reads session state on the engine thread, as any non-engine code must. */
    <T> T session(Function<Session, T> query) {
        try {
            return engine.call(query).get(5, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    SessionState state() {
        return session(Session::state);
    }

    /** The server's copy of a node, or null. */
    Node node(String uuid) {
        return session(s -> s.graph().get(uuid));
    }

    int nodeCount() {
        return session(s -> s.graph().size());
    }

    long totalBytes() {
        return session(s -> s.graph().totalBytes());
    }

    boolean online(String name) {
        return session(s -> s.user(name).isPresent());
    }

    /** An admin logged in with an uploaded scene. */
    TestClient host(String name, List<Node> scene) {
        TestClient admin = client(name);
        if (!admin.loginAsAdmin(PASSWORD).equals("LOBBY")) {
            throw new AssertionError("host was not put in the lobby");
        }
        admin.upload(scene);
        return admin;
    }

    /** A client logged in and holding the whole scene. */
    TestClient joiner(String name) {
        TestClient c = client(name);
        if (!c.loginAsClient().equals("RUNNING")) {
            throw new AssertionError(name + " did not get RUNNING");
        }
        c.join();
        return c;
    }
}
