package io.multiuser.server.memory;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.util.List;

/** The heap's figures that pace collections: in use, the most it held, committed. */
interface HeapGauge {

    long used();

    /** The most the heap held since the start, or since {@link #resetPeak}. */
    long peak();

    long committed();

    void resetPeak();

    /** This JVM's heap, from its memory beans. */
    static HeapGauge ofThisJvm() {
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        List<MemoryPoolMXBean> pools = ManagementFactory.getMemoryPoolMXBeans().stream()
                .filter(pool -> pool.getType() == MemoryType.HEAP).toList();
        return new HeapGauge() {
            @Override
            public long used() {
                return memory.getHeapMemoryUsage().getUsed();
            }

            @Override
            public long peak() {
                long peak = 0;
                for (MemoryPoolMXBean pool : pools) {
                    peak += pool.getPeakUsage().getUsed();
                }
                return peak;
            }

            @Override
            public long committed() {
                return memory.getHeapMemoryUsage().getCommitted();
            }

            @Override
            public void resetPeak() {
                pools.forEach(MemoryPoolMXBean::resetPeakUsage);
            }
        };
    }
}
