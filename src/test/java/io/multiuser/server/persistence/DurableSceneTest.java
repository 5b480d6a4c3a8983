package io.multiuser.server.persistence;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;

import org.junit.jupiter.api.Test;

import io.multiuser.server.protocol.Delta;
import io.multiuser.server.protocol.DeltaMerger;
import io.multiuser.server.protocol.Node;
import io.multiuser.server.session.Scene;

/**
 * The writer decides when to compact from {@link DurableScene#liveBytes()}, kept up to date change by
 * change; it must always equal what writing the scene out would take.
 */
class DurableSceneTest {

    /** Folds two deltas when the later one is small: some chains grow, some fold. */
    private static final DeltaMerger FOLD_SMALL = (earlier, later) -> later.blob().length < 40
            ? Optional.of(new Delta(later.dependencies(), later.dependenciesPickle(),
                    concat(earlier.blob(), later.blob())))
            : Optional.empty();

    @Test
    void liveBytesIsTheSizeOfTheSceneWrittenOutAfterEveryChange() throws IOException {
        Random random = new Random(19);
        DurableScene scene = new DurableScene(FOLD_SMALL);
        List<String> uuids = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            uuids.add("node-" + i);
        }
        assertThat(scene.liveBytes()).isEqualTo(written(scene.scene()));
        for (int step = 0; step < 3_000; step++) {
            String uuid = uuids.get(random.nextInt(uuids.size()));
            switch (random.nextInt(8)) {
                case 0, 1 -> scene.put(new Node(uuid, "alice", "Mesh", deps(random, uuids), new byte[random.nextInt(200)]));
                case 2 -> scene.owner(uuid, random.nextBoolean() ? Node.COMMON : "bob");
                case 3 -> scene.delete(uuid);
                case 4 -> scene.dependencies(uuid, deps(random, uuids));
                case 5 -> {
                    if (random.nextInt(50) == 0) {
                        scene.clear();
                    }
                }
                default -> scene.delta(uuid, new Delta(deps(random, uuids), new byte[] {1, 2, 3},
                        new byte[random.nextInt(80)]));
            }
            assertThat(scene.liveBytes()).as("step %d", step).isEqualTo(written(scene.scene()));
        }
        assertThat(scene.chains()).as("some chains survived to the end").isNotEmpty();
    }

    @Test
    void aReplacedNodeKeepsItsCatalogPlaceAndLosesItsChain() {
        DurableScene scene = new DurableScene();
        scene.put(node("a"));
        scene.put(node("b"));
        scene.put(node("c"));
        Delta delta = new Delta(List.of("c"), new byte[1], new byte[8]);
        scene.delta("b", delta);
        scene.delta("c", delta);
        assertThat(scene.chains()).containsOnlyKeys("b", "c");
        assertThat(scene.nodes().get("b").dependencies()).as("a delta sets the dependencies").containsExactly("c");

        scene.put(node("b"));

        assertThat(scene.nodes().keySet()).containsExactly("a", "b", "c");
        assertThat(scene.chains()).containsOnlyKeys("c");
        assertThat(scene.scene().chain("c")).containsExactly(delta);
        scene.delete("c");
        scene.delete("a");
        scene.put(node("a"));
        assertThat(scene.nodes().keySet()).as("deleted, then put again: last").containsExactly("b", "a");
        assertThat(scene.chains()).isEmpty();
    }

    private static long written(Scene scene) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(StoreFormat.header());
        for (Node node : scene.nodes()) {
            StoreFormat.writeNode(out, node, scene.chain(node.uuid()));
        }
        return out.size() + StoreFormat.stateSize();
    }

    private static List<String> deps(Random random, List<String> uuids) {
        int n = random.nextInt(3);
        List<String> deps = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            deps.add(uuids.get(random.nextInt(uuids.size())));
        }
        return deps;
    }

    private static Node node(String uuid) {
        return new Node(uuid, Node.COMMON, "Mesh", List.of(), new byte[16]);
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] both = new byte[a.length + b.length];
        System.arraycopy(a, 0, both, 0, a.length);
        System.arraycopy(b, 0, both, a.length, b.length);
        return both;
    }
}
