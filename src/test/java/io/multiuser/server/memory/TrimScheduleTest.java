package io.multiuser.server.memory;

import static io.multiuser.server.memory.TrimSchedule.Decision.AFTER_WORK;
import static io.multiuser.server.memory.TrimSchedule.Decision.GROWTH;
import static io.multiuser.server.memory.TrimSchedule.Decision.START_UP;
import static io.multiuser.server.memory.TrimSchedule.Decision.WAIT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.function.LongSupplier;

import org.junit.jupiter.api.Test;

class TrimScheduleTest {

    private static final long BUSY = TrimSchedule.QUIET_NANOS_PER_TICK;
    private static final long QUIET = TrimSchedule.QUIET_NANOS_PER_TICK - 1;
    private static final long RESIDENT = 100L << 20;
    private static final long FREE = 10L << 20;

    /** Feeds CPU ticks at a constant resident size; "tick:decision" for every tick that trimmed. */
    private static List<String> trims(TrimSchedule schedule, long... ticks) {
        List<String> at = new ArrayList<>();
        for (int i = 0; i < ticks.length; i++) {
            TrimSchedule.Decision d = schedule.tick(ticks[i], () -> RESIDENT, () -> FREE);
            if (d != WAIT) {
                at.add((i + 1) + ":" + d);
                schedule.trimmed(RESIDENT, FREE);
            }
        }
        return at;
    }

    /** A schedule that has made its start-up trim at {@link #RESIDENT} and {@link #FREE}. */
    private static TrimSchedule pastItsStartUpTrim(int idleTicks) {
        TrimSchedule schedule = new TrimSchedule(idleTicks);
        assertThat(schedule.tick(QUIET, () -> RESIDENT, () -> FREE)).isEqualTo(START_UP);
        schedule.trimmed(RESIDENT, FREE);
        return schedule;
    }

    @Test
    void theStartUpsLeftoversGoAtTheFirstQuietTick() {
        assertThat(trims(new TrimSchedule(3), BUSY, BUSY, QUIET, QUIET, QUIET, QUIET, QUIET))
                .containsExactly("3:" + START_UP);
    }

    @Test
    void aServerWorkingFromItsStartKeepsItsLeftoversUntilTheSpellAfterWork() {
        assertThat(trims(new TrimSchedule(3), BUSY, BUSY, BUSY, BUSY, QUIET, QUIET, BUSY, QUIET, QUIET, QUIET, QUIET))
                .as("no trim in the first pause (ticks 5-6): it would be faulted in again by the work at 7")
                .containsExactly("10:" + AFTER_WORK);
    }

    @Test
    void afterWorkMemoryGoesBackOnceAFullQuietSpellHasPassed() {
        assertThat(trims(new TrimSchedule(3),
                QUIET, // 1: start-up trim
                BUSY, QUIET, QUIET, // 2-4: work, then two quiet ticks: not yet
                BUSY, QUIET, QUIET, QUIET, // 5-8: work again restarts the spell; trimmed at 8
                QUIET, QUIET, QUIET, QUIET)) // 9-12: still quiet, nothing more to give back
                .containsExactly("1:" + START_UP, "8:" + AFTER_WORK);
    }

    @Test
    void withIdleTrimsOffOnlyTheStartUpsLeftoversGoBack() {
        TrimSchedule schedule = new TrimSchedule(0);
        assertThat(trims(schedule, BUSY, QUIET, BUSY, QUIET, QUIET, QUIET, BUSY, QUIET)).containsExactly("2:" + START_UP);
        assertThat(schedule.tick(QUIET, () -> RESIDENT * 2, () -> FREE)).as("growth is not trimmed either")
                .isEqualTo(WAIT);
    }

    @Test
    void growthWithoutWorkIsTrimmedAfterThreeQuietTicksButGrowthFromWorkWaitsForTheSpell() {
        TrimSchedule schedule = pastItsStartUpTrim(5);

        long grown = RESIDENT + TrimSchedule.GROWTH_BYTES;
        assertThat(schedule.tick(QUIET, () -> grown, () -> FREE)).as("grown, first quiet tick since the trim").isEqualTo(WAIT);
        assertThat(schedule.tick(QUIET, () -> grown - 1, () -> FREE)).as("below the threshold").isEqualTo(WAIT);
        assertThat(schedule.tick(QUIET, () -> grown, () -> FREE)).as("grown, third quiet tick").isEqualTo(GROWTH);
        schedule.trimmed(RESIDENT, FREE);

        assertThat(schedule.tick(BUSY, () -> RESIDENT * 2, () -> FREE)).isEqualTo(WAIT);
        for (int i = 1; i < 5; i++) {
            assertThat(schedule.tick(QUIET, () -> RESIDENT * 2, () -> FREE)).as("quiet tick %d after work", i).isEqualTo(WAIT);
        }
        assertThat(schedule.tick(QUIET, () -> RESIDENT * 2, () -> FREE)).isEqualTo(AFTER_WORK);
    }

    @Test
    void memoryFreedToMallocWithoutWorkIsTrimmedToo() {
        TrimSchedule schedule = pastItsStartUpTrim(5);
        long more = FREE + TrimSchedule.GROWTH_BYTES;
        schedule.tick(QUIET, () -> RESIDENT, () -> FREE);
        schedule.tick(QUIET, () -> RESIDENT, () -> FREE);
        assertThat(schedule.tick(QUIET, () -> RESIDENT, () -> more - 1)).isEqualTo(WAIT);
        assertThat(schedule.tick(QUIET, () -> RESIDENT, () -> more)).as("the JIT's arenas came back to malloc").isEqualTo(GROWTH);
        schedule.trimmed(RESIDENT, more); // the free bytes as measured after the trim: the new reference
        for (int i = 0; i < 5; i++) {
            assertThat(schedule.tick(QUIET, () -> RESIDENT, () -> more)).isEqualTo(WAIT);
        }
    }

    @Test
    void unknownSizesNeverLookLikeGrowth() {
        TrimSchedule schedule = new TrimSchedule(5);
        assertThat(schedule.tick(QUIET, () -> -1, () -> -1)).isEqualTo(START_UP);
        schedule.trimmed(-1, -1);
        assertThat(schedule.tick(QUIET, () -> RESIDENT, () -> FREE)).isEqualTo(WAIT);
    }

    @Test
    void theSizesAreReadOnlyWhenTheGrowthRuleLooksAtThem() {
        LongSupplier unread = () -> {
            throw new AssertionError("a size was read where no rule needs it");
        };
        TrimSchedule schedule = pastItsStartUpTrim(60);
        assertThat(schedule.tick(QUIET, unread, unread)).as("first quiet tick after the trim").isEqualTo(WAIT);
        assertThat(schedule.tick(QUIET, unread, unread)).as("second").isEqualTo(WAIT);
        int[] reads = new int[1];
        assertThat(schedule.tick(QUIET, () -> reads[0]++ + RESIDENT, () -> FREE)).as("third: growth is checked")
                .isEqualTo(WAIT);
        assertThat(reads[0]).isEqualTo(1);
        assertThat(schedule.tick(BUSY, unread, unread)).as("busy").isEqualTo(WAIT);
        for (int i = 0; i < 59; i++) {
            assertThat(schedule.tick(QUIET, unread, unread)).as("quiet spell after work").isEqualTo(WAIT);
        }
        assertThat(schedule.tick(QUIET, unread, unread)).isEqualTo(AFTER_WORK);
    }

    @Test
    void aNegativeSpellIsRefused() {
        assertThatThrownBy(() -> new TrimSchedule(-1)).isInstanceOf(IllegalArgumentException.class);
    }
}
