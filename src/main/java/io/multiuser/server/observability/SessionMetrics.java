package io.multiuser.server.observability;

import java.time.Duration;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.multiuser.server.session.SessionListener;
import io.multiuser.server.wire.CommandCodec;
import io.multiuser.server.wire.v09.V09Codec;

/**
 * One session's events as Prometheus counters and histograms, all under the {@code multiuser_}
 * prefix and labelled with the session's name. Every labelled series is created up front, so
 * each one is in the scrape (at 0) from the start and dashboards never see a missing series. No
 * label carries a user name: the number of series stays fixed whatever the number of users.
 */
final class SessionMetrics implements SessionListener {

    static final String PREFIX = "multiuser.";
    /** The label every series carries. */
    static final String SESSION = "session";

    private final Counter loginsAccepted;
    private final Map<LoginRefusal, Counter> loginsRefused = new EnumMap<>(LoginRefusal.class);
    private final Map<Departure, Counter> departures = new EnumMap<>(Departure.class);
    private final Map<Drop, Counter> drops = new EnumMap<>(Drop.class);
    private final Counter pingsSent;
    private final Counter pongsReceived;
    private final Timer roundTrip;
    /** One counter per protocol command type: the type label can take no other value. */
    private final Map<String, Counter> commands = new ConcurrentHashMap<>();
    private final Counter datablocksReceived;
    private final Counter datablockBytesReceived;
    private final Counter datablocksForwarded;
    private final Counter datablockBytesForwarded;
    private final Map<SnapshotDirection, Timer> snapshotDurations = new EnumMap<>(SnapshotDirection.class);
    private final Map<SnapshotDirection, Counter> snapshotNodes = new EnumMap<>(SnapshotDirection.class);
    private final Map<SnapshotDirection, Counter> snapshotBytes = new EnumMap<>(SnapshotDirection.class);
    private final Counter downloadNodesSent;
    private final Counter downloadBytesSent;
    private final Counter connectionsRefused;
    private final Timer standstills;

    SessionMetrics(MeterRegistry registry, String session) {
        Tags tags = Tags.of(SESSION, session);
        loginsAccepted = Counter.builder(PREFIX + "logins").tag("result", "accepted")
                .tags(tags).description("Logins by result").register(registry);
        for (LoginRefusal r : LoginRefusal.values()) {
            loginsRefused.put(r, Counter.builder(PREFIX + "logins").tag("result", label(r))
                    .tags(tags).description("Logins by result").register(registry));
        }
        for (Departure d : Departure.values()) {
            departures.put(d, Counter.builder(PREFIX + "departures").tag("reason", label(d))
                    .tags(tags).description("Users who left, by reason (kicked, heartbeat_timeout, ...)").register(registry));
        }
        for (Drop d : Drop.values()) {
            drops.put(d, Counter.builder(PREFIX + "messages.dropped").tag("reason", label(d))
                    .tags(tags).description("Messages dropped instead of applied or delivered, by reason").register(registry));
        }
        pingsSent = Counter.builder(PREFIX + "heartbeat.pings.sent").tags(tags).description("PINGs sent on P+3")
                .register(registry);
        pongsReceived = Counter.builder(PREFIX + "heartbeat.pongs.received")
                .tags(tags).description("Answers to our PINGs received on P+3").register(registry);
        roundTrip = Timer.builder(PREFIX + "heartbeat.rtt").tags(tags).description("PING to answer round trip")
                .publishPercentileHistogram().minimumExpectedValue(Duration.ofMillis(1))
                .maximumExpectedValue(Duration.ofSeconds(10)).register(registry);
        // Both generations' names: the four-port class names and the three-port type names differ.
        for (String type : Stream.concat(CommandCodec.CLIENT_COMMAND_TYPES.stream(),
                V09Codec.CLIENT_COMMAND_TYPES.stream()).toList()) {
            commands.put(type, Counter.builder(PREFIX + "commands.received").tag("type", type)
                    .tags(tags).description("Commands received on P, by type").register(registry));
        }
        datablocksReceived = Counter.builder(PREFIX + "datablocks.received")
                .tags(tags).description("Datablocks received (four-port P+2, three-port P+1: whole nodes and deltas)")
                .register(registry);
        datablockBytesReceived = Counter.builder(PREFIX + "datablocks.received.bytes").baseUnit("bytes")
                .tags(tags).description("Payload bytes received on P+2").register(registry);
        datablocksForwarded = Counter.builder(PREFIX + "datablocks.forwarded")
                .tags(tags).description("Datablocks sent to receivers on P+1 (one per receiver)").register(registry);
        datablockBytesForwarded = Counter.builder(PREFIX + "datablocks.forwarded.bytes").baseUnit("bytes")
                .tags(tags).description("Payload bytes sent to receivers on P+1").register(registry);
        for (SnapshotDirection d : SnapshotDirection.values()) {
            snapshotDurations.put(d, Timer.builder(PREFIX + "snapshot.duration").tag("direction", label(d))
                    .tags(tags).description("Snapshot uploads and downloads: count and duration")
                    .publishPercentileHistogram().minimumExpectedValue(Duration.ofMillis(10))
                    .maximumExpectedValue(Duration.ofMinutes(30)).register(registry));
            snapshotNodes.put(d, Counter.builder(PREFIX + "snapshot.nodes").tag("direction", label(d))
                    .tags(tags).description("Nodes moved by completed snapshots").register(registry));
            snapshotBytes.put(d, Counter.builder(PREFIX + "snapshot.bytes").baseUnit("bytes")
                    .tag("direction", label(d)).tags(tags).description("Payload bytes moved by completed snapshots")
                    .register(registry));
        }
        downloadNodesSent = Counter.builder(PREFIX + "snapshot.download.sent.nodes").tags(tags)
                .description("Catalog nodes sent to joiners as they go, before their downloads complete").register(registry);
        downloadBytesSent = Counter.builder(PREFIX + "snapshot.download.sent.bytes").baseUnit("bytes").tags(tags)
                .description("Payload bytes sent to joiners as they go, before their downloads complete")
                .register(registry);
        connectionsRefused = Counter.builder(PREFIX + "connections.refused").tags(tags)
                .description("Connections refused at the ZeroMQ handshake because the network allow and deny lists"
                        + " do not let their address in")
                .register(registry);
        standstills = Timer.builder(PREFIX + "engine.standstills").tags(tags)
                .description("Times the engine thread stood still for more than 250 ms (a paused machine or JVM, a"
                        + " blocked thread, a long task), and for how long; timeouts do not count it")
                .register(registry);
    }

    static String label(Enum<?> value) {
        return value.name().toLowerCase(Locale.ROOT);
    }

    @Override
    public void loginAccepted(boolean admin) {
        loginsAccepted.increment();
    }

    @Override
    public void loginRefused(LoginRefusal reason) {
        loginsRefused.get(reason).increment();
    }

    @Override
    public void userLeft(Departure reason) {
        departures.get(reason).increment();
    }

    @Override
    public void pingSent() {
        pingsSent.increment();
    }

    @Override
    public void pongReceived(int roundTripMillis) {
        pongsReceived.increment();
        roundTrip.record(roundTripMillis, TimeUnit.MILLISECONDS);
    }

    @Override
    public void commandReceived(String type) {
        Counter counter = commands.get(type);
        if (counter != null) {
            counter.increment();
        }
    }

    @Override
    public void datablockReceived(int payloadBytes) {
        datablocksReceived.increment();
        datablockBytesReceived.increment(payloadBytes);
    }

    @Override
    public void datablockForwarded(int receivers, int payloadBytes) {
        datablocksForwarded.increment(receivers);
        datablockBytesForwarded.increment((double) receivers * payloadBytes);
    }

    @Override
    public void snapshotCompleted(SnapshotDirection direction, int nodes, long bytes, long millis) {
        snapshotDurations.get(direction).record(millis, TimeUnit.MILLISECONDS);
        snapshotNodes.get(direction).increment(nodes);
        snapshotBytes.get(direction).increment(bytes);
    }

    @Override
    public void snapshotNodeSent(int payloadBytes) {
        downloadNodesSent.increment();
        downloadBytesSent.increment(payloadBytes);
    }

    @Override
    public void dropped(Drop reason, int messages) {
        drops.get(reason).increment(messages);
    }

    @Override
    public void connectionRefused() {
        connectionsRefused.increment();
    }

    @Override
    public void engineStoodStill(long millis) {
        standstills.record(millis, TimeUnit.MILLISECONDS);
    }
}
