package io.multiuser.server.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.multiuser.server.engine.SessionFuzz;
import io.multiuser.server.protocol.Generation;

/**
 * The fuzz test of issue #17 at bench scale ({@code -Dbench.focus=fuzz}, and part of the full suite):
 * {@link SessionFuzz} with 100,000 frames to every port of a 0.1 and of a 0.9 session while two honest
 * clients edit (quick mode: 10,000, as the unit test). Unlike the other cases, the session runs in the
 * bench JVM (a ZmqEngine, not the packaged jar): the counts of what was refused come from the engine's
 * listener, and its heap is measured directly. Fixed seed, so the results file can be reproduced with
 * {@code ./mvnw test -Dtest=FuzzTest -Dfuzz.seed=17 -Dfuzz.framesPerPort=100000}.
 */
final class FuzzBench {

    /** Issue #17. {@code -Dfuzz.seed} when the bench JVM is started by hand. */
    private static final long SEED = Long.getLong(SessionFuzz.SEED_PROPERTY, 17L);

    private final boolean quick;
    private final Bench09.Targets targets;
    private final StringBuilder md = new StringBuilder();

    FuzzBench(boolean quick, Bench09.Targets targets) {
        this.quick = quick;
        this.targets = targets;
    }

    /** Both generations, one after the other; the figures for results.json. */
    List<Map<String, Object>> run() {
        int frames = quick ? SessionFuzz.TEST_FRAMES_PER_PORT : SessionFuzz.BENCH_FRAMES_PER_PORT;
        List<Map<String, Object>> json = new ArrayList<>();
        md.append(String.format("%n## Fuzz: %,d frames to every port while two clients edit (seed %d)%n%n", frames,
                SEED));
        md.append("Random frames, real frames mutated, and well-formed hostile messages, from DEALER (PUSH on the"
                + " 0.1 P+2) sockets with shared, fresh and no identities; some fuzzers log in. The session runs in"
                + " the bench JVM (a ZmqEngine), so its listener counts every refusal. \"Accounted\" = refused while"
                + " decoding + handed to the session, against what the engine had to see (frames over a port's"
                + " limit close the connection by design and are counted apart). Heap after a full GC, before and"
                + " after; the growth beyond the scene's and the test clients' records must stay under "
                + (SessionFuzz.HEAP_GROWTH_LIMIT >> 20) + " MiB.\n\n");
        md.append("| session | port | frames | messages | MiB sent | refused while decoding | refused by the session"
                + " | closed (frame > 4 KiB) | accounted |\n|---|---|---|---|---|---|---|---|---|\n");
        StringBuilder totals = new StringBuilder();
        for (Generation g : List.of(Generation.V01, Generation.V09)) {
            System.out.printf("fuzz: %s session, %,d frames per port, seed %d%n", g, frames, SEED);
            SessionFuzz.Result r = SessionFuzz.run(g, SEED, frames);
            System.out.println(r.summary());
            json.add(r.toMap());
            for (SessionFuzz.PortReport p : r.ports()) {
                md.append(String.format("| %s | %s %s | %,d | %,d | %.1f | %,d | %s | %,d | %,d of %,d |%n", g, p.port(),
                        p.role(), p.frames(), p.messages(), p.bytes() / 1048576.0, p.decodeDrops(), p.sessionDrops(),
                        p.connectionsClosed(), p.accountedFor(), p.expected()));
            }
            totals.append(String.format("%n%s: fuzz %.1f s (run %.1f s); drops by reason %s; logins accepted %d,"
                    + " refused %s; departures %s; honest edits %s, each checked at the other client; heap %.1f → %.1f"
                    + " MiB (scene %+.1f MiB, test clients' records %+.1f MiB, unexplained %+.1f MiB); longest engine"
                    + " loop stall %d ms; problems: %s.%n", g, r.fuzzMillis() / 1000.0, r.totalMillis() / 1000.0,
                    r.dropsByReason(), r.loginsAccepted(), r.loginRefusals(), r.departures(), r.honestEdits(),
                    r.heapBeforeBytes() / 1048576.0, r.heapAfterBytes() / 1048576.0, r.sceneGrowthBytes() / 1048576.0,
                    r.recordedBytesGrowth() / 1048576.0, r.unexplainedHeapGrowthBytes() / 1048576.0,
                    r.maxLoopStallMillis(), r.problems().isEmpty() ? "none" : r.problems()));
            boolean enough = r.ports().stream().allMatch(p -> p.frames() >= frames);
            targets.target(String.format("fuzz %s: ≥ %,d frames to each of its %d ports, honest clients intact, every"
                    + " message accounted for, heap growth < %d MiB", g, frames, g.portCount(),
                    SessionFuzz.HEAP_GROWTH_LIMIT >> 20), String.format("%,d frames in %.0f s; %s; unexplained heap"
                    + " %+.1f MiB; problems: %s", r.ports().stream().mapToLong(SessionFuzz.PortReport::frames).sum(),
                    r.fuzzMillis() / 1000.0, r.dropsByReason(), r.unexplainedHeapGrowthBytes() / 1048576.0,
                    r.problems().isEmpty() ? "none" : r.problems()), enough && r.problems().isEmpty());
        }
        md.append(totals);
        return json;
    }

    String markdown() {
        return md.toString();
    }

    /** The figures of one run, keyed for results.json. */
    static Map<String, Object> json(List<Map<String, Object>> runs) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("seed", SEED);
        m.put("runs", runs);
        return m;
    }
}
