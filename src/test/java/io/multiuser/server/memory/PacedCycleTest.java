package io.multiuser.server.memory;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

import io.multiuser.server.testclient.JvmFlags;

/**
 * A paced cycle collects without giving back the memory the heap used, where {@code System.gc()}
 * gives it all back (and the next big frames fault it in again): both in a JVM of their own, under
 * the deployed collector flags.
 */
class PacedCycleTest {

    private static final long MIB = 1 << 20;

    @Test
    void aPacedCycleCollectsAndKeepsTheHeapItTouched() throws Exception {
        Map<String, Long> heap = probe("paced");
        assertThat(heap.get("cycles")).isPositive();
        assertThat(heap.get("used")).as("the garbage was collected").isLessThan(PacedCycleProbe.TOUCHED_MIB / 2 * MIB);
        assertThat(heap.get("committed")).as("the touched heap is kept")
                .isGreaterThanOrEqualTo(PacedCycleProbe.TOUCHED_MIB * MIB);
        assertThat(heap.get("ignored")).as("started by the lowered soft maximum, not System.gc()").isZero();
        assertThat(heap.get("softMax")).as("set back").isEqualTo(heap.get("configured"));
        assertThat(heap.get("peak")).as("still counted as touched").isGreaterThanOrEqualTo(PacedCycleProbe.TOUCHED_MIB * MIB);
    }

    @Test
    void anExplicitCycleGivesTheHeapBackAndThePeakIsForgotten() throws Exception {
        Map<String, Long> heap = probe("explicit");
        assertThat(heap.get("cycles")).isPositive();
        assertThat(heap.get("committed")).isLessThan(PacedCycleProbe.TOUCHED_MIB / 2 * MIB);
        assertThat(heap.get("peak")).as("the pacer saw the explicit cycle and forgot what the heap held")
                .isLessThan(PacedCycleProbe.TOUCHED_MIB / 2 * MIB);
    }

    private static Map<String, Long> probe(String mode) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(JvmFlags.SERVER_GC_FLAGS);
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), PacedCycleProbe.class.getName(), mode));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).as(out).isZero();
        String line = out.lines().filter(l -> l.startsWith("cycles=")).findFirst().orElseThrow(() -> new AssertionError(out));
        Map<String, Long> figures = new HashMap<>();
        for (String pair : line.split(" ")) {
            String[] kv = pair.split("=");
            figures.put(kv[0], Long.parseLong(kv[1]));
        }
        return figures;
    }
}
