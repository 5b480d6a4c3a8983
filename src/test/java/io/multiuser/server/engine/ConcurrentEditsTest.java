package io.multiuser.server.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

import io.multiuser.server.protocol.Node;
import io.multiuser.server.testclient.Nodes;
import io.multiuser.server.testclient.TestClient;
import io.multiuser.server.testclient.TestClient.Block;

/**
 * The original server loses 40-78 % of updates when several clients push at once, because the
 * PULL socket interleaves headers and chunks of different connections. Eight clients push 500
 * updates each, all at the same time: every update must arrive, once, with its own header.
 */
class ConcurrentEditsTest extends EngineTestBase {

    private static final int PUSHERS = 8;
    private static final int UPDATES = 500;

    @Test
    void eightClientsPushing500UpdatesEachLoseNothingAndPairEveryChunkWithItsHeader() throws Exception {
        List<Node> scene = Nodes.scene(PUSHERS, 64, 30);
        TestClient watcher = host("watcher", scene);
        List<TestClient> pushers = new ArrayList<>();
        for (int i = 0; i < PUSHERS; i++) {
            pushers.add(joiner("pusher" + i));
        }

        ExecutorService pool = Executors.newFixedThreadPool(PUSHERS);
        CountDownLatch start = new CountDownLatch(1);
        List<Future<?>> done = new ArrayList<>();
        for (int i = 0; i < PUSHERS; i++) {
            TestClient pusher = pushers.get(i);
            Node node = scene.get(i);
            long seed = i;
            done.add(pool.submit(() -> {
                Random random = new Random(seed);
                start.await();
                for (int seq = 0; seq < UPDATES; seq++) {
                    pusher.push(Nodes.edited(node, update(node.uuid(), seq, 100 + random.nextInt(8000), random)));
                }
                return null;
            }));
        }
        start.countDown();
        for (Future<?> f : done) {
            f.get(60, TimeUnit.SECONDS);
        }
        pool.shutdown();

        assertReceivedEveryUpdateOnce(watcher, scene, -1);
        for (int i = 0; i < PUSHERS; i++) {
            assertReceivedEveryUpdateOnce(pushers.get(i), scene, i);
        }
        for (Node node : scene) {
            assertThat(tag(node(node.uuid()).payload().toArray())).isEqualTo(node.uuid() + "|" + (UPDATES - 1));
        }
    }

    /** Every other pusher's 500 updates, in order, each chunk carrying the uuid of its header. */
    private static void assertReceivedEveryUpdateOnce(TestClient client, List<Node> scene, int ownIndex)
            throws InterruptedException {
        int expected = (ownIndex < 0 ? PUSHERS : PUSHERS - 1) * UPDATES;
        Map<String, Integer> nextSeq = new HashMap<>();
        for (int received = 0; received < expected; received++) {
            Block block = client.pollBlock(Duration.ofSeconds(30));
            assertThat(block).as("%s: update %d of %d", client.name, received + 1, expected).isNotNull();
            String[] tag = tag(block.payload()).split("\\|");
            assertThat(tag[0]).as("chunk paired with the header of another node").isEqualTo(block.uuid());
            int seq = Integer.parseInt(tag[1]);
            int want = nextSeq.getOrDefault(block.uuid(), 0);
            assertThat(seq).as("%s: update of %s lost, duplicated or reordered", client.name, block.uuid())
                    .isEqualTo(want);
            nextSeq.put(block.uuid(), want + 1);
        }
        assertThat(client.pollBlock(Duration.ofMillis(200))).as("%s: more updates than were sent", client.name)
                .isNull();
        if (ownIndex >= 0) {
            assertThat(nextSeq).doesNotContainKey(scene.get(ownIndex).uuid());
        }
    }

    private static byte[] update(String uuid, int seq, int size, Random random) {
        byte[] tag = (uuid + "|" + seq + "|").getBytes(StandardCharsets.US_ASCII);
        byte[] payload = Nodes.payload(random, tag.length + size);
        System.arraycopy(tag, 0, payload, 0, tag.length);
        return payload;
    }

    private static String tag(byte[] payload) {
        String head = new String(payload, 0, Math.min(payload.length, 48), StandardCharsets.US_ASCII);
        int second = head.indexOf('|', head.indexOf('|') + 1);
        return head.substring(0, second);
    }
}
